"""The MLLP entry point on one machine: ``radimpress mllp`` in front of the embedded IngestQueue.

Most interface engines deliver results over MLLP. ``make demo`` sends some of its report payloads through
the real listener (:class:`radimpress.transports.mllp.MllpGateway`, with its on-disk spool and send
deadline) on 127.0.0.1, using the production SQS and S3 adapters pointed at moto, and a real MLLP client
(:class:`radimpress.transports.mllp_client.MllpSender`) that checks each ACK. The listener runs its asyncio
loop in a thread of its own, as it would run as its own process beside the engine.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from radimpress.adapters.s3 import S3ObjectStore
from radimpress.adapters.sqs import SqsQueue
from radimpress.transports.mllp import MllpGateway
from radimpress.transports.mllp_client import MllpSender
from radimpress.transports.spool import Spool

__all__ = ["LocalMllpEntry"]


class LocalMllpEntry:
    """A listener on a free port of 127.0.0.1 and a sender to it; :meth:`send` returns the ACK code."""

    def __init__(self, queue_url: str, bucket: str, spool: Path) -> None:
        self.gateway = MllpGateway(SqsQueue(queue_url), S3ObjectStore(bucket), spool=Spool(spool))
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mllp-entry", daemon=True)
        self.port = 0
        self._sender: MllpSender | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(self.gateway.start("127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> LocalMllpEntry:
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the local MLLP listener did not start")
        self._sender = MllpSender("127.0.0.1", self.port, attempts=3, backoff=0.2, timeout=30)
        return self

    def send(self, payload: bytes) -> str:
        """Send one message and return the ACK code (AA, AR; AE after the sender's retries)."""
        if self._sender is None:
            raise RuntimeError("start the listener first")
        delivery = self._sender.send(payload)
        return delivery.code or "none"

    def stop(self) -> None:
        if self._sender is not None:
            self._sender.close()
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.gateway.close(grace=10.0), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
