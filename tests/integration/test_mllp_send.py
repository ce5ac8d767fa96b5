"""``radimpress mllp-send`` against a local MLLP receiver that answers as it is told (AE then AA, AR)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from radimpress.cli import main
from radimpress.reading.hl7lib import build_ack, build_draft_oru, read_draft_oru
from radimpress.transports.mllp import MllpDecoder, frame
from radimpress.transports.mllp_client import MllpSender


class Receiver:
    """Answers each message with the next code of ``codes`` (the last one repeats); keeps what it got."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        self.received: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                decoder = MllpDecoder()
                while data := connection.recv(65536):
                    for message in decoder.feed(data):
                        self.received.append(message)
                        code = self.codes[min(len(self.received), len(self.codes)) - 1]
                        connection.sendall(frame(build_ack(message, code=code).encode()))  # type: ignore[arg-type]

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def receiver() -> Iterator[object]:
    started: list[Receiver] = []

    def start(codes: list[str]) -> Receiver:
        started.append(Receiver(codes))
        return started[-1]

    yield start
    for one in started:
        one.close()


def draft_file(tmp_path: Path, control_id: str = "D1") -> Path:
    oru = build_draft_oru(
        draft="No acute disease.", control_id=control_id, accession="ACC9", engine="e", model_id="m"
    )
    path = tmp_path / f"{control_id}.hl7"
    path.write_text(oru)
    return path


def test_an_ae_is_retried_and_the_aa_after_it_delivers(
    receiver: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a receiver that answers AE first, then AA
    got = receiver(["AE", "AA"])  # type: ignore[operator]
    # When a draft is sent with mllp-send
    status = main(["mllp-send", "--port", str(got.port), "--backoff", "0.01", str(draft_file(tmp_path))])
    # Then it is delivered on the second attempt, and the receiver got the same ORU twice
    assert status == 0
    assert "delivered AA after 2" in capsys.readouterr().out
    assert len(got.received) == 2 and read_draft_oru(got.received[1].decode())["accession"] == "ACC9"


def test_an_ar_is_surfaced_and_not_retried(
    receiver: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = receiver(["AR"])  # type: ignore[operator]
    status = main(["mllp-send", "--port", str(got.port), "--backoff", "0.01", str(draft_file(tmp_path))])
    assert status == 1
    assert "refused AR after 1" in capsys.readouterr().out
    assert len(got.received) == 1


def test_ae_every_time_fails_after_the_attempts_with_doubling_waits(receiver: object) -> None:
    got = receiver(["AE"])  # type: ignore[operator]
    waits: list[float] = []
    oru = build_draft_oru(draft="x", control_id="D2", accession="A", engine="e", model_id="m").encode()
    with MllpSender("127.0.0.1", got.port, attempts=4, backoff=0.5, sleep=waits.append) as sender:
        delivery = sender.send(oru)
    assert (delivery.outcome, delivery.code, delivery.attempts) == ("failed", "AE", 4)
    assert waits == [0.5, 1.0, 2.0]


def test_no_receiver_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    with MllpSender("127.0.0.1", port, attempts=2, backoff=0, timeout=1) as sender:
        delivery = sender.send(draft_file(tmp_path).read_bytes())
    assert delivery.outcome == "failed" and delivery.text == "no answer"
