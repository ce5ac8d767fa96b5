"""Offline evaluation: the plan (leave-one-out, split, MEDIQA), the run with a fake engine, the outputs."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.drafting.engines.base import Draft
from radimpress.drafting.safety import FlagKind
from radimpress.errors import ConfigurationError
from radimpress.language.normalise import reflow
from radimpress.reading.model import DraftContext
from radimpress.scoring.offline import (
    EvaluationPlan,
    ProgressBar,
    evaluate,
    open_engine,
    open_index_engine,
    plan_evaluation,
)
from radimpress.scoring.offline_output import evaluation_to_json, format_evaluation, write_drafts
from radimpress.scoring.rouge import score_pair

PAIRS = (
    # a normal study drafted faithfully
    ReportPair(
        "n1", "Heart size normal. Lungs clear. No pneumothorax.", "No acute cardiopulmonary abnormality."
    ),
    # an abnormal study whose draft flips the side
    ReportPair("a1", "Small left pleural effusion.", "Small left pleural effusion.", comparison="None."),
    # an abnormal study whose draft misses the pneumothorax; the radiologist compares without a prior
    ReportPair("a2", "Small right pneumothorax.", "Stable small right pneumothorax.", comparison="None."),
    # the engine abstains
    ReportPair("x1", "ABSTAIN please.", "No acute disease."),
)
DRAFTS = {
    "Heart size normal. Lungs clear. No pneumothorax.": "No acute cardiopulmonary abnormality.",
    "Small left pleural effusion.": "Small right pleural effusion.",
    "Small right pneumothorax.": "No acute disease.",
}


class TableEngine:
    """A deterministic fake engine: a fixed draft per findings; abstains on findings saying ABSTAIN."""

    name = "table"
    model_id = "table:1"

    def __init__(self) -> None:
        self.contexts: list[DraftContext | None] = []

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        self.contexts.append(context)
        if "ABSTAIN" in findings:
            return Draft(None, self.name, self.model_id, 1.0, abstained_reason="low_confidence")
        return Draft(DRAFTS[reflow(findings)], self.name, self.model_id, 2.0)


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- the run ------------------------------------------------------------------------------------------------


def test_every_pair_is_drafted_scored_and_flagged() -> None:
    # Given four reports and a fake engine
    engine = TableEngine()
    calls: list[tuple[int, int]] = []

    # When evaluated
    evaluation = evaluate(PAIRS, engine, progress=lambda done, total: calls.append((done, total)))

    # Then each draft is scored against the reference as rouge_score scores it, the abstention as empty
    expected = [score_pair(DRAFTS.get(p.findings, ""), p.impression, backend="rouge_score") for p in PAIRS]
    assert [r.scores for r in evaluation.results] == expected
    assert evaluation.results[3].scores.rougeL == 0.0
    assert evaluation.table.count == 4
    assert evaluation.table.rougeL.mean == pytest.approx(sum(s.rougeL for s in expected) / 4)
    # the engine saw each report's context, and the progress callback every draft
    assert engine.contexts[1] is not None and engine.contexts[1].comparison == "None."
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_normal_and_abnormal_split_by_the_reference_impression() -> None:
    evaluation = evaluate(PAIRS, TableEngine())

    assert [r.normal for r in evaluation.results] == [True, False, False, True]
    assert (evaluation.normal.count, evaluation.abnormal.count) == (2, 2)
    assert evaluation.abnormal.rougeL.mean == pytest.approx(
        (evaluation.results[1].scores.rougeL + evaluation.results[2].scores.rougeL) / 2
    )


def test_flags_of_the_drafts_beside_the_radiologists() -> None:
    evaluation = evaluate(PAIRS, TableEngine())

    # the drafts: a wrong side and a missing pneumothorax; the abstention is not checked
    assert [f.code for f in evaluation.results[1].draft_flags] == ["laterality_conflict:pleural_effusion"]
    assert [f.code for f in evaluation.results[2].draft_flags] == ["missing_critical:pneumothorax"]
    assert evaluation.draft_flags.counts[FlagKind.LATERALITY_CONFLICT] == 1
    assert evaluation.draft_flags.counts[FlagKind.MISSING_CRITICAL] == 1
    assert (evaluation.draft_flags.flagged, evaluation.draft_flags.checked) == (2, 3)
    # the radiologists: "stable" with no comparison
    assert [f.code for f in evaluation.results[2].reference_flags] == ["unsupported_comparison:comparison"]
    assert (evaluation.reference_flags.flagged, evaluation.reference_flags.checked) == (1, 4)
    assert evaluation.reference_flags.rate == 0.25


def test_abstentions_are_counted_with_their_reasons() -> None:
    evaluation = evaluate(PAIRS, TableEngine())

    assert evaluation.abstained == 1
    assert evaluation.abstention_reasons == {"low_confidence": 1}
    assert evaluation.latency_ms.count == 4
    assert (evaluation.engine, evaluation.model_id) == ("table", "table:1")


def test_the_json_document() -> None:
    document = evaluation_to_json(evaluate(PAIRS, TableEngine()))

    assert document["count"] == 4
    for metric in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert list(document[metric]) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    assert document["abnormal"]["count"] == 2
    assert set(document["abnormal"]["rougeL"]) == set(document["rougeL"])
    assert document["flags"]["draft"]["missing_critical"] == 1
    assert document["flags"]["radiologist"]["rate"] == 0.25
    assert document["abstained"] == 1
    assert document["peak_rss_mb"] is None or document["peak_rss_mb"] > 0
    json.dumps(document)  # JSON-ready as is


def test_the_printed_evaluation() -> None:
    text = format_evaluation(evaluate(PAIRS, TableEngine(), description="four reports"))

    assert "engine: table (table:1)" in text
    assert "evaluated: four reports" in text
    assert "aggregate ROUGE" in text and "25%" in text
    assert "abnormal" in text
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines["laterality_conflict"] == ["1", "0"]
    assert lines["unsupported_comparison"] == ["0", "1"]
    assert "abstained: 1 (low_confidence 1)" in text


def test_observation_agreement_of_the_drafts() -> None:
    # Given the four reports: the normal one agrees, the effusion is named (on the wrong side), the
    # pneumothorax is missed for a normal template, and the abstention states nothing
    evaluation = evaluate(PAIRS, TableEngine())

    # Then per report and summed over reports (tp: no finding, effusion; fp: no finding in a2;
    # fn: pneumothorax in a2, no finding in x1)
    assert [r.observation_f1 for r in evaluation.results] == [1.0, 1.0, 0.0, 0.0]
    overall = evaluation.observations.overall
    assert (overall.tp, overall.fp, overall.fn) == (2, 1, 2)
    abnormal = evaluation.abnormal_observations.overall
    assert (abnormal.tp, abnormal.fp, abnormal.fn) == (1, 1, 1)
    assert evaluation.abnormal_observations.per_observation["Pneumothorax"].recall == 0.0
    document = evaluation_to_json(evaluation)
    assert document["observations"]["abnormal"]["overall"]["f1"] == 0.5
    assert "observation F1" in format_evaluation(evaluation)


def test_fluency_of_the_drafts_beside_the_radiologists() -> None:
    # Given an engine that copies a careless impression, and references with a single numbered item
    class Careless(TableEngine):
        def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
            return Draft("No active disease..", self.name, self.model_id, 1.0)

    pairs = [ReportPair("r1", "Clear lungs.", "1. No acute disease."), ReportPair("r2", "Clear.", "Normal.")]
    evaluation = evaluate(pairs, Careless())

    # Then both sides are counted per kind
    assert evaluation.draft_fluency.counts["doubled_punctuation"] == 2
    assert evaluation.draft_fluency.affected == 2
    assert evaluation.reference_fluency.counts["dangling_numbering"] == 1
    assert evaluation.reference_fluency.affected == 1
    assert evaluation_to_json(evaluation)["fluency"]["draft"]["affected"] == 2


def test_wrapped_findings_reach_the_engine_wrapped() -> None:
    # Given the reports' findings wrapped at 12 columns
    flat = evaluate(PAIRS, TableEngine())
    wrapped = evaluate(PAIRS, TableEngine(), wrap=12)

    # Then the engine read line breaks, and (this engine reflows) scored the same
    assert "\n" in wrapped.results[0].findings
    assert [r.scores for r in wrapped.results] == [r.scores for r in flat.results]
    with pytest.raises(ConfigurationError):
        evaluate(PAIRS, TableEngine(), wrap=3)


def test_the_drafts_file_has_one_line_per_report() -> None:
    # Given an evaluation, When its drafts are written
    out = io.StringIO()
    written = write_drafts(evaluate(PAIRS, TableEngine()), out)

    # Then each line is a report with its draft, reference, scores and flags
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert written == len(rows) == 4
    assert rows[1]["id"] == "a1"
    assert rows[1]["draft"] == "Small right pleural effusion."
    assert rows[1]["reference"] == "Small left pleural effusion."
    assert rows[1]["flags"] == ["laterality_conflict:pleural_effusion"]
    assert rows[2]["observation_f1"] == 0.0
    assert set(rows[0]["rouge"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert rows[3]["draft"] is None and rows[3]["abstained_reason"] == "low_confidence"


def test_an_empty_run_prints_nan_not_errors() -> None:
    evaluation = evaluate((), TableEngine())
    assert evaluation.table.count == 0
    assert evaluation.draft_flags.rate is None
    assert "NaN" in format_evaluation(evaluation)


# --- the plan -----------------------------------------------------------------------------------------------


def test_the_same_file_as_reports_and_index_runs_leave_one_out(tmp_path: Path) -> None:
    reports = _jsonl(
        tmp_path / "r.jsonl", [{"id": "1", "findings": "Heart normal.", "impression": "Normal."}]
    )

    plan = plan_evaluation(reports=reports, index=reports)

    assert plan.leave_one_out
    assert plan.index_path == reports and plan.index_pairs is None
    assert "leave-one-out" in plan.description
    assert [p.id for p in plan.pairs] == ["1"]


def test_the_bundled_reports_against_the_default_index_run_leave_one_out() -> None:
    from radimpress.datasets.samplefeed.reports import iu_reports_path

    plan = plan_evaluation(reports=iu_reports_path(), limit=5)

    assert plan.leave_one_out and plan.index_path is None  # the engine's default index: the bundled file
    assert len(plan.pairs) == 5


def test_another_index_is_not_leave_one_out(tmp_path: Path) -> None:
    reports = _jsonl(
        tmp_path / "r.jsonl", [{"id": "1", "findings": "Heart normal.", "impression": "Normal."}]
    )
    index = _jsonl(tmp_path / "i.jsonl", [{"id": "2", "findings": "Heart normal.", "impression": "Clear."}])

    plan = plan_evaluation(reports=reports, index=index)

    assert not plan.leave_one_out and plan.index_path == index


def test_a_mediqa_index_is_read_into_memory(tmp_path: Path) -> None:
    reports = _jsonl(
        tmp_path / "r.jsonl", [{"id": "1", "findings": "Heart normal.", "impression": "Normal."}]
    )
    index = tmp_path / "mediqa.json"
    index.write_text(
        json.dumps(
            [
                {
                    "study_id": 7,
                    "subject_id": 1,
                    "findings": "Lungs clear.",
                    "impression": "Clear.",
                    "background": "Cough.",
                }
            ]
        ),
        encoding="utf-8",
    )

    plan = plan_evaluation(reports=reports, index=index)

    assert plan.index_path is None
    assert plan.index_pairs is not None and [p.id for p in plan.index_pairs] == ["7"]


def test_the_dev_split_is_evaluated_against_its_train_part() -> None:
    plan = plan_evaluation(split="dev")

    assert plan.index_pairs is not None and not plan.leave_one_out
    assert len(plan.pairs) + len(plan.index_pairs) == len(load_pairs())
    from radimpress.language.normalise import normalise_findings

    train = {normalise_findings(p.findings) for p in plan.index_pairs}
    assert not any(normalise_findings(p.findings) in train for p in plan.pairs)
    assert "dev split" in plan.description


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({}, "reports"),
        ({"split": "dev", "index": "x.jsonl"}, "index"),
        ({"split": "test"}, "split"),
        ({"split": "dev", "limit": 0}, "limit"),
    ],
)
def test_plans_that_make_no_sense(options: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        plan_evaluation(**options)  # type: ignore[arg-type]
    assert caught.value.where == where


def test_a_file_without_usable_pairs(tmp_path: Path) -> None:
    reports = _jsonl(tmp_path / "r.jsonl", [{"id": "1", "findings": "", "impression": "Normal."}])
    with pytest.raises(ConfigurationError, match="no report"):
        plan_evaluation(reports=reports, index=reports)


# --- the engine over the plan's index -----------------------------------------------------------------------


def test_an_in_memory_index_reaches_the_engine_as_a_temporary_file() -> None:
    # Given an in-memory index of one report
    index = (ReportPair("1", "Large left pleural effusion.", "Large left effusion."),)
    plan = EvaluationPlan((), None, index, False, "")

    temporary = Path(tempfile.gettempdir())
    before = set(temporary.glob("radimpress-index-*"))

    # When the retrieval engine is opened over it
    with open_engine(plan, "retrieval") as engine:
        draft = engine.draft("Left pleural effusion, large.")
        created = set(temporary.glob("radimpress-index-*")) - before
        assert [(d / "index.jsonl").is_file() for d in created] == [True]

    # Then it drafts from that report, and the temporary file is gone after the run
    assert draft.text == "Large left effusion."
    assert not any(d.exists() for d in created)


def test_leave_one_out_skips_the_report_itself(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "findings": "Large left pleural effusion.", "impression": "Large left effusion."},
        {"id": "2", "findings": "Small left pleural effusion.", "impression": "Small left effusion."},
    ]
    reports = _jsonl(tmp_path / "r.jsonl", rows)
    plan = plan_evaluation(reports=reports, index=reports)

    with open_engine(plan, "retrieval") as engine:
        drafts = [engine.draft(p.findings).text for p in plan.pairs]

    assert drafts == ["Small left effusion.", "Large left effusion."]


def test_open_index_engine_reads_a_mediqa_index(tmp_path: Path) -> None:
    index = tmp_path / "mediqa.json"
    index.write_text(
        json.dumps(
            [
                {
                    "study_id": "s1",
                    "subject_id": "p1",
                    "findings": "Right pneumothorax.",
                    "impression": "Right pneumothorax.",
                    "background": "",
                }
            ]
        ),
        encoding="utf-8",
    )
    with open_index_engine(index, "retrieval") as engine:
        assert engine.draft("Small right pneumothorax.").text == "Right pneumothorax."


# --- the progress bar ---------------------------------------------------------------------------------------


def test_the_progress_bar_redraws_sparingly_and_ends_the_line() -> None:
    # Given a bar on a stream with a clock that advances 0.1 s per reading
    ticks = iter(i / 10 for i in range(100))
    stream = io.StringIO()
    bar = ProgressBar(stream, interval=0.25, width=10, clock=lambda: next(ticks))

    # When 6 of 6 items are reported
    for done in range(1, 7):
        bar(done, 6)

    # Then it drew the first, every 0.25 s after, and the last, ending the line
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].startswith("drafting 1/6 [#.........]")
    assert frames[-1].startswith("drafting 6/6 [##########] 100%")
    assert frames[-1].endswith("\n")
    assert 2 < len(frames) < 6
