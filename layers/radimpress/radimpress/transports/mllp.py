"""An MLLP listener in front of the ingest queue, for interface engines that send HL7 over TCP.

Mirth/NextGen Connect, Rhapsody and Cloverleaf usually deliver results over MLLP: each message framed as
``0x0B <message> 0x1C 0x0D`` on a TCP connection, and the sender waits for an HL7 ACK before the next one.
:class:`MllpGateway` takes each framed message, puts it on the ingest queue and only then answers, AA
(queued), AR (unreadable, e.g. no readable MSH: queued all the same, so archived and recorded as an error)
or AE (not stored: retry), as :mod:`radimpress.transports.intake` does for every transport.

Bytes outside a frame are dropped and counted; a frame over ``max_frame_bytes`` closes the connection.
Nothing here logs message content: only counts, sizes and the outcome code.

Run it next to the interface engine (on premises, or in a container reaching SQS over the VPN):
``radimpress mllp --queue-url URL --bucket BUCKET [--host 0.0.0.0] [--port 2575]``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from radimpress.observability import logger
from radimpress.ports import MessageQueue, ObjectStore
from radimpress.transports.inbound import SQS_BODY_LIMIT
from radimpress.transports.intake import Intake, Outcome

__all__ = ["END_BLOCK", "START_BLOCK", "FrameTooLargeError", "MllpDecoder", "MllpGateway", "frame"]

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024  # what the ingest function accepts


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
        self.intake = Intake(queue, store, claim_check_over=claim_check_over)
        self.max_frame_bytes = max_frame_bytes
        self.stats = GatewayStats()

    def accept(self, payload: bytes) -> tuple[Outcome, bytes]:
        """Queue one received message; its outcome and the framed ACK to send back."""
        self.stats.messages += 1
        accepted = self.intake.accept(payload)
        self.stats.answered[accepted.outcome] += 1
        return accepted.outcome, frame(accepted.ack.encode("utf-8"))

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
