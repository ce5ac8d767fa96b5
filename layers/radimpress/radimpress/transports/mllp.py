"""An MLLP listener in front of the ingest queue, for interface engines that send HL7 over TCP.

Mirth/NextGen Connect, Rhapsody and Cloverleaf usually deliver results over MLLP: each message framed as
``0x0B <message> 0x1C 0x0D`` on a TCP connection, and the sender waits for an HL7 ACK before the next one.
:class:`MllpGateway` takes each framed message, stores it and only then answers, as
:mod:`radimpress.transports.intake` does for every transport: AA once stored, AR for what the pipeline can
never read or never drafts, AE only when it could not be stored at all.

Stored means on the ingest queue or, when the queue cannot be reached or does not answer in time, in the
local spool (:mod:`radimpress.transports.spool`, fsynced before the AA). The send deadline
(``send_deadline``, default 3 s) sits well inside an interface engine's response timeout (often 10-30 s):
a batch send gets half of it, so a message that first waited for a sender is still answered within it.
While the spool holds anything, new messages are spooled behind it, and a drainer sends the spool to the
queue oldest first, with backoff, until it is empty. A send that timed out but later succeeds removes its
spooled copies; one that did arrive and was also drained leaves a duplicate with the same ``dedup-id``,
which ingest collapses (see :mod:`radimpress.transports.intake`).

Messages from all connections are sent together, up to ten per ``SendMessageBatch``, by a few sender
tasks whose blocking calls run in the gateway's own thread pool: a connection waiting for its ACK holds no
thread, so connections are limited by memory, not by a pool. Each connection's messages are answered in
order. :meth:`MllpGateway.close` stops accepting, lets in-flight messages finish and be answered, then
closes the connections (the CLI calls it on SIGTERM and SIGINT).

Bytes outside a frame are dropped and counted; a frame over ``max_frame_bytes`` closes the connection.
Nothing here logs message content: only counts, sizes and the outcome code.

Run it next to the interface engine (on premises, or in a container reaching SQS over the VPN):
``radimpress mllp --queue-url URL --bucket BUCKET --spool DIR [--host 0.0.0.0] [--port 2575]``, with
``--tls-cert/--tls-key`` (and ``--tls-client-ca`` for mutual TLS) and ``--allow CIDR`` for the sources
that may connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import ssl
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from radimpress.errors import DependencyRefusedError, TransientError
from radimpress.observability import logger
from radimpress.ports import MessageQueue, ObjectStore, OutboundMessage
from radimpress.transports.inbound import SQS_BODY_LIMIT
from radimpress.transports.intake import DEFAULT_REFUSED_TYPES, Intake, Outcome
from radimpress.transports.spool import Spool, SpoolError

__all__ = [
    "END_BLOCK",
    "START_BLOCK",
    "FrameTooLargeError",
    "GatewayStats",
    "MllpDecoder",
    "MllpGateway",
    "frame",
    "server_tls",
]

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024  # what the ingest function accepts
DEFAULT_SEND_DEADLINE = 3.0
_BATCH = 10  # SendMessageBatch's limit
_BACKOFF_FIRST, _BACKOFF_MAX = 0.2, 5.0

Stored = Literal["queued", "spooled", "refused", "failed"]


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
    """Counts only: what was received, stored and answered."""

    connections: int = 0
    refused_connections: int = 0
    messages: int = 0
    answered: dict[str, int] = field(default_factory=lambda: {"AA": 0, "AE": 0, "AR": 0})
    queued: int = 0
    spooled: int = 0
    drained: int = 0
    late_confirmed: int = 0
    dropped_bytes: int = 0

    def count_answer(self, code: str) -> None:
        self.answered[code] = self.answered.get(code, 0) + 1


@dataclass
class _Pending:
    dedup_id: str
    message: OutboundMessage
    since: float
    done: asyncio.Future[Stored]


def server_tls(cert: str, key: str, client_ca: str | None = None) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or later); with ``client_ca``, clients must present a certificate it
    signed (mutual TLS)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class MllpGateway:
    """MLLP in, the ingest queue (or the spool) out, an HL7 ACK back (see the module docstring)."""

    def __init__(
        self,
        queue: MessageQueue,
        store: ObjectStore,
        *,
        spool: Spool | None = None,
        send_deadline: float = DEFAULT_SEND_DEADLINE,
        senders: int = 4,
        claim_check_over: int = SQS_BODY_LIMIT,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        refused_types: Iterable[str] = DEFAULT_REFUSED_TYPES,
        sending_facility: str | None = None,
        allowed_sources: Sequence[str] = (),
    ) -> None:
        self.intake = Intake(
            queue,
            store,
            claim_check_over=claim_check_over,
            refused_types=refused_types,
            sending_facility=sending_facility,
        )
        self.queue = queue
        self.spool = spool
        self.send_deadline = send_deadline
        self.senders = senders
        self.max_frame_bytes = max_frame_bytes
        self.allowed = [ipaddress.ip_network(cidr, strict=False) for cidr in allowed_sources]
        self.stats = GatewayStats()
        # hung sends keep their thread until botocore's own timeout: room for several rounds of them
        self._pool = ThreadPoolExecutor(max_workers=4 * senders + 4, thread_name_prefix="mllp-send")
        self._pending: list[_Pending] = []
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._spooling = spool is not None and len(spool) > 0
        self._spool_writes = 0
        self._drainer: asyncio.Task[None] | None = None
        self._connections: dict[asyncio.Task[None], bool] = {}  # task -> busy with a message
        self._server: asyncio.Server | None = None

    # ---------------------------------------------------------------------------------------- intake

    async def handle(self, payload: bytes) -> tuple[Outcome, bytes | None]:
        """Store one received message; its outcome and the framed ACK to send back (None: none asked)."""
        self.stats.messages += 1
        received = self.intake.receive(payload)
        stored: Stored = "refused"
        if received.refused is None:
            if len(payload) * 4 // 3 + 4 <= self.intake.claim_check_over:
                message = self.intake.message_for(payload, received.dedup_id)  # no bucket call: inline
            else:
                loop = asyncio.get_running_loop()
                message = await loop.run_in_executor(
                    self._pool, self.intake.message_for, payload, received.dedup_id
                )
            stored = await self._store(received.dedup_id, message)
        accepted = self.intake.answer(received, stored in {"queued", "spooled"})
        self.stats.count_answer(accepted.code)
        return accepted.outcome, frame(accepted.ack.encode("utf-8")) if accepted.send else None

    async def _store(self, dedup: str, message: OutboundMessage) -> Stored:
        if self._spooling:
            return await self._to_spool([(dedup, message)])
        loop = asyncio.get_running_loop()
        pending = _Pending(dedup, message, time.monotonic(), loop.create_future())
        self._pending.append(pending)
        assert self._wake is not None, "start() runs the senders"
        self._wake.set()
        return await pending.done

    async def _to_spool(self, items: list[tuple[str, OutboundMessage]]) -> Stored:
        if self.spool is None:
            return "failed"
        self._spooling = True
        self._spool_writes += 1
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, self.spool.put, items)
        except SpoolError as exc:
            logger.error("spool refused messages: answered AE", error_type=exc.code, count=len(items))
            return "failed"
        finally:
            self._spool_writes -= 1
        self.stats.spooled += len(items)
        self._start_drainer()
        return "spooled"

    # --------------------------------------------------------------------------------------- senders

    async def _sender(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch, self._pending = self._pending[:_BATCH], self._pending[_BATCH:]
            if self._spooling:
                await self._spool_batch(batch)
                continue
            budget = self.send_deadline / 2 - (time.monotonic() - batch[0].since)
            sent = loop.run_in_executor(self._pool, self.queue.send, [p.message for p in batch])
            try:
                refused = await asyncio.wait_for(asyncio.shield(sent), max(budget, 0.0))
            except (TransientError, DependencyRefusedError, TimeoutError) as exc:
                code = exc.code if not isinstance(exc, TimeoutError) else "deadline"
                logger.warning("queue send failed: spooling", error_type=code, count=len(batch))
                names = await self._spool_batch(batch)
                if isinstance(exc, TimeoutError) and names:
                    sent.add_done_callback(functools.partial(self._late, names=names))
                continue
            for index, pending in enumerate(batch):
                if not pending.done.done():
                    pending.done.set_result("refused" if index in refused else "queued")
            self.stats.queued += len(batch) - len(refused)

    async def _spool_batch(self, batch: list[_Pending]) -> list[str]:
        """Spool a batch (and everything still pending behind it, in order); resolve their futures."""
        batch, self._pending = batch + self._pending, []
        if self.spool is None:
            for pending in batch:
                pending.done.set_result("failed")
            return []
        self._spooling = True
        self._spool_writes += 1
        try:
            names = await asyncio.get_running_loop().run_in_executor(
                self._pool, self.spool.put, [(p.dedup_id, p.message) for p in batch]
            )
        except SpoolError as exc:
            logger.error("spool refused messages: answered AE", error_type=exc.code, count=len(batch))
            names, outcome = [], "failed"
        else:
            outcome = "spooled"
            self.stats.spooled += len(batch)
        finally:
            self._spool_writes -= 1
        for pending in batch:
            pending.done.set_result(outcome)  # type: ignore[arg-type]
        self._start_drainer()
        return names

    def _late(self, done: asyncio.Future[list[int]], *, names: list[str]) -> None:
        """A send that missed the deadline finished after all: if it succeeded, its spooled copies go."""
        if done.cancelled() or done.exception() is not None or self.spool is None:
            return
        refused = set(done.result())
        confirmed = [name for index, name in enumerate(names) if index not in refused]
        self.spool.remove(confirmed)
        self.stats.late_confirmed += len(confirmed)

    # --------------------------------------------------------------------------------------- drainer

    def _start_drainer(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Send the spool to the queue, oldest first, until it is empty (backoff while the queue fails)."""
        assert self.spool is not None
        loop = asyncio.get_running_loop()
        backoff = _BACKOFF_FIRST
        while True:
            entries = await loop.run_in_executor(self._pool, self.spool.oldest, _BATCH)
            if not entries:
                if self._spool_writes == 0 and len(self.spool) == 0:
                    self._spooling = False
                    logger.info("spool drained: sending directly again", drained=self.stats.drained)
                    return
                await asyncio.sleep(0.01)
                continue
            sent = loop.run_in_executor(self._pool, self.queue.send, [entry.message for entry in entries])
            try:
                refused = set(await asyncio.wait_for(asyncio.shield(sent), self.send_deadline))
            except (TransientError, DependencyRefusedError, TimeoutError):
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
                continue
            backoff = _BACKOFF_FIRST
            if refused:
                logger.error("spooled messages refused by the queue: kept aside", count=len(refused))
                await loop.run_in_executor(
                    self._pool, self.spool.set_aside, [entries[index].name for index in sorted(refused)]
                )
            await loop.run_in_executor(self._pool, self.spool.remove, [entry.name for entry in entries])
            self.stats.drained += len(entries) - len(refused)

    # ----------------------------------------------------------------------------------- connections

    def _allowed(self, writer: asyncio.StreamWriter) -> bool:
        if not self.allowed:
            return True
        peer = writer.get_extra_info("peername")
        try:
            address = ipaddress.ip_address(peer[0])
        except (TypeError, ValueError, IndexError):
            return False
        return any(address in network for network in self.allowed)

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One sender: deframe, store and acknowledge each message in turn, until it disconnects."""
        if not self._allowed(writer):
            self.stats.refused_connections += 1
            logger.warning("connection from a source not allowed: closed")
            writer.close()
            return
        self.stats.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = False
        decoder = MllpDecoder(self.max_frame_bytes)
        try:
            while data := await reader.read(65536):
                self._connections[task] = True
                for payload in decoder.feed(data):
                    _, ack = await self.handle(payload)
                    if ack is not None:
                        writer.write(ack)
                        await writer.drain()
                self._connections[task] = False
                if self._server is not None and not self._server.is_serving():
                    break  # closing: what was received is answered, nothing more is read
        except FrameTooLargeError:
            logger.warning("frame too large: connection closed", limit=self.max_frame_bytes)
        except (ConnectionError, ssl.SSLError):
            pass  # the sender went away; what it sent before was acknowledged
        except asyncio.CancelledError:
            pass  # closing while the connection was idle
        finally:
            self._connections.pop(task, None)
            self.stats.dropped_bytes += decoder.dropped_bytes
            writer.close()

    async def start(self, host: str, port: int, *, tls: ssl.SSLContext | None = None) -> asyncio.Server:
        """Listen on ``host:port`` (``port`` 0: any free port; see the server's sockets)."""
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sender()) for _ in range(self.senders)]
        if self._spooling:
            self._start_drainer()
        self._server = await asyncio.start_server(
            self.serve_connection, host, port, ssl=tls, limit=2**20, backlog=512
        )
        return self._server

    async def close(self, grace: float = 10.0) -> None:
        """Stop accepting, answer what is in flight (up to ``grace`` seconds), then close everything.
        What the spool holds stays there and is drained by the next start."""
        if self._server is not None:
            self._server.close()
        for task, busy in list(self._connections.items()):
            if not busy:
                task.cancel()
        busy_tasks = list(self._connections)
        if busy_tasks:
            await asyncio.wait(busy_tasks, timeout=grace)
        if self._drainer is not None and not self._drainer.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._drainer), min(grace, self.send_deadline))
        background = [*self._tasks, *(t for t in [self._drainer] if t is not None)]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)
