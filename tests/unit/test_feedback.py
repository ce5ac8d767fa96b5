"""The feedback loop: finalized reports join the engine's index, and the next similar draft changes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from radimpress.adapters.parquet import write_results
from radimpress.cli import main
from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.drafting.engines import build_engine
from radimpress.drafting.engines.refreshing import RefreshingEngine
from radimpress.pipeline.feedback import finalized_reports, refreshed_index, write_index
from radimpress.pipeline.records import ResultRecord
from tests.fakes import make_result

BASE = [
    ReportPair("b1", "Heart size normal. Lungs clear.", "No acute cardiopulmonary abnormality."),
    ReportPair("b2", "Small left pleural effusion.", "Small left pleural effusion."),
    ReportPair("b3", "Heart size normal. Lungs clear. No effusion.", "Normal chest."),
]
FINDINGS = "Subtle nodular opacity in the lingula, new since the prior examination."
IMPRESSION = "New lingular nodule; chest CT recommended."


def result(
    key: str, status: str, impression: str | None, minute: int, accession: str = "ACC1"
) -> ResultRecord:
    return make_result(key * 32, (0.5, 0.5, 0.5, 0.5)).model_copy(
        update={
            "status": status,
            "accession_key": accession,
            "findings": FINDINGS,
            "reference_impression": impression,
            "completed_at": datetime(2024, 1, 2, 9, minute, tzinfo=UTC),
        }
    )


def test_only_the_latest_final_version_with_an_impression_is_taken() -> None:
    # Given a preliminary version, two final versions of one accession, and a final row without impression
    rows = [
        result("a", "P", "Preliminary wording.", 1),
        result("b", "F", "First final wording.", 2),
        result("c", "F", IMPRESSION, 3),
        result("d", "F", None, 4, accession="ACC2"),
    ]
    # Then one pair: the last final version, keyed by its pseudonymous report key
    finalized = finalized_reports(rows)
    assert [(f.pair.id, f.pair.impression) for f in finalized] == [("c" * 32, IMPRESSION)]
    assert finalized[0].patient_key == rows[2].patient_key


def test_the_refreshed_index_adds_new_reports_once() -> None:
    finalized = finalized_reports([result("c", "F", IMPRESSION, 3)])
    index = refreshed_index(BASE, finalized)
    assert [p.id for p in index] == ["b1", "b2", "b3", "c" * 32]
    assert refreshed_index(index, finalized) == index  # refreshing again adds nothing


def test_write_index_is_atomic_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "index.jsonl"
    assert write_index(BASE, path) == 3
    assert [p.id for p in load_pairs(path)] == ["b1", "b2", "b3"]
    assert [p.name for p in tmp_path.iterdir()] == ["index.jsonl"]  # no temporary file left behind


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_final_report_changes_the_next_similar_draft(tmp_path: Path) -> None:
    # Given the embedded engine serving from a watched index file, and its draft for new lingular findings
    index = tmp_path / "index.jsonl"
    write_index(load_pairs(), index)
    clock = Clock()
    engine = RefreshingEngine(
        lambda: build_engine("consensus", path=index), index, check_seconds=30, clock=clock
    )
    before = engine.draft(FINDINGS).text
    assert before != IMPRESSION

    # When the radiologist finalizes such a report and the index is refreshed from the results table
    results = tmp_path / "results" / "dt=2024-01-02"
    results.mkdir(parents=True)
    rows = [result("p", "P", "Not yet signed.", 1), result("f", "F", IMPRESSION, 2)]
    (results / "batch.parquet").write_bytes(write_results(rows))
    assert main(["index", "refresh", "--results", str(tmp_path / "results"), "--out", str(index)]) == 0

    # Then within the check interval the engine rebuilds in the background and drafts the new wording
    assert engine.maybe_refresh() is None  # not checked again before the interval
    clock.now = 31.0
    thread = engine.maybe_refresh()
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=60)
    assert engine.refreshes == 1
    assert engine.draft(FINDINGS).text == IMPRESSION
    # and the preliminary wording never reached the index
    assert "Not yet signed." not in index.read_text(encoding="utf-8")


def test_a_broken_index_file_keeps_the_engine_that_works(tmp_path: Path) -> None:
    # Given an engine over a good index, and its draft
    index = tmp_path / "index.jsonl"
    write_index(BASE, index)
    clock = Clock()
    engine = RefreshingEngine(
        lambda: build_engine("consensus", path=index), index, check_seconds=1, clock=clock
    )
    before = engine.draft("Small left pleural effusion.").text
    # When the file is replaced by one that cannot be read
    index.write_text("not json\n", encoding="utf-8")
    clock.now = 2.0
    thread = engine.maybe_refresh()
    assert thread is not None
    thread.join(timeout=30)
    # Then the failed rebuild is counted and the old engine keeps drafting
    assert (engine.refreshes, engine.failed_refreshes) == (0, 1)
    assert engine.draft("Small left pleural effusion.").text == before


def test_refresh_needs_a_results_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["index", "refresh", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "i.jsonl")])
    assert exited.value.code == 2
    assert "results location" in capsys.readouterr().err
