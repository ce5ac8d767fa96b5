"""The MLLP listener on a real socket: ACK codes and MSA-2, framing across reads, the spool, TLS, closing.

The queue is an in-memory one that can be told to fail or to hang, so each outage is exact and fast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from radimpress.errors import TransientError
from radimpress.ports import OutboundMessage
from radimpress.transports.mllp import MllpDecoder, MllpGateway, frame, server_tls
from radimpress.transports.spool import Spool
from tests.conftest import load_event
from tests.fakes import InMemoryObjectStore

ORU = load_event("feed/01-loinc_tx.hl7")


def oru(control_id: str) -> bytes:
    return ORU.replace(b"SYN000000001", control_id.encode(), 1)


class SwitchQueue:
    """Takes messages, or raises TransientError (``down``), or blocks (``hang``) until released."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []
        self.down = False
        self.hang = threading.Event()  # set: hanging
        self.released = threading.Event()

    def send(self, messages: Sequence[OutboundMessage]) -> list[int]:
        if self.hang.is_set():
            self.released.wait(10)
            raise TransientError("read timeout")
        if self.down:
            raise TransientError("unreachable")
        self.sent.extend(messages)
        return []


class Listener:
    """A gateway in its own event-loop thread; ``port`` to connect to."""

    def __init__(self, gateway: MllpGateway, tls: ssl.SSLContext | None = None) -> None:
        self.gateway = gateway
        self.loop = asyncio.new_event_loop()
        server = self.loop.run_until_complete(gateway.start("127.0.0.1", 0, tls=tls))
        self.port = int(server.sockets[0].getsockname()[1])
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.closed = False

    def close(self, grace: float = 2) -> None:
        if self.closed:
            return
        self.closed = True
        asyncio.run_coroutine_threadsafe(self.gateway.close(grace), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def queue() -> SwitchQueue:
    return SwitchQueue()


@pytest.fixture
def listen(queue: SwitchQueue, tmp_path: Path) -> Iterator[Any]:
    started: list[Listener] = []

    def start(*, spool: bool = True, tls: ssl.SSLContext | None = None, **options: Any) -> Listener:
        gateway = MllpGateway(
            queue,
            InMemoryObjectStore(),
            spool=Spool(tmp_path / "spool") if spool else None,
            sending_facility="RADIMPRESS-TEST",
            **options,
        )
        listener = Listener(gateway, tls)
        started.append(listener)
        return listener

    yield start
    queue.released.set()
    for listener in started:
        listener.close()


def read_acks(connection: socket.socket, count: int) -> list[bytes]:
    decoder, acks = MllpDecoder(), list[bytes]()
    while len(acks) < count:
        data = connection.recv(65536)
        assert data, "the listener closed the connection"
        acks += decoder.feed(data)
    return acks


def msa(ack: bytes) -> list[str]:
    segment = next(s for s in ack.decode().split("\r") if s.startswith("MSA"))
    return segment.split("|")


def test_aa_ae_ar_each_echo_msh10_in_msa2(listen: Any, queue: SwitchQueue) -> None:
    # Given a listener without a spool (so a queue outage is an AE)
    listener = listen(spool=False)
    adt = oru("ADT1").replace(b"ORU^R01^ORU_R01", b"ADT^A01^ADT_A01", 1)
    cut = b"MSH|^~\\&|RIS|HOSP|RADIMPRESS|AWS|20240102||"  # cut before MSH-9 and MSH-10
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        # When it sends a result, an ADT, an MSH cut short, then a result while the queue is down
        for payload in (oru("C-AA"), adt, cut):
            connection.sendall(frame(payload))
        acks = read_acks(connection, 3)
        queue.down = True
        connection.sendall(frame(oru("C-AE")))
        acks += read_acks(connection, 1)
    # Then AA, AR (never drafted), AR (MSH-10 unreadable), AE; MSA-2 is MSH-10 wherever there is one
    assert [msa(ack)[1:3] for ack in acks] == [["AA", "C-AA"], ["AR", "ADT1"], ["AR", ""], ["AE", "C-AE"]]
    # and each ACK names us in MSH-4 and ends its last segment with \r
    assert all(ack.split(b"|")[3] == b"RADIMPRESS-TEST" and ack.endswith(b"\r") for ack in acks)
    # and the ADT was not queued; the cut MSH was (it is archived as an error)
    assert len(queue.sent) == 2


def test_frames_split_across_reads_and_several_in_one_read(listen: Any, queue: SwitchQueue) -> None:
    listener = listen()
    stream = b"".join(frame(oru(f"S{n}")) for n in range(5))
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        # When the first two frames arrive byte by byte (the end block split too) and three in one write
        cut = len(frame(oru("S0"))) * 2
        for byte in stream[:cut]:
            connection.sendall(bytes([byte]))
        connection.sendall(stream[cut:])
        acks = read_acks(connection, 5)
    # Then each is answered once, in order
    assert [msa(ack)[2] for ack in acks] == [f"S{n}" for n in range(5)]
    assert len(queue.sent) == 5


def test_a_client_that_disconnects_mid_frame_loses_only_that_frame(listen: Any, queue: SwitchQueue) -> None:
    listener = listen()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(frame(oru("D1")))
        assert msa(read_acks(connection, 1)[0])[1] == "AA"
        connection.sendall(frame(oru("D2"))[:200])  # then goes away
    # Then the listener still serves the next sender, and only the whole message was queued
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(frame(oru("D3")))
        assert msa(read_acks(connection, 1)[0])[1:3] == ["AA", "D3"]
    assert [m.attributes["dedup-id"] for m in queue.sent] == [
        m.attributes["dedup-id"] for m in (listener.gateway.intake.message_for(oru(c)) for c in ("D1", "D3"))
    ]


def test_an_outage_spools_with_aa_and_drains_in_order_when_the_queue_is_back(
    listen: Any, queue: SwitchQueue, tmp_path: Path
) -> None:
    listener = listen()
    queue.down = True
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        # When six messages arrive while the queue is unreachable
        for n in range(6):
            connection.sendall(frame(oru(f"Q{n}")))
        acks = read_acks(connection, 6)
    # Then every one is answered AA, because each is on disk (the spool holds them)
    assert [msa(ack)[1] for ack in acks] == ["AA"] * 6
    assert listener.gateway.stats.spooled == 6 and not queue.sent
    assert len(list((tmp_path / "spool").glob("*.json"))) >= 1
    # When the queue comes back
    queue.down = False
    deadline = time.monotonic() + 10
    while len(queue.sent) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    # Then the spool drains into it oldest first, and is empty
    order = [m.attributes["dedup-id"] for m in queue.sent]
    expected = [listener.gateway.intake.message_for(oru(f"Q{n}")).attributes["dedup-id"] for n in range(6)]
    assert order == expected
    assert not list((tmp_path / "spool").glob("*.json"))


def test_a_hanging_queue_gets_a_spooled_aa_within_the_deadline(listen: Any, queue: SwitchQueue) -> None:
    listener = listen(send_deadline=0.6)
    queue.hang.set()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(frame(oru("H1")))
        (ack,) = read_acks(connection, 1)
        elapsed = time.monotonic() - started
    # Then the AA comes within the send deadline, and the message is in the spool
    assert msa(ack)[1:3] == ["AA", "H1"]
    assert elapsed < 0.6 + 0.2
    assert listener.gateway.stats.spooled == 1


def test_a_full_spool_is_the_only_ae_while_the_queue_is_down(
    listen: Any, queue: SwitchQueue, tmp_path: Path
) -> None:
    gateway_spool = Spool(tmp_path / "tiny", max_entries=1)
    listener = listen(spool=False)
    listener.gateway.spool = gateway_spool
    queue.down = True
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(frame(oru("F1")) + frame(oru("F2")))
        acks = read_acks(connection, 2)
    assert [msa(ack)[1] for ack in acks] == ["AA", "AE"]


def test_spool_entries_survive_a_restart_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s")
    spool.put([("a", OutboundMessage("one")), ("b", OutboundMessage("two"))])
    spool.put([("c", OutboundMessage("three"))])
    # When the listener restarts (a new Spool on the same directory) and spools more
    again = Spool(tmp_path / "s")
    again.put([("d", OutboundMessage("four"))])
    # Then the order is the spool order across the restart
    assert [entry.message.body for entry in again.oldest(10)] == ["one", "two", "three", "four"]


def test_enhanced_mode_answers_ca_or_nothing_as_msh15_asks(listen: Any) -> None:
    listener = listen()

    def enhanced(control_id: str, accept: str) -> bytes:
        head, rest = oru(control_id).split(b"\r", 1)
        return head + b"|||" + accept.encode() + b"|NE\r" + rest

    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        # MSH-15 NE asks for no accept ACK, ER for one on errors only, AL always
        connection.sendall(
            frame(enhanced("E1", "NE")) + frame(enhanced("E2", "ER")) + frame(enhanced("E3", "AL"))
        )
        acks = read_acks(connection, 1)
    assert [msa(ack)[1:3] for ack in acks] == [["CA", "E3"]]


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_tls_is_served_and_plain_tcp_is_not_answered(listen: Any, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    listener = listen(tls=server_tls(str(cert), str(key)))
    client = ssl.create_default_context(cafile=str(cert))
    with (
        socket.create_connection(("127.0.0.1", listener.port), timeout=10) as raw,
        client.wrap_socket(raw, server_hostname="localhost") as connection,
    ):
        connection.sendall(frame(oru("T1")))
        assert msa(read_acks(connection, 1)[0])[1:3] == ["AA", "T1"]
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as plain:
        plain.sendall(frame(oru("T2")))
        assert plain.recv(65536)[:1] != b"\x0b"  # a TLS alert or a close, never an ACK


def test_sources_outside_the_allow_list_are_closed_unanswered(listen: Any, queue: SwitchQueue) -> None:
    listener = listen(allowed_sources=["10.0.0.0/8"])
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(frame(oru("X1")))
        try:
            answer = connection.recv(65536)
        except ConnectionResetError:
            answer = b""
        assert answer == b""  # closed (or reset) without an ACK
    assert not queue.sent and listener.gateway.stats.refused_connections == 1


def test_close_answers_what_is_in_flight_before_closing(listen: Any, queue: SwitchQueue) -> None:
    listener = listen(send_deadline=5)
    queue.hang.set()  # the message is in flight when the stop comes
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as connection:
        connection.sendall(frame(oru("G1")))
        time.sleep(0.2)
        stopping = threading.Thread(target=listener.close, args=(10,))
        stopping.start()
        (ack,) = read_acks(connection, 1)
        stopping.join(15)
    # Then the in-flight message was answered (spooled at the deadline), not dropped by the stop
    assert msa(ack)[1:3] == ["AA", "G1"]
