"""The study's evaluation table: per ROUGE metric, the distribution of per-report F-measures.

The study scored every (draft, radiologist impression) pair and printed pandas' ``describe()`` of the
scores (count, mean, sample std, min, quartiles, max) beside the aggregate ROUGE of the corpus. This module
computes the same figures in plain Python (``statistics``): std with ``ddof=1``, quartiles by linear
interpolation (numpy's and pandas' default), NaN scores skipped and std undefined (``None``) below two
values, as pandas does. :data:`STUDY_REFERENCE` holds the published figures to print beside ours.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from radimpress.scoring.rouge import ROUGE_TYPES, RougeScores

__all__ = [
    "CSV_HEADER",
    "STUDY_REFERENCE",
    "MetricSummary",
    "ReferenceScores",
    "StudyTable",
    "format_table",
    "study_table",
    "summarize",
    "table_from_json",
    "table_to_csv",
    "table_to_json",
    "text_grid",
]

CSV_HEADER = ("metric", "count", "mean", "std", "min", "25%", "50%", "75%", "max")
_STATISTICS = CSV_HEADER[1:]  # as pandas labels them; MetricSummary's fields in the same order


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """pandas ``Series.describe()`` of one metric's scores; ``None`` where pandas shows NaN."""

    count: int
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    max: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        """Keyed by pandas' labels: count, mean, std, min, 25%, 50%, 75%, max."""
        return {label: getattr(self, f.name) for label, f in zip(_STATISTICS, fields(self), strict=True)}


def summarize(values: Sequence[float]) -> MetricSummary:
    """The describe() figures of ``values``; NaN values are left out, as pandas does."""
    data = sorted(v for v in values if not math.isnan(v))
    count = len(data)
    if count == 0:
        return MetricSummary(0, None, None, None, None, None, None, None)
    if count == 1:
        only = data[0]
        return MetricSummary(1, only, None, only, only, only, only, only)
    p25, p50, p75 = statistics.quantiles(data, n=4, method="inclusive")  # linear, like numpy
    return MetricSummary(
        count=count,
        mean=statistics.fmean(data),
        std=statistics.stdev(data),
        min=data[0],
        p25=p25,
        p50=p50,
        p75=p75,
        max=data[-1],
    )


@dataclass(frozen=True, slots=True)
class StudyTable:
    """The summary of each ROUGE metric over a corpus, and the corpus' aggregate (mean F) per metric."""

    rouge1: MetricSummary
    rouge2: MetricSummary
    rougeL: MetricSummary  # the metrics' own names, as rouge_score and the study spell them
    rougeLsum: MetricSummary
    aggregate: Mapping[str, float | None]

    @property
    def count(self) -> int:
        """How many scored pairs the table summarises."""
        return self.rouge1.count

    def metric(self, name: str) -> MetricSummary:
        """The summary of metric ``name`` (one of :data:`~radimpress.scoring.rouge.ROUGE_TYPES`)."""
        if name not in ROUGE_TYPES:
            raise KeyError(name)
        summary: MetricSummary = getattr(self, name)
        return summary


def study_table(scores: Sequence[RougeScores]) -> StudyTable:
    """The study's table for the per-pair ``scores`` of one corpus (e.g. one day's results)."""
    summaries = {name: summarize([getattr(s, name) for s in scores]) for name in ROUGE_TYPES}
    return StudyTable(
        rouge1=summaries["rouge1"],
        rouge2=summaries["rouge2"],
        rougeL=summaries["rougeL"],
        rougeLsum=summaries["rougeLsum"],
        aggregate={name: summaries[name].mean for name in ROUGE_TYPES},
    )


def table_to_json(table: StudyTable) -> dict[str, Any]:
    """A JSON-ready dict: ``count``, ``metrics`` (per metric, pandas' labels) and ``aggregate``."""
    return {
        "count": table.count,
        "metrics": {name: table.metric(name).as_dict() for name in ROUGE_TYPES},
        "aggregate": {name: table.aggregate.get(name) for name in ROUGE_TYPES},
    }


def table_from_json(document: Mapping[str, Any]) -> StudyTable:
    """The inverse of :func:`table_to_json` (e.g. a stored ``summary.json`` read back)."""
    metrics = document["metrics"]
    summaries = {
        name: MetricSummary(*(metrics[name][label] for label in _STATISTICS)) for name in ROUGE_TYPES
    }
    return StudyTable(
        rouge1=summaries["rouge1"],
        rouge2=summaries["rouge2"],
        rougeL=summaries["rougeL"],
        rougeLsum=summaries["rougeLsum"],
        aggregate={name: document["aggregate"].get(name) for name in ROUGE_TYPES},
    )


def table_to_csv(table: StudyTable) -> str:
    """One row per metric under ``metric,count,mean,std,min,25%,50%,75%,max``; undefined figures empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for name in ROUGE_TYPES:
        row = table.metric(name).as_dict()
        writer.writerow([name, *("" if row[label] is None else row[label] for label in _STATISTICS)])
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class ReferenceScores:
    """Aggregate ROUGE the study published for one model on one test set."""

    model: Literal["fine-tuned", "pre-trained"]
    dataset: Literal["MIMIC-CXR", "IU X-ray"]
    scores: RougeScores

    @property
    def label(self) -> str:
        return f"study, {self.model}, {self.dataset}"


STUDY_REFERENCE: tuple[ReferenceScores, ...] = (
    ReferenceScores("fine-tuned", "MIMIC-CXR", RougeScores(0.6040, 0.4800, 0.5705, 0.5708)),
    ReferenceScores("fine-tuned", "IU X-ray", RougeScores(0.4660, 0.3125, 0.4525, 0.4525)),
    ReferenceScores("pre-trained", "MIMIC-CXR", RougeScores(0.2239, 0.1134, 0.1891, 0.1891)),
    ReferenceScores("pre-trained", "IU X-ray", RougeScores(0.1583, 0.0599, 0.1391, 0.1393)),
)


def _cell(value: float | int | None) -> str:
    if value is None:
        return "NaN"  # what pandas prints for an undefined figure
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


def text_grid(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells, the first column left-aligned, the others right-aligned, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def format_table(table: StudyTable, *, reference: Sequence[ReferenceScores] = ()) -> str:
    """The table as the study printed it (describe() layout, 4 decimals), then the aggregate ROUGE.

    With ``reference`` (e.g. :data:`STUDY_REFERENCE`), the published aggregates follow ours, one row each.
    """
    header = ["", *ROUGE_TYPES]
    described = [
        [label, *(_cell(table.metric(name).as_dict()[label]) for name in ROUGE_TYPES)]
        for label in _STATISTICS
    ]
    lines = text_grid([header, *described])
    aggregates = [
        ["aggregate ROUGE", *ROUGE_TYPES],
        ["this run", *(_cell(table.aggregate.get(n)) for n in ROUGE_TYPES)],
    ]
    aggregates += [[r.label, *(_cell(getattr(r.scores, n)) for n in ROUGE_TYPES)] for r in reference]
    return "\n".join([*lines, "", *text_grid(aggregates)]) + "\n"
