"""Drafts back to a reporting system, on one machine: the OutboundQueue forwarded over MLLP to a receiver.

In production an on-premises forwarder reads the stack's OutboundQueue and delivers each ORU^R01 to the
reporting system's MLLP port. Here :class:`OutboundForwarder` does that with
:class:`~radimpress.transports.mllp_client.MllpSender` (the sender behind ``radimpress mllp-send``:
ACK checked, AE retried with backoff), deleting each queue message once it was answered AA, and
:class:`DraftReceiver` stands in for the reporting system: an MLLP endpoint on loopback that reads each
message back with hl7apy, answers AA (AR when it is not a draft ORU), and counts what it got.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from radimpress.reading.hl7lib import build_ack, read_draft_oru
from radimpress.transports.mllp import MllpDecoder, frame
from radimpress.transports.mllp_client import MllpSender

__all__ = ["DraftReceiver", "OutboundForwarder", "ReceivedDrafts"]


@dataclass
class ReceivedDrafts:
    """What the receiver got: messages, distinct MSH-10s, preliminary ones, and those it refused."""

    messages: int = 0
    control_ids: set[str] = field(default_factory=set)
    preliminary: int = 0
    refused: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "distinct": len(self.control_ids),
            "preliminary": self.preliminary,
            "refused": self.refused,
        }


class DraftReceiver:
    """A reporting system's MLLP port on 127.0.0.1 (a free port): reads, counts and acknowledges drafts."""

    def __init__(self) -> None:
        self.drafts = ReceivedDrafts()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name="draft-receiver", daemon=True)

    def start(self) -> DraftReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        decoder = MllpDecoder()
        with connection:
            try:
                while data := connection.recv(65536):
                    for message in decoder.feed(data):
                        connection.sendall(frame(self._answer(message).encode("utf-8")))
            except OSError:
                return

    def _answer(self, message: bytes) -> str:
        text = message.decode("utf-8", "replace")
        try:
            oru = read_draft_oru(text)
        except Exception:  # noqa: BLE001 - hl7apy's parser: anything it cannot read is refused
            with self._lock:
                self.drafts.messages += 1
                self.drafts.refused += 1
            return build_ack(message, code="AR")
        with self._lock:
            self.drafts.messages += 1
            self.drafts.control_ids.add(str(oru["control_id"]))
            self.drafts.preliminary += oru["result_status"] == "P"
        return build_ack(message, code="AA")


class OutboundForwarder:
    """Reads the outbound queue and delivers each message over MLLP; deletes it once answered AA."""

    def __init__(self, sqs: Any, queue_url: str, sender: MllpSender) -> None:
        self.sqs, self.queue_url, self.sender = sqs, queue_url, sender
        self.delivered = 0
        self.undelivered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbound-forwarder", daemon=True)

    def start(self) -> OutboundForwarder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.sender.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                delivery = self.sender.send(message["Body"].encode("utf-8"))
                if delivery.outcome == "delivered":
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    self.delivered += 1
                else:  # left on the queue: redelivered after its visibility timeout, then the DLQ
                    self.undelivered += 1
