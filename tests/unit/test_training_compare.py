"""training.compare: two engines on the same reports, side by side with the delta and the study's rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from radimpress.errors import ConfigurationError
from radimpress.scoring.offline import evaluate, open_engine, plan_evaluation
from radimpress.scoring.rouge import ROUGE_TYPES
from radimpress.scoring.study_table import STUDY_REFERENCE
from tests.tiny_seq2seq import require_transformers, save_tiny_t5
from training.compare import (
    EngineSpec,
    compare,
    comparison_to_json,
    deltas,
    main,
    parse_engine_spec,
)

INDEX = [
    ("Heart size normal. Lungs are clear. No effusion.", "No acute cardiopulmonary abnormality."),
    ("Mild cardiomegaly. Lungs are clear.", "Mild cardiomegaly."),
    ("Right lower lobe opacity. No effusion.", "Right lower lobe pneumonia."),
    ("Left pleural effusion. Heart size normal.", "Left pleural effusion."),
    ("Hyperexpanded lungs. No focal consolidation.", "Emphysema."),
]
REPORTS = [
    ("The heart size is normal. The lungs are clear.", "No acute cardiopulmonary abnormality."),
    ("Right lower lobe opacity is present.", "Right lower lobe pneumonia."),
    ("Moderate cardiomegaly. Clear lungs.", "Cardiomegaly."),
]


def _write(path: Path, pairs) -> Path:
    rows = ({"id": f"r{i}", "findings": f, "impression": imp} for i, (f, imp) in enumerate(pairs))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "reports.jsonl", REPORTS), _write(tmp_path / "index.jsonl", INDEX)


def test_engine_specs_parse_names_and_options():
    # Given / When / Then a bare name, and options with whole numbers as integers
    assert parse_engine_spec("retrieval") == EngineSpec("retrieval", {})
    spec = parse_engine_spec("flan-t5:checkpoint=/models/ft,batch_size=4")
    assert spec == EngineSpec("flan-t5", {"checkpoint": "/models/ft", "batch_size": 4})
    assert spec.label == "flan-t5:checkpoint=/models/ft,batch_size=4"
    with pytest.raises(ConfigurationError, match="unknown engine"):
        parse_engine_spec("gpt:size=xl")
    with pytest.raises(ConfigurationError, match="KEY=VALUE"):
        parse_engine_spec("retrieval:path")


def test_compare_evaluates_both_engines_on_the_same_pairs(files):
    # Given reports and an index
    reports, index = files
    plan = plan_evaluation(reports=reports, index=index)
    # When retrieval and consensus are compared
    comparison = compare(plan, EngineSpec("retrieval", {}), EngineSpec("consensus", {}))
    # Then each side is exactly what offline evaluation gives for that engine alone
    for spec, evaluation in (
        (comparison.baseline_spec, comparison.baseline),
        (comparison.candidate_spec, comparison.candidate),
    ):
        with open_engine(plan, spec.name, spec.options) as engine:
            alone = evaluate(plan.pairs, engine)
        assert [r.scores for r in evaluation.results] == [r.scores for r in alone.results]
        assert [r.id for r in evaluation.results] == ["r0", "r1", "r2"]
    # And the delta is candidate minus baseline, per metric
    delta = deltas(comparison.baseline.table, comparison.candidate.table)
    for name in ROUGE_TYPES:
        candidate, baseline = (
            comparison.candidate.table.aggregate[name],
            comparison.baseline.table.aggregate[name],
        )
        assert candidate is not None and baseline is not None
        assert delta[name] == pytest.approx(candidate - baseline)


def test_json_holds_both_sides_the_delta_and_the_study_reference(files):
    # Given a comparison
    reports, index = files
    comparison = compare(
        plan_evaluation(reports=reports, index=index),
        EngineSpec("retrieval", {}),
        EngineSpec("consensus", {}),
    )
    # When rendered as JSON
    document = json.loads(json.dumps(comparison_to_json(comparison)))
    # Then it has both evaluations, their deltas and the four published rows
    assert document["baseline"]["spec"] == "retrieval"
    assert document["candidate"]["spec"] == "consensus"
    assert document["baseline"]["count"] == document["candidate"]["count"] == 3
    assert document["delta"]["rougeL"] == pytest.approx(
        document["candidate"]["rougeL"]["mean"] - document["baseline"]["rougeL"]["mean"]
    )
    assert len(document["study_reference"]) == len(STUDY_REFERENCE)
    assert document["study_reference"][0] == {
        "model": "fine-tuned",
        "dataset": "MIMIC-CXR",
        "rouge1": 0.6040,
        "rouge2": 0.4800,
        "rougeL": 0.5705,
        "rougeLsum": 0.5708,
    }


def test_text_output_prints_both_tables_the_signed_delta_and_the_study_rows(files, capsys):
    # Given the CLI on the tiny corpus
    reports, index = files
    # When it compares retrieval with consensus
    code = main(
        [
            "--reports",
            str(reports),
            "--index",
            str(index),
            "--baseline",
            "retrieval",
            "--candidate",
            "consensus",
        ]
    )
    out = capsys.readouterr().out
    # Then both study tables, a signed delta row and every published row are printed
    assert code == 0
    assert len(re.findall(r"^count\s+3\s+3\s+3\s+3$", out, flags=re.MULTILINE)) == 2
    delta_row = next(line for line in out.splitlines() if line.startswith("delta (all)"))
    assert all(cell[0] in "+-" for cell in delta_row.split()[2:])
    for reference in STUDY_REFERENCE:
        assert reference.label in out


def test_cli_errors_exit_2(tmp_path, capsys):
    # Given / When an unknown engine or reports without usable pairs
    empty = _write(tmp_path / "empty.jsonl", [])
    assert main(["--reports", str(empty), "--baseline", "retrieval", "--candidate", "nope"]) == 2
    assert main(["--reports", str(empty), "--baseline", "retrieval", "--candidate", "consensus"]) == 2
    # Then the reasons are printed
    err = capsys.readouterr().err
    assert "unknown engine" in err and "no report" in err


def test_two_flan_t5_checkpoints_are_compared_without_the_index(tmp_path, capsys):
    # Given a "pre-trained" and a "fine-tuned" tiny T5 (different seeds) and the dev split of a reports file
    require_transformers()
    before = save_tiny_t5(tmp_path / "pre", seed=0)
    after = save_tiny_t5(tmp_path / "fine", seed=1)
    reports = _write(tmp_path / "reports.jsonl", INDEX + REPORTS)
    # When compared as flan-t5 checkpoints on the dev split (an index a seq2seq engine must not get)
    code = main(
        [
            "--reports",
            str(reports),
            "--split",
            "dev",
            "--json",
            "--baseline",
            f"flan-t5:checkpoint={before},device=cpu",
            "--candidate",
            f"flan-t5:checkpoint={after},device=cpu",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    # Then both sides ran on the same dev pairs, with their own model ids
    assert code == 0
    assert document["baseline"]["count"] == document["candidate"]["count"] >= 1
    assert document["baseline"]["model_id"] != document["candidate"]["model_id"]
    assert set(document["delta"]) == set(ROUGE_TYPES)


class _Overlap:
    """A stand-in per-report metric for the hook: 1 when draft and reference share a word, else 0;
    undefined (None) for an empty draft."""

    name = "word_overlap"

    def score(self, drafts, references):
        return [
            None if not d.strip() else float(bool(set(d.lower().split()) & set(r.lower().split())))
            for d, r in zip(drafts, references, strict=True)
        ]


def test_markdown_has_the_study_table_for_both_engines_and_the_deltas(files, capsys):
    # Given the CLI on the tiny corpus
    reports, index = files
    # When it prints Markdown
    code = main(
        [
            "--reports",
            str(reports),
            "--index",
            str(index),
            "--baseline",
            "retrieval",
            "--candidate",
            "consensus",
            "--format",
            "markdown",
        ]
    )
    out = capsys.readouterr().out
    # Then there are two describe tables (count 3 in every metric), an aggregate table with a signed delta
    assert code == 0
    assert out.count("| count | 3 | 3 | 3 | 3 |") == 2
    assert out.count("|---|---:|---:|---:|---:|") == 3  # two describe tables and the aggregates
    delta = next(line for line in out.splitlines() if line.startswith("| delta |"))
    assert all(cell.strip()[0] in "+-" for cell in delta.strip("|").split("|")[1:])
    assert "| study, fine-tuned, MIMIC-CXR | 0.6040 | 0.4800 | 0.5705 | 0.5708 |" in out


def test_an_extra_metric_joins_json_markdown_and_plots(files, tmp_path, monkeypatch):
    # Given a registered per-report metric (the hook observation F1 will use)
    from training import metrics
    from training.compare import format_markdown, per_report_scores

    monkeypatch.setattr(metrics, "_REGISTRY", {})
    metrics.register_metric("word_overlap", _Overlap)
    reports, index = files
    comparison = compare(
        plan_evaluation(reports=reports, index=index),
        EngineSpec("retrieval", {}),
        EngineSpec("consensus", {}),
        metrics=[metrics.open_metric("word_overlap")],
    )
    # When rendered
    document = comparison_to_json(comparison)
    scores = per_report_scores(comparison)
    # Then its mean per side and delta are in the JSON, a column in the Markdown, a panel in the plots
    base = comparison.extra["word_overlap"][0]
    assert document["metrics"]["word_overlap"]["baseline"] == pytest.approx(
        sum(v for v in base if v is not None) / len([v for v in base if v is not None])
    )
    assert document["metrics"]["word_overlap"]["delta"] == pytest.approx(
        document["metrics"]["word_overlap"]["candidate"] - document["metrics"]["word_overlap"]["baseline"]
    )
    assert "| aggregate | rouge1 | rouge2 | rougeL | rougeLsum | word_overlap |" in format_markdown(
        comparison
    )
    assert list(scores) == [*ROUGE_TYPES, "word_overlap"]
    with pytest.raises(ConfigurationError, match="unknown metric"):
        metrics.open_metric("no_such_metric")


def test_observation_f1_is_registered_and_scores_each_pair():
    # Given the registered observation F1, When two drafts are scored against their references
    from training import metrics

    metric = metrics.open_metric("observation_f1")
    scores = metric.score(
        ["Small left pleural effusion.", "No acute disease."],
        ["Small left effusion.", "Small right pneumothorax."],
    )
    # Then the effusion agrees and the missed pneumothorax does not
    assert scores == [1.0, 0.0]
    assert "observation_f1" in metrics.metric_names()


def test_plots_are_written_as_png_and_svg_the_same_each_run(files, tmp_path, capsys):
    # Given the CLI with --plots, run twice
    reports, index = files
    args = [
        "--reports",
        str(reports),
        "--index",
        str(index),
        "--baseline",
        "retrieval",
        "--candidate",
        "consensus",
    ]
    assert main([*args, "--plots", str(tmp_path / "one")]) == 0
    assert main([*args, "--plots", str(tmp_path / "two"), "--json"]) == 0
    # Then a PNG and an SVG were written, the SVG byte-identical across runs, one box per engine per metric
    png, svg = tmp_path / "one/compare.png", tmp_path / "one/compare.svg"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert svg.read_bytes() == (tmp_path / "two/compare.svg").read_bytes()
    text = svg.read_text()
    for name in ROUGE_TYPES:
        assert name in text
    assert "wrote" in capsys.readouterr().err
