"""Plain-text reports: decoding, what is refused as unreadable, and the no-findings error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import radimpress.reading.plaintext
from radimpress.errors import NoFindingsError, ReportError, UnreadableMessageError
from radimpress.reading.plaintext import decode_text, parse_text_report
from radimpress.reading.reports import read_report

REPORT = "INDICATION: Cough.\nFINDINGS: The lungs are clear.\nIMPRESSION: Normal chest.\n"


def test_a_utf8_text_report_becomes_a_text_report_with_sections_only() -> None:
    # Given a plain-text report as UTF-8 bytes
    payload = REPORT.encode("utf-8")

    # When it is read
    report = parse_text_report(payload, source="report.txt")

    # Then it is a text report with its sections and no metadata
    assert report.source == "report.txt"
    assert report.format == "text"
    assert report.sections.indication == "Cough."
    assert report.sections.findings == "The lungs are clear."
    assert report.sections.impression == "Normal chest."
    metadata = (report.message_type, report.control_id, report.accession, report.status, report.patient_key)
    assert metadata == (None, None, None, None, None)


def test_a_fixture_reads_as_a_text_report(load_event: Callable[[str], bytes]) -> None:
    report = parse_text_report(load_event("text/conclusion.txt"), source="conclusion.txt")
    assert report.sections.impression is not None
    assert report.sections.impression.startswith("Right upper lobe mass")


@pytest.mark.parametrize(
    ("payload", "findings"),
    [
        pytest.param(b"\xef\xbb\xbfFINDINGS: Clear.", "Clear.", id="utf8-bom"),
        pytest.param("\ufeffFINDINGS: Clear.", "Clear.", id="str-bom"),
        pytest.param("FINDINGS: Caf\u00e9 \u2013 clear.".encode(), "Caf\u00e9 \u2013 clear.", id="utf8"),
        pytest.param(
            b"FINDINGS: \x93Ground-glass\x94 opacity \x96 right apex\x85",
            "\u201cGround-glass\u201d opacity \u2013 right apex\u2026",
            id="cp1252-smart-quotes",
        ),
        pytest.param(b"FINDINGS: Caf\xe9 au lait spot.", "Caf\u00e9 au lait spot.", id="cp1252-accent"),
        pytest.param(
            b"FINDINGS: Clear lungs, \x81 no effusion.",
            "Clear lungs, \x81 no effusion.",
            id="latin1-fallback",
        ),
        pytest.param("FINDINGS: Clear.".encode("utf-16"), "Clear.", id="utf16-with-bom"),
        pytest.param(bytearray(b"FINDINGS: Clear."), "Clear.", id="bytearray"),
    ],
)
def test_bytes_are_decoded_with_fallbacks(payload: bytes | str, findings: str) -> None:
    # Given a report in one of the encodings senders really use; When read; Then the text is intact
    assert parse_text_report(payload, source="t").sections.findings == findings


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param("", id="empty-str"),
        pytest.param(b" \r\n\t \n", id="whitespace"),
        pytest.param(b"\xef\xbb\xbf", id="bom-only"),
        pytest.param(b"FINDINGS: Clear.\x00\x00\x00", id="nul-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", id="png"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 5 >>\x00", id="pdf"),
        pytest.param(bytes(range(1, 9)) * 40 + b"FINDINGS: Clear.", id="mostly-control-characters"),
        pytest.param("FINDINGS: \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd", id="replacement-characters"),
    ],
)
def test_empty_or_binary_payloads_are_unreadable(payload: bytes | str) -> None:
    # Given a payload that is not a readable text report; When read; Then it is refused, saying where
    with pytest.raises(UnreadableMessageError) as caught:
        parse_text_report(payload, source="t")
    assert caught.value.code == "unreadable"
    assert caught.value.where == "body"


def test_truncated_utf16_is_unreadable_at_its_byte_offset() -> None:
    # Given UTF-16 text (BOM) cut in the middle of a character
    with pytest.raises(UnreadableMessageError) as caught:
        parse_text_report(b"\xff\xfeF\x00I\x00N", source="t")

    # Then the error points at the byte where decoding failed
    assert caught.value.where == "byte 6"


def test_a_report_without_findings_is_refused() -> None:
    # Given an impression-only report
    payload = b"INDICATION: Chest pain.\nIMPRESSION: No acute cardiopulmonary abnormality."

    # When read; Then the typed no-findings error
    with pytest.raises(NoFindingsError) as caught:
        parse_text_report(payload, source="t")
    assert caught.value.code == "no_findings"
    assert isinstance(caught.value, ReportError)


def test_a_few_control_characters_do_not_make_a_report_binary() -> None:
    # Given a report with a stray form feed and escape character from a legacy system
    text = decode_text(b"FINDINGS: Clear lungs.\x0c\nIMPRESSION: Normal.\x1b")

    # Then it is still text
    assert text.startswith("FINDINGS")


def test_read_report_takes_the_text_path() -> None:
    report = read_report(REPORT.encode(), source="r.txt", fmt="text")
    assert report.format == "text"
    assert report.sections.findings == "The lungs are clear."


def test_a_defect_in_splitting_still_surfaces_as_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a splitter that fails unexpectedly
    def broken(text: str) -> None:
        raise RuntimeError("defect")

    monkeypatch.setattr(radimpress.reading.plaintext, "split_text", broken)

    # When a report is read; Then the caller still gets a ReportError, never the raw exception
    with pytest.raises(UnreadableMessageError, match="RuntimeError"):
        parse_text_report(b"FINDINGS: Clear.", source="t")
