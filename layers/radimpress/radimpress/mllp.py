"""An MLLP listener in front of the ingest queue, for interface engines that send HL7 over TCP.

Mirth/NextGen Connect, Rhapsody and Cloverleaf usually deliver results over MLLP: each message framed as
``0x0B <message> 0x1C 0x0D`` on a TCP connection, and the sender waits for an HL7 ACK before the next one.
:class:`MllpGateway` takes each framed message, puts it on the ingest queue exactly as a producer would
(text when SQS can carry it, else base64 with ``content-encoding: base64``; over 256 KB as a claim check on
``inbound/<sha256>`` in the bucket) and only then answers:

* **AA** once the message is in the queue (a commit acknowledgement: from there the pipeline archives it
  and drafts it or records its error; nothing is lost);
* **AR** when the frame holds no readable MSH: it is queued all the same, so it is archived and shows up
  as an error record, but the sender learns at once that it was refused;
* **AE** when the queue or the bucket could not take it: nothing was stored, and the sender should retry.

Bytes outside a frame are dropped and counted; a frame over ``max_frame_bytes`` closes the connection.
Nothing here logs message content: only counts, sizes and the outcome code.

Run it next to the interface engine (on premises, or in a container reaching SQS over the VPN):
``radimpress mllp --queue-url URL --bucket BUCKET [--host 0.0.0.0] [--port 2575]``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from typing import Literal

from radimpress.errors import ReportError, TransientError
from radimpress.hl7lib import build_ack
from radimpress.hl7v2 import read_header
from radimpress.inbound import CLAIM_CHECK_ATTRIBUTE, CONTENT_ENCODING_ATTRIBUTE, SQS_BODY_LIMIT, sqs_text
from radimpress.observability import logger
from radimpress.ports import MessageQueue, ObjectStore, OutboundMessage, s3_uri

__all__ = ["END_BLOCK", "START_BLOCK", "FrameTooLargeError", "MllpDecoder", "MllpGateway", "frame"]

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024  # what the ingest function accepts

Outcome = Literal["AA", "AE", "AR"]


class FrameTooLargeError(ValueError):
    """A frame grew past the limit before its end block: the connection is closed."""


def frame(message: bytes) -> bytes:
    """``message`` in MLLP framing."""
    return START_BLOCK + message + END_BLOCK


@dataclass
class MllpDecoder:
    """Incremental MLLP deframing: :meth:`feed` the bytes as they arrive, get the complete messages."""

    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    dropped_bytes: int = 0
    _pending: bytearray = field(default_factory=bytearray)
    _in_frame: bool = False
    _scanned: int = 0  # how much of the open frame has been searched for the end block already

    def feed(self, data: bytes) -> list[bytes]:
        """The messages completed by ``data``, in order; FrameTooLargeError past the limit."""
        messages: list[bytes] = []
        self._pending += data
        while True:
            if not self._in_frame:
                start = self._pending.find(START_BLOCK)
                if start < 0:
                    self.dropped_bytes += len(self._pending)
                    self._pending.clear()
                    return messages
                self.dropped_bytes += start
                del self._pending[: start + len(START_BLOCK)]
                self._in_frame, self._scanned = True, 0
            # from one byte back: an end block may straddle two reads
            end = self._pending.find(END_BLOCK, max(0, self._scanned - 1))
            if end < 0:
                self._scanned = len(self._pending)
                if self._scanned > self.max_frame_bytes:
                    raise FrameTooLargeError(f"MLLP frame over {self.max_frame_bytes} bytes")
                return messages
            messages.append(bytes(self._pending[:end]))
            del self._pending[: end + len(END_BLOCK)]
            self._in_frame = False


@dataclass
class GatewayStats:
    """Counts only: what was received, queued and answered."""

    connections: int = 0
    messages: int = 0
    answered: dict[str, int] = field(default_factory=lambda: {"AA": 0, "AE": 0, "AR": 0})
    dropped_bytes: int = 0


class MllpGateway:
    """MLLP in, SQS out, an HL7 ACK back (see the module docstring)."""

    def __init__(
        self,
        queue: MessageQueue,
        store: ObjectStore,
        *,
        claim_check_over: int = SQS_BODY_LIMIT,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        self.queue = queue
        self.store = store
        self.claim_check_over = claim_check_over
        self.max_frame_bytes = max_frame_bytes
        self.stats = GatewayStats()

    def message_for(self, payload: bytes) -> OutboundMessage:
        """The queue message for ``payload``; a claimed payload is put in the bucket first."""
        text = sqs_text(payload)
        attributes: dict[str, str] = {}
        if text is None:
            text = _base64(payload)
            attributes[CONTENT_ENCODING_ATTRIBUTE] = "base64"
        if len(text.encode("utf-8")) <= self.claim_check_over:
            return OutboundMessage(text, attributes)
        key = f"inbound/{hashlib.sha256(payload).hexdigest()}"
        self.store.put(key, text.encode("utf-8"), "application/octet-stream")
        attributes[CLAIM_CHECK_ATTRIBUTE] = s3_uri(self.store.bucket, key)
        return OutboundMessage(f"claim check {key}", attributes)

    def accept(self, payload: bytes) -> tuple[Outcome, bytes]:
        """Queue one received message; its outcome and the framed ACK to send back."""
        self.stats.messages += 1
        try:
            read_header(payload)
            unreadable: ReportError | None = None
        except ReportError as exc:
            unreadable = exc
        outcome: Outcome = "AE"
        try:
            refused = self.queue.send([self.message_for(payload)])
        except TransientError as exc:
            logger.warning("message not queued", error_type=exc.code, size=len(payload))
        else:
            if refused:
                logger.warning("message refused by the queue", size=len(payload))
            else:
                outcome = "AA" if unreadable is None else "AR"
        self.stats.answered[outcome] += 1
        ack = build_ack(payload, error=unreadable if outcome == "AR" else None, code=outcome)
        return outcome, frame(ack.encode("utf-8"))

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One sender: deframe, queue and acknowledge each message in turn, until it disconnects."""
        self.stats.connections += 1
        decoder = MllpDecoder(self.max_frame_bytes)
        loop = asyncio.get_running_loop()
        try:
            while data := await reader.read(65536):
                for payload in decoder.feed(data):
                    # boto3 blocks: queue from a worker thread so other connections go on meanwhile
                    _, ack = await loop.run_in_executor(None, self.accept, payload)
                    writer.write(ack)
                    await writer.drain()
        except FrameTooLargeError:
            logger.warning("frame too large: connection closed", limit=self.max_frame_bytes)
        except ConnectionError:
            pass  # the sender went away; what it sent before was acknowledged
        finally:
            self.stats.dropped_bytes += decoder.dropped_bytes
            writer.close()

    async def start(self, host: str, port: int) -> asyncio.Server:
        """Listen on ``host:port`` (``port`` 0: any free port; see the server's sockets)."""
        return await asyncio.start_server(self.serve_connection, host, port)


def _base64(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")
