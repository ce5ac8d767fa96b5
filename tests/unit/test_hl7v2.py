"""The HL7 v2 reader: real-world shapes in, reports with sections and metadata out, typed errors else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radimpress.errors import (
    EncodingError,
    NoFindingsError,
    NoReportTextError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.pseudonym import pseudonymize
from radimpress.reading.hl7.header import looks_like_hl7, read_header
from radimpress.reading.hl7.hints import section_hint
from radimpress.reading.hl7.message import parse_message
from radimpress.reading.hl7.segments import split_messages
from radimpress.reading.model import Report, Sections, TextBlock

LoadEvent = Callable[[str], bytes]
KEY = b"unit-test-pseudonym-key"


def read_all(payload: bytes | str, *, key: bytes | None = None) -> list[Report]:
    """Every message of a payload parsed; fails the test on any error."""
    return [
        parse_message(message, source=f"test#{n}", pseudonym_key=key)
        for n, message in enumerate(split_messages(payload), start=1)
    ]


def read_one(payload: bytes | str, *, key: bytes | None = None) -> Report:
    reports = read_all(payload, key=key)
    assert len(reports) == 1
    return reports[0]


def message(*segments: str, msh: str | None = None) -> str:
    header = msh or "MSH|^~\\&|RIS|GENHOSP|RADIMPRESS|GENHOSP|20240311093012||ORU^R01|MSG1|P|2.5"
    return "\r".join([header, *segments])


PID = "PID|1||000123^^^GENHOSP^MR||DOE^JANE||19700101|F"
OBR = "OBR|1||ACC1|71046^XR CHEST 2 VIEWS"
FINDINGS = "OBX|1|TX|18782-3^Findings^LN||The lungs are clear.||||||F"
IMPRESSION = "OBX|2|TX|19005-8^Impression^LN||Normal chest.||||||F"


@pytest.fixture
def captured_blocks(monkeypatch: pytest.MonkeyPatch) -> list[list[TextBlock]]:
    """The TextBlocks the reader hands to the section splitter (which returns findings = all text)."""
    calls: list[list[TextBlock]] = []

    def fake_split(blocks: Sequence[TextBlock]) -> Sections:
        calls.append(list(blocks))
        return Sections(findings="\n".join(b.text for b in blocks))

    monkeypatch.setattr("radimpress.reading.hl7.message.split_sections", fake_split)
    return calls


# --------------------------------------------------------------------------------------------------
# Hand-written real-world fixtures, one per shape
# --------------------------------------------------------------------------------------------------

FIXTURES: dict[str, dict[str, object]] = {
    "oru_r01_line_per_obx_loinc.hl7": {
        "message_type": "ORU^R01",
        "control_id": "MSG00001",
        "version": "2.5.1",
        "accession": "ACC10001",
        "status": "F",
        "procedure_code": "71046",
        "procedure_text": "XR CHEST 2 VIEWS",
        "interpreter": "DR ALEX TESTRAD, MD",
        "observation_time": "20240311084500",
        "sending_application": "EPICRAD",
        "findings": "patchy airspace opacity in the right lower lobe",
        "impression": "compatible with pneumonia",
    },
    "oru_r01_ft_blob_br.hl7": {
        "message_type": "ORU^R01",
        "version": "2.3",
        "accession": "ACC10002",
        "interpreter": "DR ALEX TESTRAD",
        "findings": "No acute intracranial hemorrhage",
        "impression": "No acute intracranial abnormality.",
    },
    "oru_r01_local_gdt_imp.hl7": {
        "accession": "ACC10003",
        "interpreter": "MORGAN TESTRAD",
        "findings": "appendix is dilated to 11 mm",
        "impression": "Acute uncomplicated appendicitis.",
    },
    "oru_r01_hl7_ch7_cwe_imp.hl7": {
        "version": "2.5.1",
        "accession": "ACC70001",
        "procedure_code": "71020",
        "interpreter": "DR KAI TESTRAD",
        "findings": "rounded opacity about 2 cm across lies in the posterior basal segment",
        "impression": "Rounded opacity in the left lower lobe",
    },
    "oru_r01_tx_inline_headers.hl7": {
        "accession": "ACC70002",
        "status": "F",
        "findings": "Patchy consolidation in the right lower lobe.",
        "impression": "Right lower lobe consolidation",
    },
    "oru_r01_repetitions.hl7": {
        "version": "2.6.1",
        "accession": "ACC10004",
        "status": "P",
        "findings": "Lungs are clear.",
        "impression": "No acute cardiopulmonary process.",
    },
    "mdm_t02.hl7": {
        "message_type": "MDM^T02",
        "accession": "ACC10005",
        "status": "F",
        "interpreter": "DR SAM TESTRAD, MD",
        "observation_time": "20240314101500",
        "findings": "small left pleural effusion",
        "impression": "Small left pleural effusion, new since prior.",
    },
    "orf_r04.hl7": {
        "message_type": "ORF^R04",
        "version": "2.3",
        "accession": "ACC10006",
        "interpreter": "Robin Testrad, MD",
        "findings": "No fracture or dislocation.",
        "impression": "No acute osseous abnormality.",
    },
    "latin1.hl7": {
        "accession": "ACC10013",
        "sending_facility": "HÔPITAL GÉNÉRAL",
        "interpreter": "HÉLÈNE TESTRAD",
        "procedure_text": "RADIOGRAPHIE THORACIQUE 2 INCIDENCES",
        "findings": "épanchement pleural. Silhouette cardiaque de taille normale (index 0,45 ; angle à 90°)",
        "impression": "Pas d'anomalie cardiopulmonaire aiguë.",
    },
    "nte_text.hl7": {
        "version": "2.3.1",
        "accession": "ACC10014",
        "interpreter": "ALEX TESTRAD",
        "findings": "diffusely echogenic",
        "impression": "Hepatic steatosis.",
    },
    "multi_obr.hl7": {
        "accession": "ACC10015A",
        "procedure_code": "71260",
        "interpreter": "DR MORGAN TESTRAD",
        "findings": "Two hypodense liver lesions",
        "impression": "Hepatic lesions suspicious for metastases.",
    },
    "corrected_result.hl7": {
        "accession": "ACC10001",
        "status": "C",
        "findings": "LEFT lower lobe",
        "impression": "Left lower lobe pneumonia.",
    },
    "escapes.hl7": {
        "procedure_text": "MR LUMBAR SPINE WO&W",
        "findings": "Sizes 3 & 4 mm | stable ^ unchanged ~ path C:\\temp\\ BOLD hex OK",
        "impression": "L4&L5 disc protrusion | no stenosis.",
    },
    "custom_delimiters.hl7": {
        "accession": "ACC10018",
        "procedure_text": "XR CHEST 2 VIEWS",
        "findings": "Pipes | carets ^ amps & tildes ~ slashes \\ stay literal!bang.",
        "impression": "Normal.",
    },
    "zsegments.hl7": {
        "version": "2.9",
        "accession": "ACC10019",
        "status": "F",  # from OBX-11: OBR-25 is empty
        "findings": "Linear atelectasis at the left base.",
        "impression": "Mild left basilar atelectasis.",
    },
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_reads_into_report_with_metadata_and_sections(name: str, load_event: LoadEvent) -> None:
    # Given a hand-written message in one real-world shape
    payload = load_event(f"hl7/{name}")
    expected = dict(FIXTURES[name])
    findings = str(expected.pop("findings"))
    impression = str(expected.pop("impression"))

    # When it is read
    report = read_one(payload)

    # Then metadata and sections come out as the sender meant them
    assert report.format == "hl7"
    for attribute, value in expected.items():
        assert getattr(report, attribute) == value, attribute
    assert report.sections.findings is not None
    assert findings in report.sections.findings
    assert report.sections.impression is not None
    assert impression in report.sections.impression


def test_local_codes_keep_technologist_comment_and_recommendation_out_of_impression(
    load_event: LoadEvent,
) -> None:
    # Given a report coded with &GDT / &IMP / &REC / &TCM suffixes
    # When it is read
    report = read_one(load_event("hl7/oru_r01_local_gdt_imp.hl7"))

    # Then tech comment and recommendation land in "other", never in the impression
    assert report.sections.impression is not None
    assert "motion artifact" not in report.sections.impression
    assert "Surgical consultation" not in report.sections.impression
    assert report.sections.other is not None
    assert "motion artifact" in report.sections.other
    assert "Surgical consultation" in report.sections.other


def test_local_codes_become_hinted_blocks_in_message_order(
    load_event: LoadEvent, captured_blocks: list[list[TextBlock]]
) -> None:
    # Given &GDT body lines, then &IMP, &REC and &TCM lines
    # When the message is read
    read_one(load_event("hl7/oru_r01_local_gdt_imp.hl7"))

    # Then &GDT gives no hint (the splitter finds its headers), the others map to their sections
    (blocks,) = captured_blocks
    assert [block.hint for block in blocks] == [None, "impression", "other"]
    assert blocks[0].text.startswith("REASON FOR EXAM: Right lower quadrant pain.\n\nFINDINGS:")
    assert (
        blocks[2].text == "Surgical consultation.\nTech: patient could not hold breath; mild motion artifact."
    )


def test_line_per_obx_loinc_codes_are_hints_and_blank_obx_lines_are_kept(
    load_event: LoadEvent, captured_blocks: list[list[TextBlock]]
) -> None:
    # Given one OBX per line coded with LOINC section codes, one of them empty
    read_one(load_event("hl7/oru_r01_line_per_obx_loinc.hl7"))

    # Then each run of a code becomes one block with that section's hint
    (blocks,) = captured_blocks
    assert [block.hint for block in blocks] == ["indication", "comparison", "findings", "impression"]
    assert "right lower lobe.\n\nNo pleural effusion" in blocks[2].text


def test_text_split_across_obrs_is_concatenated_in_order(
    load_event: LoadEvent, captured_blocks: list[list[TextBlock]]
) -> None:
    # Given text split across two OBRs
    report = read_one(load_event("hl7/multi_obr.hl7"))

    # Then every block is handed over in message order, the second accession kept as extra
    (blocks,) = captured_blocks
    text = "\n".join(block.text for block in blocks)
    assert text.index("CHEST: No pulmonary nodules") < text.index("ABDOMEN: Two hypodense")
    assert text.index("ABDOMEN: Two hypodense") < text.index("Hepatic lesions")
    assert report.extra["additional_accessions"] == "ACC10015B"


def test_ft_blob_escapes_become_newlines(
    load_event: LoadEvent, captured_blocks: list[list[TextBlock]]
) -> None:
    # Given the whole report in one FT OBX with \.br\ and \.sp 2\
    read_one(load_event("hl7/oru_r01_ft_blob_br.hl7"))

    # Then the block carries real line breaks (no escape sequence left) and no hint (18748-4 = whole report)
    (blocks,) = captured_blocks
    assert len(blocks) == 1
    assert blocks[0].hint is None
    assert "\\" not in blocks[0].text
    assert "clear.\n\nIMPRESSION:\nNo acute" in blocks[0].text


def test_repetitions_become_lines(load_event: LoadEvent, captured_blocks: list[list[TextBlock]]) -> None:
    read_one(load_event("hl7/oru_r01_repetitions.hl7"))
    (blocks,) = captured_blocks
    assert blocks[0].text.splitlines()[:3] == ["INDICATION: Shortness of breath.", "", "FINDINGS:"]


def test_raw_newline_inside_obx5_continues_the_field(load_event: LoadEvent) -> None:
    # Given an OBX-5 holding a raw line feed (a sender that does not escape it) and Z-segments around
    report = read_one(load_event("hl7/zsegments.hl7"))

    # Then the continuation line stays in the findings and the segments after it still count
    assert report.sections.findings is not None
    assert "No effusion." in report.sections.findings
    assert "billing" not in json.dumps(report.to_json_dict())


def test_mdm_document_metadata_from_txa(load_event: LoadEvent) -> None:
    report = read_one(load_event("hl7/mdm_t02.hl7"))
    assert report.extra == {"document_number": "DOC20240314-0001", "document_type": "RAD"}
    assert report.procedure is None


# --------------------------------------------------------------------------------------------------
# Transport shapes: batches, MLLP, terminators, BOM, encodings
# --------------------------------------------------------------------------------------------------


def test_batch_file_yields_every_message(load_event: LoadEvent) -> None:
    # Given FHS/BHS ... BTS/FTS around two messages
    reports = read_all(load_event("hl7/batch_fhs.hl7"))

    # Then both are read, in order, and the envelope is gone
    assert [r.control_id for r in reports] == ["MSG00007", "MSG00008"]
    assert [r.accession for r in reports] == ["ACC10007", "ACC10008"]


def test_mllp_frames_are_stripped_and_split(load_event: LoadEvent) -> None:
    payload = load_event("hl7/mllp_framed.hl7")
    assert payload.startswith(b"\x0b") and payload.endswith(b"\x1c\r")
    reports = read_all(payload)
    assert [r.accession for r in reports] == ["ACC10009", "ACC10010"]


@pytest.mark.parametrize("name", ["lf_terminated.hl7", "crlf.hl7"])
def test_lf_and_crlf_terminators_and_bom(name: str, load_event: LoadEvent) -> None:
    payload = load_event(f"hl7/{name}")
    (text,) = split_messages(payload)
    assert "\n" not in text and "\ufeff" not in text and text.startswith("MSH|")
    report = read_one(payload)
    assert report.sections.impression is not None


def test_same_message_in_every_transport_shape_reads_the_same() -> None:
    # Given one message as CR, LF, CRLF, BOM + blank lines, MLLP-framed, str and bytes
    base = message(PID, OBR, FINDINGS, IMPRESSION)
    shapes: list[bytes | str] = [
        base,
        base.replace("\r", "\n"),
        base.replace("\r", "\r\n") + "\r\n",
        "\ufeff\n\n  " + base + "\n\n",
        b"\x0b" + base.encode() + b"\r\x1c\r",
        base.encode("utf-8"),
        base.encode("utf-16"),
    ]

    # When each is read, Then the reports are identical
    reports = [read_one(shape) for shape in shapes]
    assert all(r == reports[0] for r in reports)


def test_several_patients_in_one_message_are_split_per_patient() -> None:
    # Given an ORF^R04 answering a query with two patients' results
    msh = "MSH|^~\\&|RIS|H|R|H|20240101||ORF^R04|C1|P|2.3"
    second_pid = "PID|2||000456^^^GENHOSP^MR||ROE^RICHARD"
    payload = message(
        "MSA|AA|Q1", PID, OBR, FINDINGS, second_pid, OBR.replace("ACC1", "ACC2"), FINDINGS, msh=msh
    )

    # When it is split, Then each patient's text is its own message (never concatenated into one report)
    messages = split_messages(payload)
    assert len(messages) == 2
    assert all(m.startswith(msh + "\rMSA|AA|Q1\rPID|") for m in messages)
    reports = read_all(payload, key=KEY)
    assert [r.accession for r in reports] == ["ACC1", "ACC2"]
    assert reports[0].patient_key != reports[1].patient_key


def test_same_patient_repeated_per_order_stays_one_message() -> None:
    payload = message(PID, OBR, FINDINGS, PID.replace("PID|1", "PID|2"), OBR, IMPRESSION)
    assert len(split_messages(payload)) == 1


def test_empty_batch_yields_no_message() -> None:
    assert split_messages("FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1") == []


def test_junk_before_first_msh_is_skipped() -> None:
    payload = b"Message 1 of 1\r\n" + message(PID, OBR, FINDINGS).encode()
    (text,) = split_messages(payload)
    assert text.startswith("MSH|")


def test_latin1_bytes_with_declared_8859_1(load_event: LoadEvent) -> None:
    payload = load_event("hl7/latin1.hl7")
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")
    (text,) = split_messages(payload)
    assert "Pas d'épanchement pleural" in text


def test_utf8_bytes_win_over_a_wrong_msh18() -> None:
    # Given UTF-8 bytes although MSH-18 claims 8859/1 (a common misconfiguration)
    msh = "MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5||||||8859/1"
    payload = message(OBR, "OBX|1|TX|18782-3||Épanchement minime.||||||F", msh=msh).encode("utf-8")
    report = read_one(payload)
    assert report.sections.findings is not None and "Épanchement" in report.sections.findings


def test_cp1252_fallback_when_declared_utf8_is_wrong() -> None:
    # Given Windows-1252 bytes (smart quotes, euro-less) under a declared UTF-8, plus an undefined byte
    msh = "MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5||||||UNICODE UTF-8"
    text = message(OBR, "OBX|1|TX|18782-3||“Stable” nodule — 4 mm.||||||F", msh=msh)
    payload = text.encode("cp1252").replace(b"4 mm", b"4\x81mm")
    (decoded,) = split_messages(payload)
    assert "“Stable” nodule — 4\x81mm." in decoded


def test_declared_single_byte_charset_is_believed_when_bytes_are_not_utf8() -> None:
    msh = "MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5||||||8859/7"
    payload = message(OBR, "OBX|1|TX|18782-3||Πνεύμονες καθαροί.||||||F", msh=msh).encode("iso8859-7")
    (decoded,) = split_messages(payload)
    assert "Πνεύμονες καθαροί." in decoded


def test_str_payload_is_never_re_decoded() -> None:
    text = message(OBR, "OBX|1|TX|18782-3||Ñandú façade.||||||F")
    assert split_messages(text) == [text]


# --------------------------------------------------------------------------------------------------
# looks_like_hl7
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"MSH|^~\\&|RIS", True),
        ("MSH|^~\\&|RIS", True),
        (b"\xef\xbb\xbf\r\n  MSH|^~\\&|RIS", True),
        (b"\x0bMSH|^~\\&|RIS", True),
        (b"FHS|^~\\&|RIS", True),
        ("BHS|^~\\&", True),
        ("MSH!$%#*!RIS", True),
        ("MSH\rPID|1", True),  # a bare MSH: HL7 that lost its delimiters gets the HL7 reader's error
        ("PID|1||000123", True),  # a message without MSH: never read as a text report
        ("MSH".encode("utf-16"), True),
        ("MSH|^~\\&|RIS".encode("utf-16"), True),
        ("MSH|^~\\&|RIS".encode("utf-16-be"), True),
        (b"", False),
        ("", False),
        ("FINDINGS: The lungs are clear.\nIMPRESSION: Normal.", False),
        ("MSHAL: a word", False),
        (b"\x89PNG\r\n\x1a\n", False),
    ],
)
def test_looks_like_hl7(payload: bytes | str, expected: bool) -> None:
    assert looks_like_hl7(payload) is expected


# --------------------------------------------------------------------------------------------------
# Delimiters, message types, versions
# --------------------------------------------------------------------------------------------------


def test_short_msh2_is_completed_with_standard_characters() -> None:
    report = read_one(message(OBR, FINDINGS, msh="MSH|^~\\|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5"))
    assert report.control_id == "C1"


@pytest.mark.parametrize(
    ("msh", "where"),
    [
        ("MSH", "MSH-1"),
        ("MSH RIS", "MSH-1"),
        ("MSH||RIS|H", "MSH-2"),
        ("MSH|^~\\&RIS|H|R|H|20240101||ORU^R01|C1|P|2.5", "MSH-2"),
        ("MSH|^^\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5", "MSH-2"),
        ("MSH|~^&|RIS|H|R|H|20240101||ORU^R01|C1|P|2.5", "MSH-2"),
        ("MSH|^~\\&|RIS|H|R|H|2024", "MSH-9"),
    ],
)
def test_unusable_msh_is_unreadable_with_location(msh: str, where: str) -> None:
    with pytest.raises(UnreadableMessageError) as caught:
        parse_message(message(OBR, FINDINGS, msh=msh), source="t", pseudonym_key=None)
    assert caught.value.where == where


@pytest.mark.parametrize(
    "message_type",
    ["ORU^R01", "ORU^R01^ORU_R01", "oru^r01", "ORU", "ORU_R01", "^^ORU_R01", "ORF^R04", "MDM^T02", "MDM^T10"],
)
def test_result_message_types_are_accepted(message_type: str) -> None:
    msh = f"MSH|^~\\&|RIS|H|R|H|20240101||{message_type}|C1|P|2.5"
    report = read_one(message(OBR, FINDINGS, msh=msh))
    assert report.message_type is not None and report.message_type.split("^")[0] in {"ORU", "ORF", "MDM"}


@pytest.mark.parametrize("message_type", ["ADT^A01", "ORM^O01", "ACK^R01", "OMI^O23", "", "^"])
def test_other_message_types_are_unsupported(message_type: str) -> None:
    msh = f"MSH|^~\\&|RIS|H|R|H|20240101||{message_type}|C1|P|2.5"
    with pytest.raises(UnsupportedMessageTypeError) as caught:
        parse_message(message(OBR, FINDINGS, msh=msh), source="t", pseudonym_key=None)
    assert caught.value.where == "MSH-9"


@pytest.mark.parametrize(
    "version", ["2.2", "2.3", "2.3.1", "2.4", "2.4.1", "2.5.1", "2.6.1", "2.8", "2.9", ""]
)
def test_any_version_is_accepted(version: str) -> None:
    msh = f"MSH|^~\\&|RIS|H|R|H|20240101||ORU^R01|C1|P|{version}"
    assert read_one(message(OBR, FINDINGS, msh=msh)).version == (version or None)


def test_second_msh_in_one_message_is_refused() -> None:
    with pytest.raises(UnreadableMessageError):
        parse_message(message(OBR, FINDINGS, message(OBR)), source="t", pseudonym_key=None)


# --------------------------------------------------------------------------------------------------
# Observations: value types, NTE, hints
# --------------------------------------------------------------------------------------------------


def test_coded_values_contribute_their_text(captured_blocks: list[list[TextBlock]]) -> None:
    read_one(
        message(
            OBR,
            "OBX|1|CWE|19005-8^Impression^LN||RID5352^Normal chest^RADLEX||||||F",
            "OBX|2|CE|18782-3^Findings^LN||^^^^Clear lungs~C2^No effusion||||||F",
            "OBX|3|NM|8867-4^Heart rate^LN||72|/min|||||F",
            "OBX|4|ED|PDF^Report^L||^application^pdf^Base64^JVBERi0x||||||F",
            "OBX|5||GDT||Untyped text line.||||||F",
        )
    )
    (blocks,) = captured_blocks
    assert [(b.text, b.hint) for b in blocks] == [
        ("Normal chest", "impression"),
        ("Clear lungs\nNo effusion", "findings"),
        ("Untyped text line.", None),
    ]


def test_nte_after_obx_belongs_to_that_observation(captured_blocks: list[list[TextBlock]]) -> None:
    read_one(
        message(
            OBR,
            "NTE|1|L|Order comment.",
            IMPRESSION,
            "NTE|1|L|Discussed with Dr. Referrer at 10:05.",
        )
    )
    (blocks,) = captured_blocks
    assert [(b.text, b.hint) for b in blocks] == [
        ("Order comment.", None),
        ("Normal chest.\nDiscussed with Dr. Referrer at 10:05.", "impression"),
    ]


@pytest.mark.parametrize(
    ("observation_id", "hint"),
    [
        ("18782-3^Radiology Study observation^LN", "findings"),
        ("19005-8^Impression^LN", "impression"),
        ("18834-2^Comparison^LN", "comparison"),
        ("11329-0^History^LN", "indication"),
        ("55752-0^Clinical information^LN", "indication"),
        ("18785-6^Reason for study^LN", "indication"),
        ("55111-9^Current procedure^LN", "technique"),
        ("55107-7^Addendum^LN", "addendum"),
        ("18783-1^Recommendation^LN", "other"),
        ("18748-4^Diagnostic imaging report^LN", None),
        ("LOCAL1^Whatever^L^19005-8^Impression^LN", "impression"),
        ("121071^Finding^DCM", "findings"),
        ("121073^Impression^DCM", "impression"),
        ("121070", None),  # a bare number is a local code, not DICOM
        ("&GDT", None),
        ("71020&GDT", None),
        ("&GDT^General Description", None),
        ("&GDT^FINDINGS", "findings"),
        ("&IMP", "impression"),
        ("&ADN", "addendum"),
        ("&ADT", "addendum"),
        ("&TCM", "other"),
        ("&REC", "other"),
        ("71020&IMP^Radiologist's Impression^C4", "impression"),
        ("71020&REC^Radiologist's Recommendation^C4", "other"),
        ("71020&GDT^Radiologist's Description^C4", None),  # the body: no section of its own
        ("19005-8&IMP^Impression^LN", "impression"),  # the LOINC code before its suffix
        ("18782-3&GDT^Findings^LN", "findings"),
        ("18748-4&GDT^Diagnostic imaging report^LN", None),
        ("121072&IMP^Impressions^DCM", "impression"),
        ("GDT", None),
        ("IMP", "impression"),
        ("FIND^FINDINGS^L", "findings"),
        ("IMP^IMPRESSION^L", "impression"),
        ("RAD_HISTORY^Clinical history^L", "indication"),
        ("COMP^Comparison studies^L", "comparison"),
        ("TECH^Technique^L", "technique"),
        ("ADD^Addendum^L", "addendum"),
        ("FI^FINDINGS AND IMPRESSION^L", None),
        ("TECHNOLOGIST NOTE^^L", "other"),
        ("XYZ^Something else^L", None),
        ("", None),
    ],
)
def test_section_hint_from_obx3(observation_id: str, hint: str | None) -> None:
    assert section_hint(observation_id) == hint


# --------------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------------


def obr(**fields: str) -> str:
    values = [""] * 33
    values[0], values[1] = "OBR", "1"
    for key, value in fields.items():
        values[int(key.removeprefix("f"))] = value
    return "|".join(values).rstrip("|")


@pytest.mark.parametrize(
    ("segments", "accession"),
    [
        ([obr(f2="PLC1", f3="FIL1^RIS", f18="P18")], "FIL1"),
        ([obr(f2="PLC1", f18="P18")], "P18"),
        ([obr(f2="PLC1^RIS")], "PLC1"),
        (["ORC|RE|PLC9|FIL9", obr()], "FIL9"),
        (["ORC|RE|PLC9", obr()], "PLC9"),
        ([obr()], None),
    ],
)
def test_accession_fallbacks(segments: list[str], accession: str | None) -> None:
    assert read_one(message(*segments, FINDINGS)).accession == accession


@pytest.mark.parametrize(
    ("obr25", "obx_statuses", "expected"),
    [
        ("F", ["P", "P"], "F"),
        ("", ["F", "F"], "F"),
        ("", ["F", "C"], "C"),
        ("", ["A", "F"], "A"),
        ("", ["", "P"], "P"),
        ("", ["", ""], None),
        ("Final", [], "F"),
        ("corrected", [], "C"),
    ],
)
def test_status_from_obr25_then_obx11(obr25: str, obx_statuses: list[str], expected: str | None) -> None:
    observations = [
        f"OBX|{n}|TX|18782-3||Line {n}.||||||{status}" for n, status in enumerate(obx_statuses or [""], 1)
    ]
    report = read_one(message(obr(f3="A1", f25=obr25), *observations))
    assert report.status == expected


@pytest.mark.parametrize(
    ("trigger", "txa17", "obx11", "expected"),
    [
        ("T02", "AU", "", "F"),
        ("T02", "LA", "", "F"),
        ("T02", "PA", "", "P"),
        ("T02", "IP", "F", "P"),
        ("T02", "DI", "", "P"),
        ("T02", "", "F", "F"),
        ("T02", "AU", "C", "C"),
        ("T08", "AU", "", "C"),
        ("T10", "LA", "", "C"),
        ("T06", "AU", "", "A"),
    ],
)
def test_mdm_status_from_txa17(trigger: str, txa17: str, obx11: str, expected: str) -> None:
    msh = f"MSH|^~\\&|DICT|H|R|H|20240101||MDM^{trigger}|C1|P|2.6"
    txa = "|".join(["TXA", "1", "RAD", "TX", "20240101", *[""] * 7, "DOC1", "", "", "", "", txa17])
    report = read_one(message(PID, txa, f"OBX|1|TX|FIND^FINDINGS^L||Clear.||||||{obx11}", msh=msh))
    assert report.status == expected
    assert report.accession == "DOC1"


@pytest.mark.parametrize(
    ("obr32", "expected"),
    [
        ("1234&TESTRAD&ALEX&&&DR&MD", "DR ALEX TESTRAD, MD"),
        ("1234&TESTRAD&ALEX^20240101^20240102", "ALEX TESTRAD"),
        ("1234^TESTRAD^ALEX^Q^JR^DR^MD", "DR ALEX Q TESTRAD JR, MD"),
        ("TESTRAD^ALEX", "ALEX TESTRAD"),
        ("Alex Testrad, MD", "Alex Testrad, MD"),
        ("1234", "1234"),
        ("1234&&&", "1234"),
        ("TESTRAD\\S\\ALEX", "TESTRAD^ALEX"),
        ("~1234&TESTRAD&ALEX", None),
        ("", None),
    ],
)
def test_interpreter_rendered_readably(obr32: str, expected: str | None) -> None:
    assert read_one(message(obr(f3="A1", f32=obr32), FINDINGS)).interpreter == expected


def test_patient_identity_never_reaches_the_report() -> None:
    # Given a message full of PID data
    pid = "PID|1|EXT1|000123^^^GENHOSP&1.2.3&ISO^MR~999-00-0000^^^SSA^SS||DOE^JANE^Q||19700101|F|||1 FAKE ST"

    # When it is read with a pseudonym key
    report = read_one(message(pid, OBR, FINDINGS), key=KEY)

    # Then only the keyed pseudonym of PID-3 (+ assigning authority) is kept
    assert report.patient_key == pseudonymize("000123^GENHOSP", KEY)
    dumped = json.dumps(report.as_dict())
    for phi in ("DOE", "JANE", "000123", "19700101", "999-00-0000", "FAKE ST", "EXT1"):
        assert phi not in dumped


@pytest.mark.parametrize(
    ("pid", "key", "expected"),
    [
        ("PID|1||000123", KEY, pseudonymize("000123", KEY)),
        ("PID|1||000123^^^GENHOSP^MR", None, None),
        ("PID|1||", KEY, None),
        ("PID|1", KEY, None),
    ],
)
def test_patient_key_only_with_key_and_pid3(pid: str, key: bytes | None, expected: str | None) -> None:
    assert read_one(message(pid, OBR, FINDINGS), key=key).patient_key == expected


def test_no_pid_no_patient_key() -> None:
    assert read_one(message(OBR, FINDINGS), key=KEY).patient_key is None


# --------------------------------------------------------------------------------------------------
# Malformed corpus: each case its typed error, and where
# --------------------------------------------------------------------------------------------------

MALFORMED: list[tuple[str, type[ReportError], str]] = [
    ("truncated.hl7", UnreadableMessageError, "MSH-9"),
    ("binary.bin", UnreadableMessageError, "byte 0"),
    ("empty.hl7", UnreadableMessageError, "byte 0"),
    ("whitespace_only.hl7", UnreadableMessageError, "byte 0"),
    ("no_msh.hl7", UnreadableMessageError, "MSH"),
    ("msh_without_delimiters.hl7", UnreadableMessageError, "MSH-1"),
    ("msh_empty_encoding.hl7", UnreadableMessageError, "MSH-2"),
    ("adt_a01.hl7", UnsupportedMessageTypeError, "MSH-9"),
    ("no_report_text.hl7", NoReportTextError, "OBX-5"),
    ("no_findings.hl7", NoFindingsError, "OBX-5"),
    ("bad_charset.hl7", EncodingError, "MSH-18 (byte 194)"),
]


@pytest.mark.parametrize(("name", "error", "where"), MALFORMED)
def test_malformed_message_raises_its_typed_error(
    name: str, error: type[ReportError], where: str, load_event: LoadEvent
) -> None:
    # Given a malformed payload
    payload = load_event(f"hl7/malformed/{name}")

    # When it is read, Then exactly its typed error is raised, saying where
    with pytest.raises(ReportError) as caught:
        read_all(payload)
    assert type(caught.value) is error
    assert caught.value.where == where


def test_bad_escapes_are_kept_literally(load_event: LoadEvent) -> None:
    # Given odd hex, unknown and unterminated escapes (tolerated by design: no error)
    report = read_one(load_event("hl7/malformed/bad_escapes.hl7"))

    # Then the text is kept literally where it is not a valid escape
    assert report.sections.findings is not None
    assert "Odd hex \\X4\\ unknown \\Q\\ bad sp \\.sp abc\\ path C:\\temp|ok unterminated \\F" in (
        report.sections.findings
    )


def test_ten_megabyte_body_is_refused_quickly() -> None:
    # Given a 10 MB report body (generated, not checked in)
    line = "OBX|{n}|TX|18782-3||" + "x" * 990 + "||||||F"
    body = "\r".join(line.format(n=n) for n in range(10_000))
    payload = message(PID, OBR, body).encode()
    assert len(payload) > 10_000_000

    # When it is read
    started = time.perf_counter()
    with pytest.raises(UnreadableMessageError) as caught:
        read_all(payload)

    # Then it is refused as too much text, where the text is, without parsing it all first
    assert caught.value.where == "OBX-5"
    assert time.perf_counter() - started < 5


def test_oversized_payload_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("radimpress.reading.hl7.decoding.MAX_PAYLOAD_BYTES", 100)
    with pytest.raises(UnreadableMessageError) as caught:
        split_messages(message(OBR, FINDINGS, FINDINGS).encode())
    assert caught.value.where == "payload"


def test_invalid_utf16_is_an_encoding_error() -> None:
    with pytest.raises(EncodingError):
        split_messages(b"\xff\xfeM\x00S\x00H\x00|\x00\x00\xd8")


def test_read_header_for_routing_and_acks() -> None:
    header = read_header(b"\x0b" + message(OBR).encode() + b"\x1c\r")
    assert header.message_type == "ORU^R01"
    assert (header.sending_application, header.sending_facility) == ("RIS", "GENHOSP")
    assert (header.control_id, header.processing_id, header.version) == ("MSG1", "P", "2.5")
    with pytest.raises(UnreadableMessageError):
        read_header(b"")


# --------------------------------------------------------------------------------------------------
# Never another exception, whatever the input
# --------------------------------------------------------------------------------------------------


def read_or_error(payload: bytes | str) -> list[Report | ReportError]:
    try:
        messages = split_messages(payload)
    except ReportError as exc:
        return [exc]
    outcomes: list[Report | ReportError] = []
    for text in messages:
        try:
            outcomes.append(parse_message(text, source="fuzz", pseudonym_key=KEY))
        except ReportError as exc:
            outcomes.append(exc)
    return outcomes


HL7ISH_PIECES = (
    "MSH|^~\\&|", "MSH", "|", "^", "~", "\\", "&", "\r", "\n", "\r\n", "\x0b", "\x1c", "ORU^R01", "MDM^T02",
    "OBX|1|TX|18782-3||", "OBX|", "OBR|1||A|", "PID|1||1", "NTE|1||", "TXA|", "FHS|", "BTS|", "\\.br\\",
    "\\X41\\", "FINDINGS:", "IMPRESSION:", "text ", "é", "\x00", "\ufeff", "2.5", "|F",
)  # fmt: skip
HL7ISH = st.lists(st.sampled_from(HL7ISH_PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HL7ISH)
def test_hl7ish_text_gives_reports_or_typed_errors(payload: str) -> None:
    for outcome in read_or_error(payload):
        assert isinstance(outcome, Report | ReportError)
    for outcome in read_or_error(payload.encode("utf-8", "surrogatepass")):
        assert isinstance(outcome, Report | ReportError)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_reports_or_typed_errors(payload: bytes) -> None:
    for outcome in read_or_error(b"MSH|^~\\&|" + payload):
        assert isinstance(outcome, Report | ReportError)
    for outcome in read_or_error(payload):
        assert isinstance(outcome, Report | ReportError)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_fixtures_give_reports_or_typed_errors(data: st.DataObject) -> None:
    # Given a real fixture, truncated and with a byte flipped somewhere
    base = message(PID, OBR, FINDINGS, IMPRESSION, "NTE|1||Note \\.sp 2\\ done").encode()
    cut = data.draw(st.integers(0, len(base)))
    at = data.draw(st.integers(0, max(0, cut - 1)))
    byte = data.draw(st.integers(0, 255))
    mutated = bytearray(base[:cut])
    if mutated:
        mutated[at] = byte

    # Then reading it gives a report or a typed error, nothing else
    for outcome in read_or_error(bytes(mutated)):
        assert isinstance(outcome, Report | ReportError)
