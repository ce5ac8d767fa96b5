"""Compare two engines on the same reports: the pre-trained and the fine-tuned model, or any two engines.

Both sides are evaluated by :func:`radimpress.scoring.offline.evaluate` on the same pairs (one
:func:`~radimpress.scoring.offline.plan_evaluation`: a reports file, optionally with an index or the dev
split). An engine is given as ``NAME`` or ``NAME:KEY=VALUE,KEY=VALUE`` (``flan-t5:checkpoint=DIR``,
``retrieval``, ``consensus``); whole-number values become integers (``batch_size=4``). A seq2seq engine
(``flan-t5``) drafts from its weights, not from an index: it is evaluated on the plan's pairs without the
plan's index.

The output is each side's study table (pandas describe() layout), then the aggregate ROUGE of both, the
per-metric delta (candidate minus baseline) for all reports and the abnormal subset, and the study's
published aggregates (:data:`radimpress.scoring.study_table.STUDY_REFERENCE`): as text (default), as
Markdown (``--format markdown``) or as one JSON object (``--format json``, or ``--json``). ``--plots DIR``
also writes box plots of the per-report scores (``DIR/compare.png`` and ``.svg``). ``--metric NAME`` adds a
registered per-report metric (:mod:`training.metrics`; the hook for observation F1) to all of these.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radimpress.drafting.engines import engine_names
from radimpress.errors import ConfigurationError, RadimpressError
from radimpress.scoring.offline import (
    Evaluation,
    EvaluationPlan,
    evaluate,
    open_engine,
    plan_evaluation,
)
from radimpress.scoring.offline_output import evaluation_to_json
from radimpress.scoring.rouge import ROUGE_TYPES
from radimpress.scoring.study_table import STUDY_REFERENCE, StudyTable, format_table, text_grid
from training.metrics import PairMetric, open_metric

__all__ = [
    "INDEXLESS_ENGINES",
    "Comparison",
    "EngineSpec",
    "compare",
    "comparison_to_json",
    "deltas",
    "format_comparison",
    "format_markdown",
    "main",
    "parse_engine_spec",
    "per_report_scores",
]

#: Engines that draft from weights, not from an index of reports.
INDEXLESS_ENGINES = frozenset({"flan-t5"})


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """An engine name and the options it is built with."""

    name: str
    options: Mapping[str, Any]

    @property
    def label(self) -> str:
        options = ",".join(f"{key}={value}" for key, value in self.options.items())
        return f"{self.name}:{options}" if options else self.name


def _value(text: str) -> Any:
    return int(text) if text.isdigit() else text


def parse_engine_spec(text: str) -> EngineSpec:
    """``NAME`` or ``NAME:KEY=VALUE,...``; an unknown name or a malformed option raises."""
    name, _, rest = text.partition(":")
    if name not in engine_names():
        raise ConfigurationError(f"unknown engine {name!r}; known: {', '.join(engine_names())}", where=text)
    options: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"expected KEY=VALUE, not {item!r}", where=text)
        options[key] = _value(value)
    return EngineSpec(name, options)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both evaluations, on the same pairs."""

    baseline_spec: EngineSpec
    candidate_spec: EngineSpec
    baseline: Evaluation
    candidate: Evaluation
    #: metric name → (baseline, candidate) per-report scores of each extra metric (``--metric``)
    extra: Mapping[str, tuple[list[float | None], list[float | None]]] = dataclasses.field(
        default_factory=dict
    )


def _plan_for(plan: EvaluationPlan, spec: EngineSpec) -> EvaluationPlan:
    if spec.name in INDEXLESS_ENGINES:
        return dataclasses.replace(plan, index_path=None, index_pairs=None, leave_one_out=False)
    return plan


def _evaluate(plan: EvaluationPlan, spec: EngineSpec, use_stemmer: bool) -> Evaluation:
    with open_engine(_plan_for(plan, spec), spec.name, spec.options) as engine:
        return evaluate(plan.pairs, engine, use_stemmer=use_stemmer, description=plan.description)


def _extra(metric: PairMetric, evaluation: Evaluation) -> list[float | None]:
    drafts = [result.draft.text or "" for result in evaluation.results]
    return metric.score(drafts, [result.reference for result in evaluation.results])


