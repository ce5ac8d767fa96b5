"""Sections coded in OBX-3 with subcomponent suffixes (``<code>&IMP``, ``&GDT``, ``&REC``) and impressions
sent as coded (CWE) values: the shape of HL7 v2.5.1 chapter 7's chest X-ray example
(``events/hl7/oru_r01_hl7_ch7_cwe_imp.hl7``, see ``events/hl7/README.md``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from radimpress.reading.hl7.hints import BODY, hint
from radimpress.reading.hl7.message import parse_message
from radimpress.reading.model import Report, Sections, TextBlock
from radimpress.reading.sections.split import BodyBlock, split_sections

LoadEvent = Callable[[str], bytes]

MSH = "MSH|^~\\&|RIS|SYNTHHOSP|RADIMPRESS|SYNTHHOSP|20240415103000||ORU^R01|MSG1|P|2.5.1"
OBR = "OBR|1||ACC1|71020^XR CHEST PA AND LATERAL^C4"
IMP = "71020&IMP^Radiologist's Impression^C4"
GDT = "71020&GDT^Radiologist's Description^C4"
REC = "71020&REC^Radiologist's Recommendation^C4"


def read(*segments: str) -> Report:
    return parse_message("\r".join([MSH, OBR, *segments]), source="test")


@pytest.fixture
def captured_blocks(monkeypatch: pytest.MonkeyPatch) -> list[list[TextBlock]]:
    calls: list[list[TextBlock]] = []

    def fake_split(blocks: Sequence[TextBlock]) -> Sections:
        calls.append(list(blocks))
        return Sections(findings="\n".join(b.text for b in blocks))

    monkeypatch.setattr("radimpress.reading.hl7.message.split_sections", fake_split)
    return calls


def test_the_chapter_7_example_reads_impressions_findings_and_recommendation(load_event: LoadEvent) -> None:
    # Given the standard's chest X-ray shape: three CWE impressions coded 71020&IMP, then the FT
    # description coded 71020&GDT, then a CWE recommendation coded 71020&REC
    payload = load_event("hl7/oru_r01_hl7_ch7_cwe_imp.hl7").decode("ascii")

    # When it is read
    report = parse_message(payload, source="ch7")

    # Then each impression value gives its text component, the description is the findings and the
    # recommendation stays out of the impression
    assert report.sections.impression == (
        "Rounded opacity in the left lower lobe\n"
        "Patchy airspace opacity in the right middle lobe\n"
        "Normal heart size"
    )
    assert report.sections.findings is not None
    assert report.sections.findings.startswith("A rounded opacity about 2 cm across")
    assert report.sections.findings.endswith("No pleural effusion.")
    assert report.sections.findings.count("\n") == 2  # the FT value's two \.br\ breaks
    assert report.sections.other == "Repeat chest radiograph in 4 weeks"


def test_the_chapter_7_example_gives_a_body_block_after_the_impression_block(
    load_event: LoadEvent, captured_blocks: list[list[TextBlock]]
) -> None:
    # Given the chapter 7 shape, When it is read
    parse_message(load_event("hl7/oru_r01_hl7_ch7_cwe_imp.hl7").decode("ascii"), source="ch7")

    # Then the blocks are impression, body (&GDT, no hint of its own) and other, in message order
    (blocks,) = captured_blocks
    assert [(type(b).__name__, b.hint) for b in blocks] == [
        ("TextBlock", "impression"),
        ("BodyBlock", None),
        ("TextBlock", "other"),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param("^Small left effusion", "Small left effusion", id="text-only"),
        pytest.param("RID34539^Pleural effusion^RADLEX", "Pleural effusion", id="code-text-system"),
        pytest.param("C1^^L^^Alternate text^L", "Alternate text", id="alternate-text"),
        pytest.param("NORMAL", "NORMAL", id="code-only"),
    ],
)
def test_a_cwe_impression_value_gives_its_text(value: str, text: str) -> None:
    # Given an impression sent as one coded value under <code>&IMP, and a findings description
    report = read(f"OBX|1|CWE|{IMP}|1|{value}||||||F", f"OBX|2|FT|{GDT}|1|The lungs are clear.||||||F")

    # Then the impression is the value's text (alternate text, then the code, when there is no text)
    assert report.sections.impression == text
    assert report.sections.findings == "The lungs are clear."


def test_the_description_first_and_the_impression_after_read_the_same() -> None:
    # Given the same report with the &GDT description before and after the &IMP values
    impression = f"OBX|1|CWE|{IMP}|1|^No acute disease||||||F"
    description = f"OBX|2|FT|{GDT}|1|Clear lungs.\\.br\\Normal heart.||||||F"

    # When both orders are read
    impression_first = read(impression, description).sections
    description_first = read(description, impression).sections

    # Then the sections are the same
    assert impression_first == description_first
    assert impression_first.findings == "Clear lungs.\nNormal heart."
    assert impression_first.impression == "No acute disease"


def test_a_description_with_its_own_headers_after_the_impression_is_split_by_them() -> None:
    # Given &IMP values first, then a &GDT description that carries its own history and findings headers
    report = read(
        f"OBX|1|CWE|{IMP}|1|^Pneumonia||||||F",
        f"OBX|2|FT|{GDT}|1|HISTORY: Fever.\\.br\\FINDINGS: Right lower lobe consolidation.||||||F",
    )

    # Then its headers split it and the coded impression is kept
    assert report.sections.indication == "Fever."
    assert report.sections.findings == "Right lower lobe consolidation."
    assert report.sections.impression == "Pneumonia"


def test_a_headerless_description_after_the_impression_keeps_the_history_to_its_first_paragraph() -> None:
    # Given &IMP first, then a description with a history header but no findings header
    report = read(
        f"OBX|1|CWE|{IMP}|1|^Normal chest||||||F",
        f"OBX|2|FT|{GDT}|1|HISTORY: Cough.\\.br\\\\.br\\The lungs are clear.||||||F",
    )

    # Then, as at the start of a report, the history is its first paragraph and the rest is the findings
    assert report.sections.indication == "Cough."
    assert report.sections.findings == "The lungs are clear."
    assert report.sections.impression == "Normal chest"


def test_a_note_after_the_description_is_part_of_the_body() -> None:
    report = read(
        f"OBX|1|CWE|{IMP}|1|^Normal chest||||||F",
        f"OBX|2|FT|{GDT}|1|The lungs are clear.||||||F",
        "NTE|1|L|No pneumothorax.",
    )
    assert report.sections.findings == "The lungs are clear.\nNo pneumothorax."
    assert report.sections.impression == "Normal chest"


def test_an_unhinted_block_after_the_impression_still_continues_it() -> None:
    # Given an observation whose code names nothing (no &GDT) after an impression
    report = read(
        "OBX|1|TX|18782-3^Findings^LN|1|Clear lungs.||||||F",
        f"OBX|2|CWE|{IMP}|1|^Normal chest||||||F",
        "OBX|3|TX|XYZ^Comment^L|1|No change since 2020.||||||F",
    )

    # Then it continues the impression, as before: only the body starts afresh
    assert report.sections.impression == "Normal chest\nNo change since 2020."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("71020&GDT^Radiologist's Description^C4", BODY),
        ("&GDT", BODY),
        ("GDT^Report Text^L", BODY),
        ("&GDT^FINDINGS", "findings"),  # a keyword names the section: not just the body
        ("&GDT&IMP", "impression"),  # a suffix that names a section wins over the body
        ("&IMP&REC", None),  # two that name different sections: the text decides
        ("18748-4^Diagnostic imaging report^LN", None),
        ("XYZ^Something else^L", None),
    ],
)
def test_the_gdt_suffix_marks_the_body_only_when_nothing_names_a_section(
    raw: str, expected: str | None
) -> None:
    assert hint(raw, "^", "&") == expected


def test_a_body_block_after_an_impression_block_is_the_findings() -> None:
    blocks = [TextBlock("Normal chest.", "impression"), BodyBlock("The lungs are clear.")]
    assert split_sections(blocks) == Sections(findings="The lungs are clear.", impression="Normal chest.")


def test_a_body_block_with_an_impression_header_after_an_impression_block() -> None:
    # Given a body that repeats the impression under its own header after the coded impression
    blocks = [TextBlock("Normal.", "impression"), BodyBlock("Clear lungs.\nIMPRESSION: Normal chest.")]

    # Then both impressions are kept, in order, and the body's unheaded text is the findings
    assert split_sections(blocks) == Sections(findings="Clear lungs.", impression="Normal.\nNormal chest.")
