"""Reading report pairs from our JSONL and from the MEDIQA-2021 JSON list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radimpress.datasets.corpus import ReportPair, iter_pairs, load_pairs
from radimpress.errors import ConfigurationError
from radimpress.reading.model import DraftContext


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n", encoding="utf-8")
    return path


def test_jsonl_rows_become_pairs_and_rows_without_both_texts_are_skipped(tmp_path: Path) -> None:
    # Given our JSONL format with optional context fields and unusable rows
    path = _jsonl(
        tmp_path / "reports.jsonl",
        [
            {
                "id": "A",
                "findings": "Lungs clear.",
                "impression": "Normal chest.",
                "indication": "Cough",
                "comparison": "None.",
                "procedure_code": "71046",
                "procedure_text": "XR CHEST 2V",
                "interpreter": "Dr X",
                "mesh": "normal",
            },
            {"id": "B", "findings": None, "impression": "Impression only."},
            {"id": "C", "findings": "Findings only.", "impression": "   "},
            {"id": "D", "findings": "Right effusion.", "impression": "Effusion."},
        ],
    )

    # When it is loaded
    pairs = load_pairs(path)

    # Then the two usable rows come back, in file order, with their context
    assert [p.id for p in pairs] == ["A", "D"]
    assert pairs[0] == ReportPair(
        "A", "Lungs clear.", "Normal chest.", "Cough", "None.", "71046", "XR CHEST 2V", "Dr X"
    )
    assert pairs[0].context == DraftContext(
        procedure_code="71046",
        procedure_text="XR CHEST 2V",
        interpreter="Dr X",
        indication="Cough",
        comparison="None.",
    )
    assert pairs[1].indication is None and pairs[1].interpreter is None


def test_mediqa_json_list_is_read_with_background_as_indication(tmp_path: Path) -> None:
    # Given the MEDIQA-2021 format the study used (numeric ids included)
    path = tmp_path / "test.json"
    path.write_text(
        json.dumps(
            [
                {
                    "study_id": 50414267,
                    "subject_id": 10000032,
                    "findings": "No focal consolidation.",
                    "impression": "No acute process.",
                    "background": "Fever.",
                },
                {"study_id": "s2", "subject_id": "p2", "findings": "", "impression": "Dropped."},
            ]
        ),
        encoding="utf-8",
    )

    # When it is loaded
    pairs = list(iter_pairs(path))

    # Then the study id is the pair's id and the background its indication
    assert pairs == [ReportPair("50414267", "No focal consolidation.", "No acute process.", "Fever.")]


def test_a_row_without_an_id_is_named_by_its_place(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "r.jsonl", [{"findings": "Lungs clear.", "impression": "Normal."}])
    assert load_pairs(path)[0].id == "r.jsonl:1"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "A", "findings": "x", "impression": "y"}\nnot json\n', "r.jsonl:2"),
        ('["a list", "on a line"]\n', "r.jsonl[0]"),
        ("[1, 2", "r.jsonl:1"),
        ('"just a string"\n', "r.jsonl:1"),
    ],
)
def test_unreadable_rows_raise_a_configuration_error_naming_the_row(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load_pairs(path)
    assert raised.value.where == where


def test_a_missing_file_raises_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_pairs(tmp_path / "absent.jsonl")


def test_the_default_is_the_bundled_iu_reports_with_both_texts() -> None:
    pairs = load_pairs()
    assert len(pairs) == 2491  # events/iu/README.md: 2,491 reports with findings and impression
    assert pairs[0].id == "CXR1" and pairs[0].impression == "Normal chest x-XXXX."
