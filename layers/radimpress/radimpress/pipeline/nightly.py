"""Nightly evaluation: one day's results in, the study's ROUGE table out (S3 JSON + CSV, CloudWatch EMF).

For a date (by default yesterday in the schedule's time zone; ``{"date": "YYYY-MM-DD"}`` reruns a given day),
read every ``results/dt=<date>/*.parquet``, keep one row per inference (the latest completion, should a batch
have been redelivered), summarise the rows that have ROUGE with
:func:`radimpress.scoring.study_table.study_table`, write ``evaluations/dt=<date>/summary.json`` and
``summary.csv``, and publish per metric the mean and count as CloudWatch metrics (EMF, dimension ``Metric``).
Beside ROUGE the summary holds the day's clinical-content and readability figures: the observation F1
distribution (CheXpert observations of draft vs radiologist, same statistics as the study's table), the
share of drafts with a safety flag, and the drafts with a fluency problem (published as ``ObservationF1Mean``,
``FlaggedDraftRate`` and ``FluencyProblemDrafts``).
A day without results writes an empty table (count 0) rather than failing: "nothing was drafted yesterday" is
itself worth a metric.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from radimpress.observability import MetricUnit, logger, publish
from radimpress.pipeline.records import ResultRecord, partition
from radimpress.ports import ObjectStore
from radimpress.scoring.rouge import ROUGE_TYPES, RougeScores
from radimpress.scoring.study_table import (
    MetricSummary,
    StudyTable,
    study_table,
    summarize,
    table_to_csv,
    table_to_json,
)

__all__ = ["NightlyEvent", "NightlySummary", "ResultReader", "evaluate_day", "evaluation_keys", "yesterday"]

ResultReader = Callable[[bytes], Sequence[ResultRecord]]


class NightlyEvent(BaseModel):
    """The scheduler's input (``{}``), or ``{"date": "YYYY-MM-DD"}`` to evaluate a given day."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    day: date | None = Field(default=None, alias="date")


@dataclass(frozen=True, slots=True)
class NightlySummary:
    """What one evaluation read and wrote."""

    day: date
    files: int
    results: int
    scored: int
    keys: tuple[str, str]
    table: StudyTable
    observation_f1: MetricSummary = field(default_factory=lambda: summarize(()))
    flagged: int = 0
    fluency_problems: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The ``summary.json`` document (and the function's return value)."""
        return {
            "date": self.day.isoformat(),
            "files": self.files,
            "results": self.results,
            "scored": self.scored,
            **table_to_json(self.table),
            "observation_f1": self.observation_f1.as_dict(),
            "flagged_drafts": self.flagged,
            "flagged_rate": self.flagged / self.results if self.results else None,
            "fluency_problem_drafts": self.fluency_problems,
        }


def yesterday(now: datetime, zone: ZoneInfo) -> date:
    """The calendar day before ``now``'s, as a clock in ``zone`` shows it."""
    return now.astimezone(zone).date() - timedelta(days=1)


def evaluation_keys(day: date) -> tuple[str, str]:
    prefix = f"evaluations/{partition(day)}"
    return f"{prefix}/summary.json", f"{prefix}/summary.csv"


def evaluate_day(day: date, *, store: ObjectStore, read: ResultReader) -> NightlySummary:
    """Summarise ``day``'s results, write the summary, publish the metrics, return what was done."""
    keys = [key for key in store.list(f"results/{partition(day)}/") if key.endswith(".parquet")]
    latest: dict[str, ResultRecord] = {}
    for key in keys:
        for row in read(store.get(key)):
            kept = latest.get(row.inference_id)
            if kept is None or row.completed_at > kept.completed_at:
                latest[row.inference_id] = row
    scores = [_scores(row) for row in latest.values()]
    scored = [score for score in scores if score is not None]
    rows = list(latest.values())
    summary = NightlySummary(
        day,
        len(keys),
        len(rows),
        len(scored),
        evaluation_keys(day),
        study_table(scored),
        observation_f1=summarize([row.observation_f1 for row in rows if row.observation_f1 is not None]),
        flagged=sum(1 for row in rows if row.flag_count),
        fluency_problems=sum(1 for row in rows if row.fluency_count),
    )
    json_key, csv_key = summary.keys
    document = json.dumps(summary.as_dict(), indent=2, allow_nan=False).encode("utf-8")
    store.put(json_key, document, "application/json")
    store.put(csv_key, table_to_csv(summary.table).encode("utf-8"), "text/csv")
    _publish(summary)
    logger.info("day evaluated", day=day.isoformat(), results=summary.results, scored=summary.scored)
    return summary


def _scores(row: ResultRecord) -> RougeScores | None:
    values = (row.rouge1, row.rouge2, row.rougeL, row.rougeLsum)
    if any(value is None for value in values):
        return None
    rouge1, rouge2, rouge_l, rouge_lsum = (float(value or 0.0) for value in values)
    return RougeScores(rouge1=rouge1, rouge2=rouge2, rougeL=rouge_l, rougeLsum=rouge_lsum)


def _publish(summary: NightlySummary) -> None:
    table = summary.table
    if summary.observation_f1.mean is not None:
        publish("ObservationF1Mean", summary.observation_f1.mean, dimensions={"Metric": "observation_f1"})
    if summary.results:
        publish("FlaggedDraftRate", summary.flagged / summary.results, dimensions={"Metric": "flags"})
    publish(
        "FluencyProblemDrafts",
        summary.fluency_problems,
        dimensions={"Metric": "fluency"},
        unit=MetricUnit.Count,
    )
    for name in ROUGE_TYPES:
        figures = table.metric(name)
        publish("RougeCount", figures.count, dimensions={"Metric": name}, unit=MetricUnit.Count)
        if figures.mean is not None:
            publish("RougeMean", figures.mean, dimensions={"Metric": name})
