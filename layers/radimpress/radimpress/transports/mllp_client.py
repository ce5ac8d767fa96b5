"""Sending HL7 over MLLP and checking the answer: drafts back to a reporting system (`mllp-send`).

One connection, one message at a time, as interface engines expect: frame it, wait for the ACK, read
MSA-1. AA (or CA) is delivered. AE (or CE), no answer within the timeout, or a broken connection is
retried, on a new connection, after a backoff that doubles (``backoff``, ``2 x backoff``, ... up to
``max_backoff``) for ``attempts`` attempts in all. AR (or CR) is final: the receiver refused the message,
and sending it again would be refused again. An ACK whose MSA-2 names another message is not an answer.

Nothing here logs a message: results carry the outcome, MSA-2 and the receiver's MSA-3 text.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from radimpress.errors import ReportError
from radimpress.reading.hl7.header import read_header
from radimpress.transports.mllp import MllpDecoder, frame

__all__ = ["Delivery", "MllpSender"]

Outcome = Literal["delivered", "refused", "failed"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one message: ``delivered`` (AA), ``refused`` (AR: final) or ``failed`` (AE or no
    answer, after every attempt), the last MSA-1 and MSA-3 seen, and the attempts made."""

    outcome: Outcome
    code: str | None
    text: str | None
    attempts: int


class MllpSender:
    """Send messages to one MLLP destination (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host, self.port = host, port
        self.attempts, self.backoff, self.max_backoff = attempts, backoff, max_backoff
        self.timeout, self.tls, self.sleep = timeout, tls, sleep
        self._connection: socket.socket | None = None

    def __enter__(self) -> MllpSender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, message: bytes) -> Delivery:
        """Deliver one message, retrying as the module docstring says."""
        try:
            control_id = read_header(message).control_id
        except ReportError:
            control_id = None
        wait = self.backoff
        code = text = None
        for attempt in range(1, self.attempts + 1):
            try:
                code, text, echoed = self._exchange(message)
            except (OSError, TimeoutError):
                self.close()  # a new connection for the next attempt
                code, text = None, "no answer"
            else:
                if control_id and echoed != control_id:
                    self.close()
                    code, text = None, "an ACK for another message"
                elif code in {"AA", "CA"}:
                    return Delivery("delivered", code, text, attempt)
                elif code in {"AR", "CR"}:
                    return Delivery("refused", code, text, attempt)
            if attempt < self.attempts:
                self.sleep(wait)
                wait = min(wait * 2, self.max_backoff)
        return Delivery("failed", code, text, self.attempts)

    def _connect(self) -> socket.socket:
        if self._connection is None:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self._connection = self.tls.wrap_socket(raw, server_hostname=self.host) if self.tls else raw
        return self._connection

    def _exchange(self, message: bytes) -> tuple[str | None, str | None, str | None]:
        """Send one frame and read one ACK: (MSA-1, MSA-3, MSA-2)."""
        connection = self._connect()
        connection.sendall(frame(message))
        decoder = MllpDecoder(max_frame_bytes=1024 * 1024)
        while True:
            data = connection.recv(65536)
            if not data:
                raise ConnectionResetError("the receiver closed the connection")
            acks = decoder.feed(data)
            if acks:
                return _msa(acks[0])


def _msa(ack: bytes) -> tuple[str | None, str | None, str | None]:
    text = ack.decode("latin-1")
    separator = text[3:4] or "|"
    for segment in text.replace("\n", "\r").split("\r"):
        if segment.startswith("MSA"):
            fields = [*segment.split(separator), "", "", ""]
            return fields[1] or None, fields[3] or None, fields[2] or None
    return None, "an answer without MSA", None
