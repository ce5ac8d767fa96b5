"""``radimpress draft`` and ``radimpress evaluate``, run in-process on small JSONL and MEDIQA files."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from radimpress.cli import main
from radimpress.scoring.rouge import score_pair

INDEX_ROWS = [
    {
        "id": "i1",
        "findings": "Heart size normal. Lungs clear. No pneumothorax.",
        "impression": "Normal chest.",
    },
    {"id": "i2", "findings": "Large right pleural effusion.", "impression": "Large right pleural effusion."},
    {"id": "i3", "findings": "Small left apical pneumothorax.", "impression": "Small left pneumothorax."},
]
REPORT_ROWS = [
    {"id": "r1", "findings": "Heart size is normal. The lungs are clear.", "impression": "Normal chest."},
    {"id": "r2", "findings": "Large left pleural effusion.", "impression": "Large left pleural effusion."},
    {"id": "r3", "findings": "Tiny right apical pneumothorax.", "impression": "Tiny right pneumothorax."},
]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    path = tmp_path / "index.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in INDEX_ROWS), encoding="utf-8")
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in REPORT_ROWS), encoding="utf-8")
    return path


@pytest.fixture
def mediqa_reports(tmp_path: Path) -> Path:
    """The reports in the MEDIQA-2021 JSON list format the study read."""
    path = tmp_path / "reports.json"
    rows = [
        {
            "study_id": row["id"],
            "subject_id": "p",
            "findings": row["findings"],
            "impression": row["impression"],
            "background": "Cough.",
        }
        for row in REPORT_ROWS
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    return document


# --- draft --------------------------------------------------------------------------------------------------


def test_draft_prints_the_draft_and_its_flags(capsys: pytest.CaptureFixture[str], index: Path) -> None:
    # Given a left effusion, When drafted from an index whose nearest report has a right one
    code, out, _ = _run(
        capsys,
        "draft",
        "--findings",
        "Large left pleural effusion.",
        "--index",
        str(index),
        "--engine",
        "retrieval",
    )

    # Then the draft, then the wrong side flagged, then the engine
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Large right pleural effusion."
    assert "safety flags: 1" in lines
    assert any(line.strip().startswith("laterality_conflict  pleural_effusion") for line in lines)
    assert lines[-1].startswith("engine: retrieval (retrieval-tfidf:")


def test_draft_reads_the_findings_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, index: Path
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"Heart size normal. Lungs clear.\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)

    document = _json(capsys, "draft", "--index", str(index), "--engine", "retrieval", "--json")

    assert document["draft"] == "Normal chest."
    assert document["flags"] == []
    assert document["abstained_reason"] is None
    assert document["engine"] == "retrieval"
    assert isinstance(document["latency_ms"], float)


def test_draft_json_carries_flag_codes(capsys: pytest.CaptureFixture[str], index: Path) -> None:
    document = _json(
        capsys,
        "draft",
        "--findings",
        "No left apical pneumothorax.",
        "--index",
        str(index),
        "--engine",
        "retrieval",
        "--json",
    )

    assert document["draft"] == "Small left pneumothorax."
    assert document["flags"] == [
        {
            "kind": "negation_conflict",
            "observation": "pneumothorax",
            "detail": "the findings negate pneumothorax; the draft asserts it",
            "code": "negation_conflict:pneumothorax",
        }
    ]


def test_draft_with_a_comparison_section(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    index = tmp_path / "stable.jsonl"
    index.write_text(
        json.dumps({"id": "1", "findings": "Mild cardiomegaly.", "impression": "Stable mild cardiomegaly."})
    )
    argv = [
        "draft",
        "--findings",
        "Mild cardiomegaly.",
        "--index",
        str(index),
        "--engine",
        "retrieval",
        "--json",
    ]

    without = _json(capsys, *argv)
    with_prior = _json(capsys, *argv, "--comparison", "PA and lateral chest 2019.")

    assert [f["code"] for f in without["flags"]] == ["unsupported_comparison:comparison"]
    assert with_prior["flags"] == []


def test_draft_from_a_mediqa_index(capsys: pytest.CaptureFixture[str], mediqa_reports: Path) -> None:
    document = _json(
        capsys,
        "draft",
        "--findings",
        "Left pleural effusion, large.",
        "--index",
        str(mediqa_reports),
        "--engine",
        "retrieval",
        "--json",
    )
    assert document["draft"] == "Large left pleural effusion."


def test_draft_prints_the_abstention(capsys: pytest.CaptureFixture[str], index: Path) -> None:
    code, out, _ = _run(
        capsys, "draft", "--findings", "XXXX.", "--index", str(index), "--engine", "retrieval"
    )

    assert code == 0
    assert out.splitlines()[0] == "no draft: the engine abstained (empty_findings)"

    document = _json(
        capsys, "draft", "--findings", "", "--index", str(index), "--engine", "retrieval", "--json"
    )
    assert (document["draft"], document["abstained_reason"], document["flags"]) == (
        None,
        "empty_findings",
        [],
    )


def test_draft_with_the_default_engine(capsys: pytest.CaptureFixture[str], index: Path) -> None:
    # whatever the registry's default engine is, the command prints one JSON object
    document = _json(
        capsys, "draft", "--findings", "Large left pleural effusion.", "--index", str(index), "--json"
    )
    assert set(document) == {"draft", "abstained_reason", "engine", "model_id", "latency_ms", "flags"}


@pytest.mark.parametrize(
    "argv",
    [
        ["draft", "--findings", "x", "--engine", "no-such-engine"],
        ["draft", "--findings", "x", "--engine", "retrieval", "--engine-option", "bogus=1"],
        ["draft", "--findings", "x", "--engine-option", "novalue"],
        ["evaluate"],
        ["evaluate", "--split", "dev", "--index", "x.jsonl"],
        ["evaluate", "--reports", "/no/such/file.jsonl"],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


# --- evaluate -----------------------------------------------------------------------------------------------


def test_evaluate_prints_the_study_table_split_and_flags(
    capsys: pytest.CaptureFixture[str], reports: Path, index: Path
) -> None:
    code, out, err = _run(
        capsys, "evaluate", "--reports", str(reports), "--index", str(index), "--engine", "retrieval"
    )

    assert code == 0
    assert "evaluated: reports.jsonl (3 pairs) against index.jsonl" in out
    for label in ("count", "mean", "std", "min", "25%", "50%", "75%", "max", "aggregate ROUGE"):
        assert any(line.startswith(label) for line in out.splitlines()), label
    assert any(line.startswith("abnormal") for line in out.splitlines())
    assert any(line.startswith("safety flags") and "radiologist" in line for line in out.splitlines())
    assert "abstained: 0" in out
    # the progress bar went to stderr and ended its line
    assert "drafting 3/3" in err and err.endswith("\n")


def test_evaluate_json_scores_as_rouge_score_does(
    capsys: pytest.CaptureFixture[str], reports: Path, index: Path
) -> None:
    # Given three reports whose nearest indexed reports are known
    drafts = ["Normal chest.", "Large right pleural effusion.", "Small left pneumothorax."]
    expected = [
        score_pair(d, row["impression"], backend="rouge_score")
        for d, row in zip(drafts, REPORT_ROWS, strict=True)
    ]

    # When evaluated as JSON
    document = _json(
        capsys,
        "evaluate",
        "--reports",
        str(reports),
        "--index",
        str(index),
        "--engine",
        "retrieval",
        "--json",
        "--no-progress",
    )

    # Then the study's statistics of exactly those scores
    assert document["count"] == 3
    assert document["rougeL"]["mean"] == pytest.approx(sum(s.rougeL for s in expected) / 3, abs=0)
    assert document["rouge1"]["max"] == max(s.rouge1 for s in expected)
    assert document["abnormal"]["count"] == 2
    assert document["abnormal"]["rougeL"]["mean"] == pytest.approx(
        (expected[1].rougeL + expected[2].rougeL) / 2
    )
    # the wrong sides are flagged in the drafts, not in the radiologists' impressions
    assert document["flags"]["draft"]["laterality_conflict"] == 2
    assert document["flags"]["radiologist"]["flagged"] == 0
    assert document["abstained"] == 0


def test_evaluate_reads_mediqa_reports(
    capsys: pytest.CaptureFixture[str], mediqa_reports: Path, index: Path
) -> None:
    document = _json(
        capsys,
        "evaluate",
        "--reports",
        str(mediqa_reports),
        "--index",
        str(index),
        "--engine",
        "retrieval",
        "--json",
        "--no-progress",
    )
    assert document["count"] == 3
    assert document["evaluated"].startswith("reports.json (3 pairs)")


def test_evaluate_a_file_against_itself_runs_leave_one_out(
    capsys: pytest.CaptureFixture[str], index: Path
) -> None:
    document = _json(
        capsys,
        "evaluate",
        "--reports",
        str(index),
        "--index",
        str(index),
        "--engine",
        "retrieval",
        "--json",
        "--no-progress",
    )

    assert "leave-one-out" in document["evaluated"]
    assert document["model_id"].endswith(":leave-one-out")
    # no report read its own impression back
    assert document["rougeL"]["max"] < 1.0


def test_evaluate_the_bundled_dev_split(capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(
        capsys,
        "evaluate",
        "--split",
        "dev",
        "--limit",
        "25",
        "--engine",
        "retrieval",
        "--stemmer",
        "--json",
        "--no-progress",
    )

    assert document["count"] == 25
    assert document["evaluated"].startswith("dev split of reports.jsonl")
    assert document["abnormal"]["count"] + document["normal"]["count"] == 25
    assert set(document["flags"]) == {"draft", "radiologist"}


def test_evaluate_writes_the_drafts_file_and_wraps_findings(
    capsys: pytest.CaptureFixture[str], reports: Path, index: Path, tmp_path: Path
) -> None:
    # Given the reports evaluated flat, and again with findings wrapped at 12 columns into a drafts file
    flat = _json(
        capsys, "evaluate", "--reports", str(reports), "--index", str(index), "--json", "--no-progress"
    )
    drafts = tmp_path / "drafts.jsonl"
    wrapped = _json(
        capsys,
        "evaluate",
        *("--reports", str(reports), "--index", str(index), "--wrap", "12", "--drafts", str(drafts)),
        *("--json", "--no-progress"),
    )

    # Then the default engine drafts the same from wrapped findings, and the file has a line per report
    assert wrapped["rougeL"] == flat["rougeL"]
    assert wrapped["observations"] == flat["observations"]
    rows = [json.loads(line) for line in drafts.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["r1", "r2", "r3"]
    assert all("\n" in row["findings"] for row in rows)
    assert {"draft", "reference", "rouge", "observation_f1", "flags"} <= set(rows[0])
