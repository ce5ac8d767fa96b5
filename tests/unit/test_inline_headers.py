"""Colon-less section headers inside running text (``History … Findings … Conclusions …``): the forms that
are headers, the label words in prose that are not, and where the scan is not run at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radimpress.reading.model import SECTION_NAMES, SectionName, TextBlock
from radimpress.reading.sections.inline import inline_headers
from radimpress.reading.sections.split import split_detailed, split_text


def sections(**expected: str | None) -> dict[str, str | None]:
    """All seven sections, ``None`` unless given."""
    return {name: expected.get(name) for name in SECTION_NAMES}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "History Cough. Findings The lungs are clear. Conclusions No acute disease.",
            sections(indication="Cough.", findings="The lungs are clear.", impression="No acute disease."),
            id="capitalised-one-line",
        ),
        pytest.param(
            "INDICATION chest pain FINDINGS The lungs are clear. IMPRESSION No acute disease.",
            sections(
                indication="chest pain", findings="The lungs are clear.", impression="No acute disease."
            ),
            id="all-caps-no-sentence-end",
        ),
        pytest.param(
            "Findings The heart is normal. Conclusion Normal.",
            sections(findings="The heart is normal.", impression="Normal."),
            id="findings-at-text-start",
        ),
        pytest.param(
            "Clinical information Fall. Technique Two views. Comparison None. Findings Clear. Impression Ok.",
            sections(
                indication="Fall.",
                technique="Two views.",
                comparison="None.",
                findings="Clear.",
                impression="Ok.",
            ),
            id="every-section",
        ),
        pytest.param(
            "Clinical Information Fall. Findings Clear. Impression Normal.",
            sections(indication="Fall.", findings="Clear.", impression="Normal."),
            id="title-case-two-words",
        ),
        pytest.param(
            "Reason for exam Fever. Findings Clear lungs. Opinion Normal chest.",
            sections(indication="Fever.", findings="Clear lungs.", impression="Normal chest."),
            id="weak-impression-label",
        ),
        pytest.param(
            "History 45-year-old smoker. Findings 2 cm nodule in the right upper lobe. Summary Nodule.",
            sections(
                indication="45-year-old smoker.",
                findings="2 cm nodule in the right upper lobe.",
                impression="Nodule.",
            ),
            id="bodies-starting-with-digits",
        ),
        pytest.param(
            "INDICATION Cough. FINDINGS There is no effusion. Impression In keeping with a normal chest.",
            sections(
                indication="Cough.",
                findings="There is no effusion.",
                impression="In keeping with a normal chest.",
            ),
            id="capitalised-body-word-that-is-prose-in-lower-case",
        ),
        pytest.param(
            "FINDINGS: The lungs are clear. Conclusion Normal chest.",
            sections(findings="The lungs are clear.", impression="Normal chest."),
            id="colon-findings-colon-less-conclusion",
        ),
        pytest.param(
            "History Cough.\nFindings The lungs are clear. No effusion.\nImpression\nNormal.",
            sections(indication="Cough.", findings="The lungs are clear. No effusion.", impression="Normal."),
            id="line-starts",
        ),
        pytest.param(
            "History Cough. Findings The lungs are clear. Impression\nNormal chest.",
            sections(indication="Cough.", findings="The lungs are clear.", impression="Normal chest."),
            id="label-at-line-end-body-below",
        ),
        pytest.param(
            'History Cough "at night." Findings Clear. Impression Normal.',
            sections(indication='Cough "at night."', findings="Clear.", impression="Normal."),
            id="after-a-closing-quote",
        ),
        pytest.param(
            "Dyspnea Findings The lungs are clear Impression Normal chest",
            sections(findings="The lungs are clear", impression="Normal chest", other="Dyspnea"),
            id="capitalised-mid-sentence-with-no-period",
        ),
        pytest.param(
            "Indication chest pain Comparison None Findings The lungs are clear. Impression Normal.",
            sections(
                indication="chest pain",
                comparison="None",
                findings="The lungs are clear.",
                impression="Normal.",
            ),
            id="capitalised-label-with-lower-case-body-opening-the-text",
        ),
        pytest.param(
            "Comparison CT chest (part of a CT scan) Findings There is no nodule. Impression Normal.",
            sections(
                comparison="CT chest (part of a CT scan)",
                findings="There is no nodule.",
                impression="Normal.",
            ),
            id="after-a-closing-bracket",
        ),
        pytest.param(
            "INDICATION cough COMPARISON CT of 2020 FINDINGS The lungs are clear. IMPRESSION Normal.",
            sections(
                indication="cough",
                comparison="CT of 2020",
                findings="The lungs are clear.",
                impression="Normal.",
            ),
            id="all-caps-label-then-an-acronym",
        ),
        pytest.param(
            "HISTORY cough  FINDINGS  CLEAR LUNGS. IMPRESSION\tNORMAL.",
            sections(indication="cough", findings="CLEAR LUNGS.", impression="NORMAL."),
            id="all-caps-body-set-off-by-two-blanks-or-a-tab",
        ),
    ],
)
def test_colon_less_headers(text: str, expected: dict[str, str | None]) -> None:
    assert split_text(text).as_dict() == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("The findings are unchanged. There is no impression of a mass.", id="lower-case"),
        pytest.param("A history of smoking. Clear lungs.", id="history-of-lower"),
        pytest.param("History of smoking. Clear lungs.", id="history-of-at-sentence-start"),
        pytest.param("Findings are stable since 2020.", id="findings-are"),
        pytest.param("Impression of the minor fissure is normal.", id="impression-of"),
        pytest.param("Comparison with the prior film shows no change.", id="comparison-with"),
        pytest.param("Summary of the notes was not available.", id="summary-of"),
        pytest.param("Opinion was sought from the team.", id="opinion-was"),
        pytest.param("Clear lungs. FINDINGS are unchanged.", id="caps-label-lower-prose-word"),
        pytest.param("Clear lungs. Findings the heart is normal.", id="capitalised-label-lower-body"),
        pytest.param("Please see FINDINGS below.", id="caps-after-see"),
        pytest.param("There is no IMPRESSION of a mass.", id="caps-after-no"),
        pytest.param("RIGHT LOWER LOBE FINDINGS Consistent with pneumonia.", id="caps-after-caps-word"),
        pytest.param("NO ACUTE FINDINGS. IMPRESSION NO ACUTE DISEASE.", id="all-caps-report"),
        pytest.param("Correlate with the prior Findings The patient.", id="capitalised-mid-sentence"),
        pytest.param("Clear lungs. XFINDINGS The heart.", id="inside-a-word"),
        pytest.param("Clear lungs. Findings - the heart.", id="dash-mid-line"),
        pytest.param("Clear lungs. findings The heart is normal.", id="lower-case-label"),
        pytest.param("Clear lungs. History of thyroid cancer.", id="history-of-mid-text"),
        pytest.param("Clear lungs. The prior Findings Were reviewed.", id="capitalised-after-prior"),
        pytest.param("NO ACUTE FINDINGS ON TODAY'S FILM.", id="all-caps-acronym-rule-needs-lower-case"),
        pytest.param("Clear lungs. IMPRESSION NOTED ON CT.", id="caps-label-caps-words"),
    ],
)
def test_label_words_in_prose_are_not_headers(text: str) -> None:
    # Given prose that uses label words, When split, Then no header is found and all of it is the findings
    result = split_detailed([TextBlock(text)])
    assert result.headers == ()
    assert result.sections.as_dict() == sections(findings=text)


def test_a_report_with_set_off_findings_and_impression_keeps_label_words_in_its_text() -> None:
    # Given a report whose findings and impression headers have colons, and a label word after a sentence
    text = "FINDINGS: Small nodule.\nIMPRESSION: Nodule. Comparison CT from 2020 would help."

    # When split
    result = split_text(text)

    # Then the report's own style decides: "Comparison CT" is text of the impression
    assert result.as_dict() == sections(
        findings="Small nodule.", impression="Nodule. Comparison CT from 2020 would help."
    )


def test_the_same_sentence_is_a_header_where_the_report_has_no_set_off_impression() -> None:
    # Given the same sentence in a report with only a findings header
    text = "FINDINGS: Small nodule. Comparison CT from 2020. Impression Nodule."

    # Then the colon-less labels are headers
    assert split_text(text).as_dict() == sections(
        findings="Small nodule.", comparison="CT from 2020.", impression="Nodule."
    )


def test_without_a_findings_header_an_inline_comparison_is_its_first_sentence() -> None:
    # Given a text that starts with a colon-less comparison (the IU collection's "Comparison XXXX, XXXX.")
    # and has no findings header
    text = "Comparison XXXX, XXXX. Well-expanded and clear lungs. No acute cardiopulmonary abnormality."

    # When split
    result = split_text(text)

    # Then the comparison is its first sentence and the rest is the findings, not part of the comparison
    assert result.as_dict() == sections(
        comparison="XXXX, XXXX.",
        findings="Well-expanded and clear lungs. No acute cardiopulmonary abnormality.",
    )


def test_a_colon_header_without_a_findings_header_still_keeps_its_first_paragraph() -> None:
    # Given the same text with a colon after the label, Then, as before, the comparison is the first paragraph
    text = "Comparison: XXXX, XXXX. Well-expanded and clear lungs.\n\nNo acute cardiopulmonary abnormality."
    assert split_text(text).as_dict() == sections(
        comparison="XXXX, XXXX. Well-expanded and clear lungs.",
        findings="No acute cardiopulmonary abnormality.",
    )


@pytest.mark.parametrize("hint", ["impression", "findings", "indication"])
def test_text_coded_to_a_section_is_not_scanned_for_inline_headers(hint: SectionName) -> None:
    # Given an OBX coded as a section whose text starts with a colon-less label word
    text = "Comparison XXXX, XXXX. Stable chest. Findings Unchanged."

    # When split, Then the code decides: all of it stays in the coded section
    result = split_detailed([TextBlock(text, hint)])
    assert result.headers == ()
    assert result.sections.as_dict() == sections(**{hint: text})


def test_a_colon_header_in_coded_text_still_splits_it() -> None:
    result = split_detailed([TextBlock("Stable chest. RECOMMENDATION: None.", "impression")])
    assert result.sections.as_dict() == sections(impression="Stable chest.", other="None.")


def test_a_trailer_line_is_never_split_by_an_inline_label() -> None:
    text = "Findings Clear lungs.\nElectronically signed by Dr. Test. Impression Reviewed."
    result = split_text(text)
    assert result.findings == "Clear lungs."
    assert result.impression is None
    assert result.other == "Electronically signed by Dr. Test. Impression Reviewed."


def test_inline_headers_give_the_label_as_written_and_where_the_body_starts() -> None:
    text = "\nHistory Cough. Clinical  information Fever.  FINDINGS\tClear."
    found = inline_headers(text)
    assert [(text[start:end], kind, strong, label) for start, end, kind, strong, label in found] == [
        ("History ", "indication", True, "History"),
        ("Clinical  information ", "indication", True, "Clinical  information"),
        ("FINDINGS\t", "findings", True, "FINDINGS"),
    ]


IU_REPORTS = Path(__file__).resolve().parents[2] / "events" / "iu" / "reports.jsonl"
_LABELS = (
    ("indication", "Indication"),
    ("comparison", "Comparison"),
    ("findings", "Findings"),
    ("impression", "Impression"),
)


@pytest.mark.skipif(not IU_REPORTS.exists(), reason="the IU reports are not in this checkout")
def test_real_reports_flattened_with_colon_less_headers_split_back_to_their_fields() -> None:
    # Given every bundled IU report with findings, flattened into one line with colon-less Capitalised
    # headers ("Indication ... Comparison ... Findings ... Impression ..."); the fields are real text, often
    # without a final period and with de-identification tokens (XXXX)
    reports = [json.loads(line) for line in IU_REPORTS.read_text(encoding="utf-8").splitlines()]
    cases = []
    for report in reports:
        parts = [(field, (report[field] or "").strip()) for field, _label in _LABELS]
        parts = [(field, value) for field, value in parts if value]
        if any(field == "findings" for field, _value in parts):
            labels = dict(_LABELS)
            cases.append((" ".join(f"{labels[field]} {value}" for field, value in parts), dict(parts)))

    # When each is split
    exact = sum(
        {name: " ".join(text.split()) for name, text in split_text(text).as_dict().items() if text}
        == {name: " ".join(value.split()) for name, value in fields.items()}
        for text, fields in cases
    )

    # Then nearly all come back exactly (2,440 of 2,497 when written; the rest are fields that run into
    # the next label in lower case or hold a label word themselves)
    assert len(cases) > 2000
    assert exact / len(cases) >= 0.95


def test_a_label_glued_to_a_non_ascii_letter_is_inside_a_word() -> None:
    # found by hypothesis in CI: "éFINDINGS" is one word, not a header after "é"
    result = split_detailed([TextBlock("éFINDINGS Findings")])
    assert not result.headers
    assert result.sections.findings == "éFINDINGS Findings"
