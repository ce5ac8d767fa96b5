"""hl7apy where it serves: ACKs with named fields, opt-in strict validation; and nowhere else."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import radimpress
from radimpress.errors import (
    EncodingError,
    NoFindingsError,
    NoReportTextError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.reading import hl7lib
from radimpress.reading.hl7.message import parse_message
from radimpress.reading.hl7.segments import split_messages

LoadEvent = Callable[[str], bytes]
NOW = datetime(2024, 3, 11, 10, 0, 0, tzinfo=UTC)


def fields(ack: str) -> dict[str, list[str]]:
    """Segments of an ACK by name, split into fields (MSH re-indexed so that MSH-n is [n])."""
    segments: dict[str, list[str]] = {}
    for segment in ack.split("\r"):
        values = segment.split("|")
        if values[0] == "MSH":
            values = ["MSH", "|", *values[1:]]
        segments[values[0]] = values
    return segments


def outcome_of(payload: bytes) -> ReportError | None:
    try:
        for message in split_messages(payload):
            parse_message(message, source="t", pseudonym_key=None)
    except ReportError as exc:
        return exc
    return None


def test_ack_accepts_a_good_message(load_event: LoadEvent) -> None:
    # Given a readable ORU^R01 v2.5.1
    received = load_event("hl7/oru_r01_line_per_obx_loinc.hl7")

    # When it is acknowledged
    ack = hl7lib.build_ack(received, now=NOW, control_id="ACK0001", sending_facility="RADIMPRESS-DEV")

    # Then the ACK answers the sender with named fields, in its version, and no ERR
    msh, msa = fields(ack)["MSH"], fields(ack)["MSA"]
    assert msh[2] == "^~\\&"
    assert msh[3:8] == ["RADIMPRESS", "RADIMPRESS-DEV", "EPICRAD", "GENHOSP", "20240311100000"]
    assert msh[9:13] == ["ACK^R01^ACK", "ACK0001", "P", "2.5.1"]
    assert msa[1:3] == ["AA", "MSG00001"]
    assert "ERR" not in fields(ack)
    # and every segment, the last one too, ends with \r (the MLLP end block follows it)
    assert "\n" not in ack and ack.endswith("\r") and not ack.endswith("\r\r")


def test_ack_for_a_content_error_is_ae_with_err(load_event: LoadEvent) -> None:
    # Given a result message without findings
    received = load_event("hl7/malformed/no_findings.hl7")
    error = outcome_of(received)
    assert isinstance(error, NoFindingsError)

    # When it is acknowledged with that error
    ack = hl7lib.build_ack(received, error=error, now=NOW, control_id="ACK2")

    # Then AE, the error text in MSA-3 and ERR-8, the location in ERR-2 and the table 0357 code in ERR-3
    segments = fields(ack)
    assert segments["MSA"][1:4] == ["AE", "MSG00026", "report text has no findings (at OBX-5)"]
    assert segments["ERR"][2] == "OBX^1^5"
    assert segments["ERR"][3] == "207^Application internal error^HL70357"
    assert segments["ERR"][4] == "E"
    assert segments["ERR"][8] == "report text has no findings (at OBX-5)"


def test_ack_for_an_unsupported_type_is_ar_and_escapes_our_text(load_event: LoadEvent) -> None:
    received = load_event("hl7/malformed/adt_a01.hl7")
    ack = hl7lib.build_ack(received, error=outcome_of(received), now=NOW)
    segments = fields(ack)
    assert segments["MSH"][9] == "ACK^A01^ACK"
    assert segments["MSA"][1] == "AR"
    assert segments["MSA"][3] == "ADT\\S\\A01 is not a result message (at MSH-9)"
    assert segments["ERR"][2:4] == ["MSH^1^9", "200^Unsupported message type^HL70357"]


def test_ack_for_an_unreadable_payload_still_answers(load_event: LoadEvent) -> None:
    # Given bytes that hold no message at all
    received = load_event("hl7/malformed/empty.hl7")
    error = outcome_of(received)

    # When acknowledged, Then an AR comes back with what could not be known left empty
    segments = fields(hl7lib.build_ack(received, error=error, now=NOW))
    assert segments["MSH"][5:7] == ["", ""]
    assert segments["MSH"][9] == "ACK"
    assert segments["MSH"][12] == "2.5"
    assert segments["MSA"][1:3] == ["AR", ""]
    assert segments["ERR"][3].startswith("100^")
    assert segments["ERR"][2] == ""  # a byte offset is no field location


def test_ack_before_v25_uses_err1_and_two_component_msh9(load_event: LoadEvent) -> None:
    received = load_event("hl7/oru_r01_ft_blob_br.hl7").replace(b"18748-4", b"99999-9")
    error = NoReportTextError("no report text in OBX-5 or NTE-3", where="OBX-5")
    segments = fields(hl7lib.build_ack(received, error=error, now=NOW))
    assert segments["MSH"][9] == "ACK^R01"
    assert segments["MSH"][12] == "2.3"
    assert segments["ERR"][1] == "OBX^1^5^101&Required field missing&HL70357"


@pytest.mark.parametrize(
    ("version", "echoed"), [("2.4.1", "2.4.1"), ("2.9", "2.9"), ("", "2.5"), ("x.y", "x.y")]
)
def test_ack_echoes_versions_hl7apy_does_not_know(version: str, echoed: str) -> None:
    received = f"MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|{version}\rOBR|1||A1"
    assert fields(hl7lib.build_ack(received, now=NOW))["MSH"][12] == echoed


def test_ack_defaults_control_id_and_time() -> None:
    ack = fields(hl7lib.build_ack("MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|T|2.5"))
    assert len(ack["MSH"][10]) == 20 and ack["MSH"][10].isalnum()
    assert len(ack["MSH"][7]) == 14 and ack["MSH"][7].isdigit()
    assert ack["MSH"][11] == "T"  # processing id echoed


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (None, "AA"),
        (UnreadableMessageError("x", where="MSH-2"), "AR"),
        (EncodingError("x", where="MSH-18"), "AR"),
        (UnsupportedMessageTypeError("x", where="MSH-9"), "AR"),
        (NoReportTextError("x", where="OBX-5"), "AE"),
        (NoFindingsError("x", where="OBX-5"), "AE"),
        (ReportError("x"), "AE"),
    ],
)
def test_ack_code_for(error: ReportError | None, code: str) -> None:
    assert hl7lib.ack_code_for(error) == code


def test_explicit_ack_code_wins() -> None:
    ack = hl7lib.build_ack("MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5", code="AR", now=NOW)
    assert fields(ack)["MSA"][1] == "AR"


def test_strict_validation_passes_a_clean_message(load_event: LoadEvent) -> None:
    assert hl7lib.validate_strict(load_event("hl7/oru_r01_line_per_obx_loinc.hl7")) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("oru_r01_repetitions.hl7", "UnsupportedVersion: The version 2.6.1 is not supported"),
        ("zsegments.hl7", "UnsupportedVersion: The version 2.9 is not supported"),
        ("oru_r01_ft_blob_br.hl7", "MaxLengthReached: a value exceeds its maximum length of 199"),
        ("malformed/empty.hl7", "UnreadableMessageError: empty payload (at byte 0)"),
        ("batch_fhs.hl7", "expected one message, payload holds 2"),
    ],
)
def test_strict_validation_reports_structure_only(name: str, problem: str, load_event: LoadEvent) -> None:
    # Given messages our tolerant reader accepts but hl7apy's strict mode does not
    # When validated strictly, Then the problem names structure, never the report text or patient data
    problems = hl7lib.validate_strict(load_event(f"hl7/{name}"))
    assert problems == [problem]


def test_strict_validation_never_quotes_values() -> None:
    # Given a value hl7apy itself would quote in its exception (a name where a date belongs)
    received = "\r".join(
        [
            "MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01^ORU_R01|C1|P|2.5",
            "PID|1||000123^^^H^MR||DOE^JANE||DOEJANEDOB",
            "OBR|1||A1|71046^XR CHEST|||SECRETVALUE",
            "OBX|1|TX|18782-3^Findings^LN||Clear.||||||F",
        ]
    )
    problems = hl7lib.validate_strict(received)
    assert problems
    assert not any(secret in " ".join(problems) for secret in ("DOE", "JANE", "000123", "SECRETVALUE"))


def test_hl7apy_is_imported_by_hl7lib_only_and_python_hl7_by_nothing() -> None:
    # Given every module of the radimpress package
    package = Path(radimpress.__file__).parent
    importers: dict[str, set[str]] = {}
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in {"hl7apy", "hl7"}:
                    importers.setdefault(root, set()).add(source.name)

    # Then hl7apy appears in exactly one module and python-hl7 (bench-only) in none
    assert importers.get("hl7apy") == {"hl7lib.py"}
    assert "hl7" not in importers