def compare(
    plan: EvaluationPlan,
    baseline: EngineSpec,
    candidate: EngineSpec,
    *,
    use_stemmer: bool = False,
    metrics: Sequence[PairMetric] = (),
) -> Comparison:
    """Evaluate both engines on ``plan``'s pairs, with any extra per-report ``metrics``."""
    base, cand = _evaluate(plan, baseline, use_stemmer), _evaluate(plan, candidate, use_stemmer)
    extra = {metric.name: (_extra(metric, base), _extra(metric, cand)) for metric in metrics}
    return Comparison(baseline, candidate, base, cand, extra)


def _mean(values: Sequence[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def per_report_scores(comparison: Comparison) -> dict[str, dict[str, list[float]]]:
    """metric → {side label → per-report scores}: what the box plots show (undefined scores left out)."""
    labels = (f"baseline\n{comparison.baseline_spec.name}", f"candidate\n{comparison.candidate_spec.name}")
    sides = (comparison.baseline, comparison.candidate)
    scores = {
        name: {
            label: [getattr(r.scores, name) for r in side.results]
            for label, side in zip(labels, sides, strict=True)
        }
        for name in ROUGE_TYPES
    }
    for name, pair in comparison.extra.items():
        scores[name] = {
            label: [v for v in values if v is not None] for label, values in zip(labels, pair, strict=True)
        }
    return scores


def _difference(candidate: float | None, baseline: float | None) -> float | None:
    return None if candidate is None or baseline is None else candidate - baseline


def deltas(baseline: StudyTable, candidate: StudyTable) -> dict[str, float | None]:
    """Candidate minus baseline aggregate, per ROUGE metric (``None`` where a side has no pairs)."""
    return {n: _difference(candidate.aggregate.get(n), baseline.aggregate.get(n)) for n in ROUGE_TYPES}


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    """Both evaluations (as ``radimpress evaluate --json``), the deltas and the study's reference rows."""
    return {
        "baseline": {"spec": comparison.baseline_spec.label, **evaluation_to_json(comparison.baseline)},
        "candidate": {"spec": comparison.candidate_spec.label, **evaluation_to_json(comparison.candidate)},
        "delta": deltas(comparison.baseline.table, comparison.candidate.table),
        "delta_abnormal": deltas(comparison.baseline.abnormal, comparison.candidate.abnormal),
        "metrics": {
            name: {
                "baseline": _mean(base),
                "candidate": _mean(cand),
                "delta": _difference(_mean(cand), _mean(base)),
            }
            for name, (base, cand) in comparison.extra.items()
        },
        "study_reference": [
            {"model": r.model, "dataset": r.dataset, **{n: getattr(r.scores, n) for n in ROUGE_TYPES}}
            for r in STUDY_REFERENCE
        ],
    }


def _cell(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "NaN"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def format_comparison(comparison: Comparison) -> str:
    """The text ``python -m training.compare`` prints."""
    base, cand = comparison.baseline, comparison.candidate
    rows: list[list[str]] = [["aggregate ROUGE", *ROUGE_TYPES]]
    for label, evaluation in (("baseline", base), ("candidate", cand)):
        rows.append([f"{label} (all)", *(_cell(evaluation.table.aggregate.get(n)) for n in ROUGE_TYPES)])
    rows.append(["delta (all)", *(_cell(d, signed=True) for d in deltas(base.table, cand.table).values())])
    for label, evaluation in (("baseline", base), ("candidate", cand)):
        rows.append(
            [f"{label} (abnormal)", *(_cell(evaluation.abnormal.aggregate.get(n)) for n in ROUGE_TYPES)]
        )
    rows.append(
        ["delta (abnormal)", *(_cell(d, signed=True) for d in deltas(base.abnormal, cand.abnormal).values())]
    )
    rows += [[r.label, *(_cell(getattr(r.scores, n)) for n in ROUGE_TYPES)] for r in STUDY_REFERENCE]
    sections = [
        f"evaluated: {base.description}" if base.description else "",
        f"baseline: {comparison.baseline_spec.label} ({base.model_id}), {base.table.count} reports, "
        f"{base.abstained} abstained",
        format_table(base.table).rstrip("\n"),
        f"candidate: {comparison.candidate_spec.label} ({cand.model_id}), {cand.table.count} reports, "
        f"{cand.abstained} abstained",
        format_table(cand.table).rstrip("\n"),
        "\n".join(text_grid(rows)),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _markdown_rows(rows: Sequence[Sequence[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in body]


def _describe_rows(table: StudyTable) -> list[list[str]]:
    rows = [["", *ROUGE_TYPES]]
    labels = list(table.rouge1.as_dict())
    for label in labels:
        cells = []
        for name in ROUGE_TYPES:
            value = table.metric(name).as_dict()[label]
            cells.append(str(value) if isinstance(value, int) else _cell(value))
        rows.append([label, *cells])
    return rows


def format_markdown(comparison: Comparison) -> str:
    """The study's table for both engines, the aggregates with deltas and the study's rows, as Markdown."""
    base, cand = comparison.baseline, comparison.candidate
    parts = [f"# {comparison.baseline_spec.label} vs {comparison.candidate_spec.label}", ""]
    if base.description:
        parts += [f"Evaluated: {base.description}.", ""]
    for side, spec, evaluation in (
        ("Baseline", comparison.baseline_spec, base),
        ("Candidate", comparison.candidate_spec, cand),
    ):
        parts += [
            f"## {side}: `{spec.label}` ({evaluation.model_id})",
            "",
            f"{evaluation.table.count} reports, {evaluation.abstained} abstained.",
            "",
            *_markdown_rows(_describe_rows(evaluation.table)),
            "",
        ]
    rows: list[list[str]] = [["aggregate", *ROUGE_TYPES, *comparison.extra]]
    extra_means = {name: (_mean(b), _mean(c)) for name, (b, c) in comparison.extra.items()}
    for index, (label, evaluation) in enumerate((("baseline", base), ("candidate", cand))):
        rows.append(
            [
                label,
                *(_cell(evaluation.table.aggregate.get(n)) for n in ROUGE_TYPES),
                *(_cell(means[index]) for means in extra_means.values()),
            ]
        )
    rows.append(
        [
            "delta",
            *(_cell(d, signed=True) for d in deltas(base.table, cand.table).values()),
            *(_cell(_difference(c, b), signed=True) for b, c in extra_means.values()),
        ]
    )
    for label, evaluation in (("baseline (abnormal)", base), ("candidate (abnormal)", cand)):
        rows.append(
            [
                label,
                *(_cell(evaluation.abnormal.aggregate.get(n)) for n in ROUGE_TYPES),
                *([""] * len(comparison.extra)),
            ]
        )
    rows += [
        [r.label, *(_cell(getattr(r.scores, n)) for n in ROUGE_TYPES), *([""] * len(comparison.extra))]
        for r in STUDY_REFERENCE
    ]
    parts += ["## Aggregate ROUGE", "", *_markdown_rows(rows), ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m training.compare") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--reports", help="reports JSONL or MEDIQA JSON (default with --split: bundled IU)")
    parser.add_argument("--index", help="reports the index engines retrieve from (default: bundled IU)")
    parser.add_argument("--split", choices=("dev",), help="dev part of --reports against its train part")
    parser.add_argument("--limit", type=int, help="evaluate the first N pairs only")
    parser.add_argument("--baseline", required=True, help="e.g. flan-t5:checkpoint=DIR (pre-trained)")
    parser.add_argument("--candidate", required=True, help="e.g. flan-t5:checkpoint=DIR (fine-tuned)")
    parser.add_argument("--stemmer", action="store_true", help="ROUGE with the Porter stemmer")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument("--plots", metavar="DIR", help="write box plots DIR/compare.png and .svg")
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="a registered per-report metric (training.metrics), e.g. observation F1",
    )
    args = parser.parse_args(argv)
    try:
        baseline, candidate = parse_engine_spec(args.baseline), parse_engine_spec(args.candidate)
        metrics = [open_metric(name) for name in args.metric]
        plan = plan_evaluation(reports=args.reports, index=args.index, split=args.split, limit=args.limit)
        comparison = compare(plan, baseline, candidate, use_stemmer=args.stemmer, metrics=metrics)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = "json" if args.json else args.format
    if output == "json":
        print(json.dumps(comparison_to_json(comparison), indent=2, sort_keys=True))
    elif output == "markdown":
        sys.stdout.write(format_markdown(comparison))
    else:
        sys.stdout.write(format_comparison(comparison))
    if args.plots:
        from training.plots import box_plots  # noqa: PLC0415 - matplotlib only for --plots

        title = f"{baseline.label} vs {candidate.label}"
        for path in box_plots(per_report_scores(comparison), Path(args.plots), title=title):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
