"""The listener's direct ACK builder says exactly what hl7apy's named-field ACK says, and much faster."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from radimpress.errors import (
    NoFindingsError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.reading import hl7lib
from radimpress.reading.hl7.header import read_header
from radimpress.transports.ack import AckCode, ack_text, acknowledge, read_ack_header
from tests.conftest import load_event

NOW = datetime(2024, 3, 11, 10, 0, 0, tzinfo=UTC)

RECEIVED = [
    load_event("feed/01-loinc_tx.hl7"),  # 2.7, structure in MSH-9.3
    load_event("feed/13-latin1.hl7"),
    load_event("hl7/oru_r01_line_per_obx_loinc.hl7"),
    b"MSH|^~\\&|RIS|HOSP|R|H|20240101||ORU^R01|C1|T|2.3",  # ERR-1 and a two-component MSH-9
    b"MSH|^~\\&|RIS|HOSP|R|H|20240101||ORU^R01|C1|P|2.4.1",  # a version hl7apy does not ship
    b"MSH#@*$%#RIS@x#HOSP#####ORU@R01#C#1#P#2.5.1",  # the sender's own delimiters, a field char in MSH-10
    b"MSH|^~\\&|RIS",  # cut short: no MSH-10
    b"plain text, not HL7",
]
ERRORS: list[ReportError | None] = [
    None,
    NoFindingsError("no findings | here", where="OBX-5"),
    UnsupportedMessageTypeError("not drafted", where="MSH-9"),
    UnreadableMessageError("cut at byte 12", where="byte 12"),
]


@pytest.mark.parametrize("received", RECEIVED)
@pytest.mark.parametrize("error", ERRORS)
@pytest.mark.parametrize("code", ["AA", "AE", "AR", "CA", "CR"])
def test_the_direct_ack_is_the_hl7apy_ack(received: bytes, error: ReportError | None, code: AckCode) -> None:
    # Given the same inputs (time and control id pinned)
    expected = hl7lib.build_ack(
        received, error=error, code=code, now=NOW, control_id="ACK1", sending_facility="FAC^1"
    )
    # When the listener builds its ACK directly
    got = ack_text(
        read_ack_header(received).header,
        code,
        error=error,
        sending_facility="FAC^1",
        control_id="ACK1",
        now=NOW,
    )
    # Then the text is the same, byte for byte
    assert got == expected


def test_the_ack_is_in_the_senders_delimiters_and_version() -> None:
    received = b"MSH#@*$%#RIS@x#HOSP#####ORU@R01#C1#P#2.5.1"
    ack = ack_text(read_header(received), "AA", now=NOW, control_id="K")
    msh, msa = ack.split("\r")[:2]
    assert msh.startswith("MSH#@*$%#RADIMPRESS#") and msh.endswith("#2.5.1")
    assert msa == "MSA#AA#C1"


@pytest.mark.parametrize(
    ("accept", "code", "sent"),
    [("", "AA", "AA"), ("AL", "AA", "CA"), ("NE", "AA", None), ("ER", "AA", None), ("ER", "AE", "CE"),
     ("SU", "AA", "CA"), ("SU", "AR", None), ("XX", "AR", "CR")],
)  # fmt: skip
def test_msh15_chooses_whether_and_how_to_answer(accept: str, code: str, sent: str | None) -> None:
    # Given a message in enhanced mode when MSH-15 or MSH-16 is set (MSH-16 AL with MSH-15 as given)
    modes = f"|||{accept}|AL" if accept else ""
    received = f"MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C9|P|2.5{modes}".encode()
    answered = acknowledge(read_ack_header(received), code)  # type: ignore[arg-type]
    # Then the code is the original one in original mode, the accept one in enhanced mode, or nothing
    if sent is None:
        assert answered.text is None
    else:
        assert answered.text is not None and answered.text.split("\r")[1] == f"MSA|{sent}|C9"


def test_the_direct_builder_is_at_least_twenty_times_faster_than_hl7apy() -> None:
    received = RECEIVED[0]
    started = time.perf_counter()
    for _ in range(20):
        hl7lib.build_ack(received)
    slow = (time.perf_counter() - started) / 20
    started = time.perf_counter()
    for _ in range(200):
        ack_text(read_ack_header(received).header, "AA")
    fast = (time.perf_counter() - started) / 200
    assert fast * 20 < slow, (fast, slow)
