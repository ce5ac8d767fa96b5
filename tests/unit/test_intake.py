"""The HTTPS answer to a POSTed message: queued then acknowledged, on in-memory fakes."""

from __future__ import annotations

import base64

import pytest

from radimpress.errors import TransientError
from radimpress.reading.hl7.header import read_header
from radimpress.transports.inbound import resolve
from radimpress.transports.intake import ACK_CONTENT_TYPE, Intake, http_answer
from tests.conftest import load_event
from tests.fakes import InMemoryObjectStore, InMemoryQueue

ORU = load_event("feed/01-loinc_tx.hl7")
LATIN1 = load_event("feed/13-latin1.hl7")


def msa(ack: str) -> list[str]:
    return next(s for s in ack.split("\r") if s.startswith("MSA")).split("|")


def b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")


@pytest.mark.parametrize("payload", [ORU, LATIN1])
def test_a_base64_body_is_queued_byte_for_byte_then_answered_200_aa(payload: bytes) -> None:
    # Given API Gateway's base64 body (every content type is binary for the entry point)
    queue, store = InMemoryQueue(), InMemoryObjectStore()
    # When it is answered
    answer = http_answer(Intake(queue, store), b64(payload), base64_encoded=True)
    # Then the queued message reads back as the bytes that were sent, and the ACK says so
    (message,) = queue.sent
    assert resolve(message.body, dict(message.attributes), store) == payload
    assert (answer.status, answer.outcome, answer.content_type) == (200, "AA", ACK_CONTENT_TYPE)
    assert msa(answer.body)[1:3] == ["AA", read_header(payload).control_id]  # MSA-2 echoes MSH-10


def test_a_text_body_is_queued_as_utf8() -> None:
    queue, store = InMemoryQueue(), InMemoryObjectStore()
    answer = http_answer(Intake(queue, store), ORU.decode("utf-8"), base64_encoded=False)
    assert answer.outcome == "AA"
    assert resolve(queue.sent[0].body, dict(queue.sent[0].attributes), store) == ORU


def test_a_body_over_the_sqs_limit_travels_as_a_claim_check() -> None:
    queue, store = InMemoryQueue(), InMemoryObjectStore()
    big = ORU + b"OBX|9|TX|||" + b"x" * 8000 + b"\r"
    answer = http_answer(Intake(queue, store, claim_check_over=4096), b64(big), base64_encoded=True)
    assert answer.outcome == "AA"
    (message,) = queue.sent
    assert "claim-check" in message.attributes and store.list("inbound/")
    assert resolve(message.body, dict(message.attributes), store) == big


@pytest.mark.parametrize(
    "name", ["binary.bin", "no_msh.hl7", "msh_without_delimiters.hl7", "whitespace_only.hl7"]
)
def test_an_unreadable_message_is_kept_and_answered_200_ar_so_it_is_not_resent(name: str) -> None:
    queue = InMemoryQueue()
    payload = load_event(f"hl7/malformed/{name}")
    answer = http_answer(Intake(queue, InMemoryObjectStore()), b64(payload), base64_encoded=True)
    assert (answer.status, answer.outcome, msa(answer.body)[1]) == (200, "AR", "AR")
    assert len(queue.sent) == 1  # archived and recorded as an error downstream


def test_a_plain_text_report_is_readable_and_answered_aa() -> None:
    # The ingest function reads a payload that is not HL7 as a text report: it is not refused here either
    queue = InMemoryQueue()
    text = load_event("text/addendum_first.txt")
    answer = http_answer(Intake(queue, InMemoryObjectStore()), b64(text), base64_encoded=True)
    assert (answer.status, answer.outcome, msa(answer.body)[1]) == (200, "AA", "AA")
    assert len(queue.sent) == 1


@pytest.mark.parametrize(
    "queue", [InMemoryQueue(refuse=frozenset({0})), InMemoryQueue(fail=TransientError("throttled"))]
)
def test_a_message_not_stored_is_answered_503_ae_so_the_engine_retries(queue: InMemoryQueue) -> None:
    answer = http_answer(Intake(queue, InMemoryObjectStore()), b64(ORU), base64_encoded=True)
    assert (answer.status, answer.outcome, msa(answer.body)[1]) == (503, "AE", "AE")
    assert queue.sent == []


@pytest.mark.parametrize(("body", "encoded"), [(None, True), ("", False), ("", True), ("not base64!", True)])
def test_an_empty_or_undecodable_body_is_a_400_and_nothing_is_queued(body: str | None, encoded: bool) -> None:
    queue = InMemoryQueue()
    answer = http_answer(Intake(queue, InMemoryObjectStore()), body, base64_encoded=encoded)
    assert (answer.status, answer.outcome, answer.content_type) == (400, None, "text/plain")
    assert "nothing queued" in answer.body
    assert queue.sent == []
