"""MLLP framing and the gateway's queue-then-acknowledge rule, on in-memory fakes."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.errors import TransientError
from radimpress.transports.inbound import resolve
from radimpress.transports.mllp import FrameTooLargeError, MllpDecoder, MllpGateway, frame
from tests.conftest import load_event
from tests.fakes import InMemoryObjectStore, InMemoryQueue

ORU = load_event("feed/01-loinc_tx.hl7")
LATIN1 = load_event("feed/13-latin1.hl7")


def accept_all(gateway: MllpGateway, payloads: list[bytes]) -> list[tuple[str, bytes]]:
    """Each payload through a started gateway, in turn: (outcome, framed ACK)."""

    async def run() -> list[tuple[str, bytes]]:
        await gateway.start("127.0.0.1", 0)
        try:
            answers = [await gateway.handle(payload) for payload in payloads]
        finally:
            await gateway.close(0)
        assert all(ack is not None for _, ack in answers)
        return [(outcome, ack or b"") for outcome, ack in answers]

    return asyncio.run(run())


def msa(ack: bytes) -> list[str]:
    """MSA fields of a framed ACK."""
    (message,) = MllpDecoder().feed(ack)
    segment = next(s for s in message.decode().split("\r") if s.startswith("MSA"))
    return segment.split("|")


def test_frames_are_found_across_reads_and_junk_between_them_is_counted() -> None:
    stream = b"junk" + frame(b"MSH|one") + b"\r\n" + frame(b"MSH|two") + frame(b"MSH|three")
    decoder = MllpDecoder()
    # one byte at a time: every boundary falls between reads somewhere, end blocks included
    got = [m for i in range(len(stream)) for m in decoder.feed(stream[i : i + 1])]
    assert got == [b"MSH|one", b"MSH|two", b"MSH|three"]
    assert decoder.dropped_bytes == len(b"junk") + len(b"\r\n")


@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\x0b", b"").replace(b"\x1c", b"")), max_size=6),
    st.integers(1, 17),
)
def test_any_messages_in_any_chunking_come_back_whole(messages: list[bytes], chunk: int) -> None:
    stream = b"".join(frame(m) for m in messages)
    decoder = MllpDecoder()
    got = [m for i in range(0, len(stream), chunk) for m in decoder.feed(stream[i : i + chunk])]
    assert got == messages and decoder.dropped_bytes == 0


def test_a_frame_past_the_limit_is_refused() -> None:
    decoder = MllpDecoder(max_frame_bytes=10)
    assert decoder.feed(frame(b"0123456789")) == [b"0123456789"]
    with pytest.raises(FrameTooLargeError):
        decoder.feed(b"\x0b" + b"x" * 11)


def test_a_result_is_queued_then_acknowledged_aa() -> None:
    queue, store = InMemoryQueue(), InMemoryObjectStore()
    ((outcome, ack),) = accept_all(MllpGateway(queue, store), [ORU])
    assert outcome == "AA"
    fields = msa(ack)
    assert fields[1] == "AA" and fields[2] == "SYN000000001"  # MSA-2 echoes MSH-10
    (message,) = queue.sent
    assert resolve(message.body, dict(message.attributes), store) == ORU


def test_bytes_sqs_cannot_carry_go_base64_and_big_ones_as_claim_checks() -> None:
    queue, store = InMemoryQueue(), InMemoryObjectStore()
    gateway = MllpGateway(queue, store, claim_check_over=4096)
    big = ORU + b"OBX|2|TX|||" + b"x" * 8000 + b"\r"
    assert [outcome for outcome, _ in accept_all(gateway, [LATIN1, big])] == ["AA", "AA"]
    small, claimed = queue.sent
    assert small.attributes["content-encoding"] == "base64"
    assert "claim-check" in claimed.attributes and store.list("inbound/")
    assert [resolve(m.body, dict(m.attributes), store) for m in queue.sent] == [LATIN1, big]


def test_an_unreadable_message_is_queued_and_rejected_ar() -> None:
    queue = InMemoryQueue()
    ((outcome, ack),) = accept_all(
        MllpGateway(queue, InMemoryObjectStore()), [load_event("hl7/malformed/no_msh.hl7")]
    )
    assert outcome == "AR" and msa(ack)[1] == "AR"
    assert len(queue.sent) == 1  # archived and recorded downstream, nothing lost


@pytest.mark.parametrize(
    "queue", [InMemoryQueue(refuse=frozenset({0})), InMemoryQueue(fail=TransientError("throttled"))]
)
def test_a_message_the_queue_did_not_take_is_answered_ae_so_the_sender_retries(queue: InMemoryQueue) -> None:
    # Given a gateway with no spool, whose queue does not take the message
    gateway = MllpGateway(queue, InMemoryObjectStore())
    ((outcome, ack),) = accept_all(gateway, [ORU])
    assert outcome == "AE" and msa(ack)[1] == "AE"
    assert gateway.stats.answered == {"AA": 0, "AE": 1, "AR": 0}
