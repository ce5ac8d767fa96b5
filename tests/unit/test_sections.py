"""Section splitting: real-world report shapes (``events/text``), the header rules and their false
positives, OBX-3 hints, addenda, preliminary reads, and the IU round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from radimpress.reading.model import SECTION_NAMES, Sections, TextBlock
from radimpress.reading.sections.split import split_detailed, split_sections, split_text

EVENTS = Path(__file__).resolve().parents[2] / "events"
TEXT_FIXTURES = sorted(path.stem for path in (EVENTS / "text").glob("*.txt"))
IU_REPORTS = EVENTS / "iu" / "reports.jsonl"


def sections(**expected: str | None) -> dict[str, str | None]:
    """All seven sections, ``None`` unless given."""
    return {name: expected.get(name) for name in SECTION_NAMES}


# --- real-world fixtures ---------------------------------------------------------------------------------


def test_every_fixture_shape_is_there() -> None:
    assert set(TEXT_FIXTURES) >= {
        "addendum_first",
        "inline_addendum",
        "wet_read",
        "numbered_impression",
        "no_findings_header",
        "lowercase_headers",
        "combined_findings_impression",
        "trailer_signed",
        "organ_subheaders",
        "tech_comment_recommendation",
        "conclusion",
        "inline_history_findings_conclusions",
        "inline_caps_no_colon",
        "inline_title_case_wrapped",
        "inline_label_words_in_prose",
    }


@pytest.mark.parametrize("name", TEXT_FIXTURES)
def test_fixture_splits_into_its_expected_sections(name: str, load_event: Callable[[str], bytes]) -> None:
    # Given a hand-written report and the sections a radiologist would assign (beside it, .expected.json)
    text = load_event(f"text/{name}.txt").decode("utf-8")
    expected = json.loads(load_event(f"text/{name}.expected.json"))

    # When it is split
    result = split_text(text)

    # Then every section is exactly as expected, None where absent
    assert result.as_dict() == expected


def test_addendum_first_ends_at_the_signature_and_the_body_follows(
    load_event: Callable[[str], bytes],
) -> None:
    # Given a report whose addendum was prepended above the original body
    text = load_event("text/addendum_first.txt").decode()

    # When it is split
    result = split_text(text)

    # Then the addendum holds only the addendum and the original impression is untouched
    assert result.addendum is not None
    assert result.addendum.startswith("Comparison was made with the outside CT")
    assert "EXAM" not in result.addendum
    assert result.impression is not None
    assert result.impression.startswith("1. 6 mm right upper lobe nodule.")


def test_wet_read_stays_out_of_findings_and_impression(load_event: Callable[[str], bytes]) -> None:
    # Given a preliminary wet read followed by the final report
    text = load_event("text/wet_read.txt").decode()

    # When it is split
    result = split_text(text)

    # Then the preliminary text is only in `other`, the final findings and impression are the final ones
    assert result.other is not None
    assert "Right IJ catheter tip in the SVC." in result.other
    assert result.findings is not None
    assert "Right IJ catheter tip" not in result.findings
    assert result.impression == "Right internal jugular catheter terminates in the mid SVC.  No pneumothorax."


def test_trailers_never_reach_the_impression(load_event: Callable[[str], bytes]) -> None:
    # Given a report ending in an attestation, signatures, dictation stamps and a banner
    result = split_text(load_event("text/trailer_signed.txt").decode())

    # Then the impression is the radiologist's impression only
    assert result.impression == "No acute intracranial abnormality."


def test_technologist_comments_and_recommendations_never_reach_the_impression(
    load_event: Callable[[str], bytes],
) -> None:
    # Given a screening CT with a technologist comment, a recommendation and a tech note
    result = split_text(load_event("text/tech_comment_recommendation.txt").decode())

    # Then the impression is the numbered list only; the rest is in `other`
    assert (
        result.impression == "1. Growing 7 mm left lower lobe solid nodule. Lung-RADS 4A.\n2. Mild emphysema."
    )
    assert result.other is not None
    assert "PET/CT" in result.other
    assert "scanner 2" in result.other


# --- header rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "FINDINGS: The lungs are clear.\nIMPRESSION: Normal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="inline-colon",
        ),
        pytest.param(
            "FINDINGS\nThe lungs are clear.\nIMPRESSION\nNormal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="own-line-caps",
        ),
        pytest.param(
            "Findings\nThe lungs are clear.\nImpression.\nNormal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="own-line-title-case",
        ),
        pytest.param(
            "findings: The lungs are clear.\nimpression: Normal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="lower-case-colon",
        ),
        pytest.param(
            "Findings : The lungs are clear.\n  Impression:Normal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="space-before-colon-and-indented",
        ),
        pytest.param(
            "FINDINGS - The lungs are clear.\nIMPRESSION - Normal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="dash",
        ),
        pytest.param(
            "FINDINGS The lungs are clear.\nIMPRESSION No acute disease.",
            sections(findings="The lungs are clear.", impression="No acute disease."),
            id="caps-without-colon-before-prose",
        ),
        pytest.param(
            "FINDINGS  LUNGS CLEAR.\nIMPRESSION\tNO ACUTE DISEASE.",
            sections(findings="LUNGS CLEAR.", impression="NO ACUTE DISEASE."),
            id="caps-without-colon-set-off-by-blanks",
        ),
        pytest.param(
            "FINDINGS: The lungs are clear. IMPRESSION: Normal. Impression: Stable.",
            sections(findings="The lungs are clear.", impression="Normal.\nStable."),
            id="mid-line-after-sentence",
        ),
        pytest.param(
            "CLINICAL HISTORY: Cough.\nREASON FOR EXAM: Fever.\nINDICATIONS: Sepsis.\nFINDINGS: Clear.",
            sections(indication="Cough.\nFever.\nSepsis.", findings="Clear."),
            id="indication-synonyms",
        ),
        pytest.param(
            "COMPARISONS: 2020.\nPRIOR STUDY: 2019.\nTECHNIQUE: PA.\nVIEWS: Lateral.\nFINDINGS: Clear.",
            sections(comparison="2020.\n2019.", technique="PA.\nLateral.", findings="Clear."),
            id="comparison-and-technique-synonyms",
        ),
        pytest.param(
            "FINDINGS: Clear.\nCONCLUSIONS: Normal.\nSUMMARY: Stable.",
            sections(findings="Clear.", impression="Normal.\nSUMMARY: Stable."),
            id="weak-summary-is-text-when-a-strong-impression-header-exists",
        ),
        pytest.param(
            "FINDINGS: Clear.\nOPINION: Normal chest.",
            sections(findings="Clear.", impression="Normal chest."),
            id="weak-opinion-is-the-impression-when-alone",
        ),
        pytest.param(
            "REPORT: The lungs are clear.\nASSESSMENT: Normal.",
            sections(findings="The lungs are clear.", impression="Normal."),
            id="report-and-assessment",
        ),
        pytest.param(
            "FINDINGS/IMPRESSION: Normal chest.",
            sections(findings="Normal chest."),
            id="combined-slash",
        ),
        pytest.param(
            "Impression and findings:\nNormal chest.",
            sections(findings="Normal chest."),
            id="combined-reversed",
        ),
        pytest.param(
            "FINDINGS: Clear.\n\n***** ADDENDUM *****\nDiscussed with the ward.",
            sections(findings="Clear.", addendum="Discussed with the ward."),
            id="decorated-header",
        ),
        pytest.param(
            "FINDINGS: Clear. IMPRESSION: Normal. ADDENDUM #2: Called.",
            sections(findings="Clear.", impression="Normal.", addendum="Called."),
            id="mid-line-numbered-addendum",
        ),
        pytest.param(
            "FINDINGS: Clear.\nElectronically signed by Dr. A. Fake. IMPRESSION: not a header here",
            sections(
                findings="Clear.", other="Electronically signed by Dr. A. Fake. IMPRESSION: not a header here"
            ),
            id="mid-line-header-inside-a-trailer-line",
        ),
        pytest.param(
            "FINDINGS: Clear.\r\nIMPRESSION: Normal.\r\n",
            sections(findings="Clear.", impression="Normal."),
            id="crlf",
        ),
        pytest.param(
            "FINDINGS: Clear.\n-----------\nstill findings\n==========\nIMPRESSION: Normal.",
            sections(findings="Clear.\nstill findings", impression="Normal."),
            id="rule-lines-are-layout",
        ),
    ],
)
def test_header_forms(text: str, expected: dict[str, str | None]) -> None:
    # Given a report using one header form; When split; Then the sections are exactly these
    assert split_text(text).as_dict() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "FINDINGS: There is a nodule.\nImpression of the fissure is seen.\nIMPRESSION: Nodule.",
            sections(findings="There is a nodule.\nImpression of the fissure is seen.", impression="Nodule."),
            id="impression-of-the-fissure",
        ),
        pytest.param(
            "FINDINGS: Nodule.\nFindings are stable since 2020.\nIMPRESSION: Stable.",
            sections(findings="Nodule.\nFindings are stable since 2020.", impression="Stable."),
            id="findings-are-stable",
        ),
        pytest.param(
            "FINDINGS:\nCOMPARISON IS MADE WITH 2020.\nHISTORY OF TOBACCO USE NOTED.\nIMPRESSION: Stable.",
            sections(
                findings="COMPARISON IS MADE WITH 2020.\nHISTORY OF TOBACCO USE NOTED.", impression="Stable."
            ),
            id="caps-prose-starting-with-a-label",
        ),
        pytest.param(
            "FINDINGS: Compared with the\nprior\nexam the lungs are clear.\nIMPRESSION: Normal.",
            sections(findings="Compared with the\nprior\nexam the lungs are clear.", impression="Normal."),
            id="lower-case-label-word-alone-on-a-wrapped-line",
        ),
        pytest.param(
            "FINDINGS: The impression: no change. Our impression: none. x. impression: y",
            sections(findings="The impression: no change. Our impression: none. x. impression: y"),
            id="mid-line-label-not-after-a-sentence-or-lower-case",
        ),
        pytest.param(
            "FINDINGS: Clear. Exam: portable. Summary: fine.\nIMPRESSION: Normal.",
            sections(findings="Clear. Exam: portable. Summary: fine.", impression="Normal."),
            id="weak-labels-never-mid-line",
        ),
        pytest.param(
            "FINDINGS: Findings 2: unchanged.\nIMPRESSION: Normal.",
            sections(findings="Findings 2: unchanged.", impression="Normal."),
            id="numbered-non-addendum-label",
        ),
        pytest.param(
            "FINDINGS: Nodule. Findings 2: unchanged.\nIMPRESSION: Normal.",
            sections(findings="Nodule. Findings 2: unchanged.", impression="Normal."),
            id="numbered-non-addendum-label-mid-line",
        ),
        pytest.param(
            "FINDINGS:\nLUNGS: Clear.\nHEART: Normal.\nPLEURA: No effusion.\nMEDIASTINUM: Normal.\n"
            "BONES: Intact.\nSOFT TISSUES: Normal.\nIMPRESSION: Normal.",
            sections(
                findings="LUNGS: Clear.\nHEART: Normal.\nPLEURA: No effusion.\nMEDIASTINUM: Normal.\n"
                "BONES: Intact.\nSOFT TISSUES: Normal.",
                impression="Normal.",
            ),
            id="organ-sub-headers",
        ),
    ],
)
def test_prose_that_looks_like_a_header_is_not_split(text: str, expected: dict[str, str | None]) -> None:
    # Given text where a label word appears in prose; When split; Then it stays in its section
    assert split_text(text).as_dict() == expected


def test_a_weak_label_inside_the_history_is_not_the_impression() -> None:
    # Given an order diagnosis line inside the clinical history of a report that has an impression
    text = "CLINICAL HISTORY: Fever.\nDiagnosis: R05 cough\nFINDINGS: Clear.\nIMPRESSION: Normal."

    # When split
    result = split_text(text)

    # Then the diagnosis line stays in the indication, verbatim
    assert result.indication == "Fever.\nDiagnosis: R05 cough"
    assert result.impression == "Normal."


def test_split_detailed_lists_the_removed_header_labels() -> None:
    # Given a report with headers in several forms
    text = (
        "EXAM: CT\nclinical  history: Cough.\nFINDINGS Clear lungs.\nx. IMPRESSION: Normal.\nADDENDUM #2: C."
    )

    # When split in detail
    result = split_detailed([TextBlock(text)])

    # Then the labels are reported as written, in order
    assert result.headers == ("EXAM", "clinical  history", "FINDINGS", "IMPRESSION", "ADDENDUM #2")
    assert result.sections.addendum == "C."


# --- where unheaded text goes -----------------------------------------------------------------------------


def test_without_findings_header_the_body_is_the_findings() -> None:
    # Given a report with history and comparison headers, then unheaded body text
    text = "HISTORY: Cough.\n\nCOMPARISON: None.\n\nThe lungs are clear.\nNo effusion.\n\nIMPRESSION: Normal."

    # When split
    result = split_text(text)

    # Then the short sections keep their paragraph and the body is the findings
    assert result.as_dict() == sections(
        indication="Cough.",
        comparison="None.",
        findings="The lungs are clear.\nNo effusion.",
        impression="Normal.",
    )


def test_without_findings_header_a_wrapped_history_is_not_cut_at_a_wrap() -> None:
    # Given a history wrapped by a dictation system exactly after a sentence, then a blank line and the body
    text = (
        "INDICATION: History of renal cell carcinoma in 2019. Shortness of breath.\n"
        "Patient taking an antibiotic for possible pneumonia.\n"
        "\n"
        "The heart is normal in size and the lungs are clear without effusion today.\n"
        "IMPRESSION: No acute disease."
    )

    # When split
    result = split_text(text)

    # Then the wrapped line stays in the indication: its first word would not have fitted on the line above
    assert result.indication == (
        "History of renal cell carcinoma in 2019. Shortness of breath.\n"
        "Patient taking an antibiotic for possible pneumonia."
    )
    assert result.findings == "The heart is normal in size and the lungs are clear without effusion today."


def test_without_findings_header_an_impression_only_report_gets_no_findings() -> None:
    # Given an impression-only report with a two-line history
    text = "INDICATION: Chest pain\nradiating to the back.\nIMPRESSION: No acute disease."

    # When split
    result = split_text(text)

    # Then no findings are invented from the history
    assert result.indication == "Chest pain\nradiating to the back."
    assert result.findings is None


def test_a_patient_block_never_becomes_the_findings() -> None:
    # Given a text report that starts with an administrative block and has no findings header
    text = (
        "Patient Name: DOE, JANE\nMRN: 00012345\nDOB: 01/01/1950\nReferring Physician: Dr. A. Fakename\n"
        "Accession #: ACC123\nExam Date: 02/03/2024\n\n"
        "EXAM: XR CHEST 2 VIEWS\nHISTORY: Cough.\nThe lungs are clear. No effusion.\nIMPRESSION: Normal."
    )

    # When split
    result = split_text(text)

    # Then the administrative lines are kept whole in `other`, and the findings are only the body
    assert result.findings == "The lungs are clear. No effusion."
    assert result.other == (
        "Patient Name: DOE, JANE\nMRN: 00012345\nDOB: 01/01/1950\nReferring Physician: Dr. A. Fakename\n"
        "Accession #: ACC123\nExam Date: 02/03/2024"
    )


def test_with_findings_header_unheaded_text_goes_to_other() -> None:
    # Given an exam title line above the headers
    result = split_text("CHEST PA AND LATERAL 01/02/2024\nFINDINGS: Clear.\nIMPRESSION: Normal.")

    # Then the title is kept, in `other`
    assert result.other == "CHEST PA AND LATERAL 01/02/2024"
    assert result.findings == "Clear."


def test_plain_prose_is_all_findings() -> None:
    assert split_text("The lungs are clear.\nNo effusion.").as_dict() == sections(
        findings="The lungs are clear.\nNo effusion."
    )


def test_empty_input_gives_no_sections() -> None:
    assert split_text("") == Sections()
    assert split_text(" \n\t\r\n ") == Sections()
    assert split_sections([]) == Sections()


# --- addenda and preliminary reads ----------------------------------------------------------------------


def test_an_addendum_after_the_impression_keeps_its_own_impression() -> None:
    # Given an addendum that restates an impression after the signed report
    text = (
        "FINDINGS: Clear lungs.\nIMPRESSION: No acute disease.\nElectronically signed by: A. Fake, MD\n"
        "ADDENDUM: On review of the lateral view there is a small left effusion.\n"
        "IMPRESSION: Small left pleural effusion.\nElectronically signed by: A. Fake, MD"
    )

    # When split
    result = split_text(text)

    # Then the report's impression is the original one and the addendum holds its own text verbatim
    assert result.impression == "No acute disease."
    assert result.addendum == (
        "On review of the lateral view there is a small left effusion.\n"
        "IMPRESSION: Small left pleural effusion."
    )
    assert result.other == "Electronically signed by: A. Fake, MD\nElectronically signed by: A. Fake, MD"


def test_a_leading_addendum_ends_at_the_next_main_header() -> None:
    text = "ADDENDUM: Outside CT reviewed, nodule stable.\nFINDINGS: Nodule.\nIMPRESSION: Stable nodule."
    assert split_text(text).as_dict() == sections(
        addendum="Outside CT reviewed, nodule stable.", findings="Nodule.", impression="Stable nodule."
    )


def test_several_addenda_are_kept_in_order() -> None:
    text = "FINDINGS: A.\nIMPRESSION: B.\nADDENDUM #1: C.\nSigned by: X\nADDENDUM #2: D.\nSigned by: Y"
    result = split_text(text)
    assert result.addendum == "C.\nD."
    assert result.other == "Signed by: X\nSigned by: Y"


def test_addendum_begins_and_ends_markers() -> None:
    # Given an addendum between BEGINS / ENDS banners after the signed report
    text = (
        "FINDINGS: Clear.\nIMPRESSION: Normal.\nElectronically signed by: A. Fake, MD\n"
        "*** ADDENDUM BEGINS ***\nThe prior study from 2020 was reviewed. No change.\n*** ADDENDUM ENDS ***\n"
        "Signed by: B. Fake, MD"
    )

    # When split; Then the addendum is its text, the end marker and signatures are in `other`
    assert split_text(text).as_dict() == sections(
        findings="Clear.",
        impression="Normal.",
        addendum="The prior study from 2020 was reviewed. No change.",
        other="Electronically signed by: A. Fake, MD\n*** ADDENDUM ENDS ***\nSigned by: B. Fake, MD",
    )


def test_a_preliminary_read_without_final_banner_is_other() -> None:
    # Given a wet read with its own text, and then the report's sections
    text = "WET READ: No pneumothorax.\nFINDINGS: Line in SVC. No pneumothorax.\nIMPRESSION: Line in SVC."

    # When split; Then the wet read is in `other` only
    assert split_text(text).as_dict() == sections(
        findings="Line in SVC. No pneumothorax.", impression="Line in SVC.", other="No pneumothorax."
    )


def test_a_structured_preliminary_report_before_the_final_one_is_other() -> None:
    # Given a preliminary report with its own headers, superseded by a final report
    text = (
        "PRELIMINARY REPORT\nFINDINGS: Possible nodule.\nIMPRESSION: Possible nodule.\nRead by: Resident\n"
        "*** FINAL REPORT ***\nFINDINGS: Nipple shadow.\nIMPRESSION: No nodule."
    )

    # When split
    result = split_text(text)

    # Then only the final report's findings and impression count; the preliminary one is in `other`
    assert result.findings == "Nipple shadow."
    assert result.impression == "No nodule."
    assert result.other == (
        "FINDINGS: Possible nodule.\nIMPRESSION: Possible nodule.\nRead by: Resident\n*** FINAL REPORT ***"
    )


def test_a_bare_preliminary_banner_does_not_swallow_the_report() -> None:
    text = "PRELIMINARY REPORT\nThe lungs are clear.\nIMPRESSION: Normal."
    assert split_text(text).as_dict() == sections(
        findings="The lungs are clear.", impression="Normal.", other="PRELIMINARY REPORT"
    )


def test_a_mid_line_recommendation_leaves_the_impression() -> None:
    text = "FINDINGS: Nodule.\nIMPRESSION: 8 mm nodule. Recommendation: CT in 3 months."
    result = split_text(text)
    assert result.impression == "8 mm nodule."
    assert result.other == "CT in 3 months."


# --- OBX-3 hints ----------------------------------------------------------------------------------------


def test_a_hinted_block_is_split_by_its_own_headers() -> None:
    # Given one OBX coded as findings whose text also holds the impression
    blocks = [TextBlock("The lungs are clear.\nIMPRESSION: Normal chest.", "findings")]

    # When split
    result = split_sections(blocks)

    # Then the hint starts the block, the text header splits it
    assert result.as_dict() == sections(findings="The lungs are clear.", impression="Normal chest.")


def test_line_per_obx_blocks_with_one_code_read_as_one_text() -> None:
    # Given a whole report sent one line per OBX, every line coded GDT (the general body)
    lines = ["HISTORY: Cough.", "FINDINGS:", "The lungs are clear.", "IMPRESSION:", "Normal."]
    blocks = [TextBlock(line, "findings") for line in lines]

    # When split; Then the headers carry across the lines
    assert split_sections(blocks).as_dict() == sections(
        indication="Cough.", findings="The lungs are clear.", impression="Normal."
    )


def test_hints_per_section_need_no_headers() -> None:
    blocks = [
        TextBlock("Cough.", "indication"),
        TextBlock("The lungs are clear.", "findings"),
        TextBlock("No effusion.", "findings"),
        TextBlock("Normal chest.", "impression"),
        TextBlock("Called to Dr. Fake.", "addendum"),
    ]
    assert split_sections(blocks).as_dict() == sections(
        indication="Cough.",
        findings="The lungs are clear.\nNo effusion.",
        impression="Normal chest.",
        addendum="Called to Dr. Fake.",
    )


def test_an_unhinted_block_continues_the_section_before_it() -> None:
    blocks = [TextBlock("Normal chest.", "impression"), TextBlock("No change since 2020.")]
    assert split_sections(blocks).impression == "Normal chest.\nNo change since 2020."


def test_a_recommendation_inside_an_impression_block_goes_to_other() -> None:
    blocks = [
        TextBlock("Clear.", "findings"),
        TextBlock("Nodule.\nRECOMMENDATION: CT in 3 months.", "impression"),
    ]
    result = split_sections(blocks)
    assert result.impression == "Nodule."
    assert result.other == "CT in 3 months."


# --- IU round trip ------------------------------------------------------------------------------------------

_FIELDS = (
    ("indication", "INDICATION"),
    ("comparison", "COMPARISON"),
    ("findings", "FINDINGS"),
    ("impression", "IMPRESSION"),
)
# Source texts that themselves hold a section header: the header splits them, as it should.
_KNOWN = {
    "CXR2415": "the impression field holds a whole second report (IMPRESSION: ... FINDINGS: ...)",
    "CXR3334": "the indication holds 'Hypoxia. History: ...', a mid-line header after a sentence",
}


def _iu_params() -> list[Any]:
    if not IU_REPORTS.exists():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"{IU_REPORTS} not in this checkout"), id="absent"
            )
        ]
    params = []
    for line in IU_REPORTS.read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        if not any(report[field] for field, _label in _FIELDS):
            continue
        marks = (
            [pytest.mark.xfail(strict=True, reason=_KNOWN[report["id"]])] if report["id"] in _KNOWN else []
        )
        params.append(pytest.param(report, marks=marks, id=report["id"]))
    return params


def _collapse(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


@pytest.mark.parametrize("report", _iu_params())
def test_iu_report_rendered_with_headers_splits_back_to_its_fields(report: dict[str, str | None]) -> None:
    # Given an IU report rendered as "INDICATION: ...\nCOMPARISON: ...\nFINDINGS: ...\nIMPRESSION: ..."
    text = "\n".join(f"{label}: {report[field]}" for field, label in _FIELDS if report[field])

    # When split
    result = split_text(text).as_dict()

    # Then each field comes back (whitespace-normalised) and nothing lands elsewhere
    assert {field: _collapse(result[field]) for field, _label in _FIELDS} == {
        field: _collapse(report[field]) for field, _label in _FIELDS
    }
    assert (result["technique"], result["addendum"], result["other"]) == (None, None, None)
