"""NightlyEvaluationFunction in-process on moto: stored Parquet results -> summary JSON/CSV and EMF."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from radimpress.adapters.parquet import write_results
from tests.conftest import load_event
from tests.fakes import BUCKET, LambdaContextStub, make_result

# Per-report F-measures (rouge1, rouge2, rougeL, rougeLsum) of three scored reports on 2024-01-02,
# and the study table's figures over them, worked out by hand (sample std; quartiles by linear
# interpolation at positions 0.5 and 1.5 of the sorted values):
#   rouge1 0.25 0.50 0.90  mean 0.55  std sqrt((0.09 + 0.0025 + 0.1225) / 2) = sqrt(0.1075)
#                          25% 0.25 + 0.5 * 0.25 = 0.375   50% 0.50   75% 0.50 + 0.5 * 0.40 = 0.70
#   rouge2 0.00 0.20 0.70  mean 0.30  std sqrt((0.09 + 0.01 + 0.16) / 2) = sqrt(0.13)
#                          25% 0.10   50% 0.20   75% 0.45
#   rougeL 0.20 0.50 0.80  mean 0.50  std sqrt((0.09 + 0 + 0.09) / 2) = 0.3
#                          25% 0.35   50% 0.50   75% 0.65
#   rougeLsum = rougeL
SCORES = {
    "1" * 32: (0.25, 0.0, 0.2, 0.2),
    "2" * 32: (0.5, 0.2, 0.5, 0.5),
    "3" * 32: (0.9, 0.7, 0.8, 0.8),
}
EXPECTED = {
    "rouge1": [3, 0.55, 0.1075**0.5, 0.25, 0.375, 0.5, 0.7, 0.9],
    "rouge2": [3, 0.3, 0.13**0.5, 0.0, 0.1, 0.2, 0.45, 0.7],
    "rougeL": [3, 0.5, 0.3, 0.2, 0.35, 0.5, 0.65, 0.8],
    "rougeLsum": [3, 0.5, 0.3, 0.2, 0.35, 0.5, 0.65, 0.8],
}
LABELS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]


@pytest.fixture
def stored(aws: dict[str, Any]) -> dict[str, Any]:
    """Two batches' Parquet files for 2024-01-02 (one report unscored) and one for the next day."""
    s3 = aws["s3"]
    rows = [make_result(inference_id, rouge) for inference_id, rouge in SCORES.items()]
    rows.append(make_result("4" * 32, None))  # a report without a radiologist's impression
    s3.put_object(Bucket=BUCKET, Key="results/dt=2024-01-02/batch-a.parquet", Body=write_results(rows[:2]))
    s3.put_object(Bucket=BUCKET, Key="results/dt=2024-01-02/batch-b.parquet", Body=write_results(rows[2:]))
    next_day = [make_result("5" * 32, (1.0, 1.0, 1.0, 1.0), completed_at=datetime(2024, 1, 3, 1, tzinfo=UTC))]
    s3.put_object(Bucket=BUCKET, Key="results/dt=2024-01-03/batch-c.parquet", Body=write_results(next_day))
    return aws


def summary_of(aws: dict[str, Any], day: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    s3 = aws["s3"]
    document = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"evaluations/dt={day}/summary.json")["Body"].read()
    )
    text = s3.get_object(Bucket=BUCKET, Key=f"evaluations/dt={day}/summary.csv")["Body"].read().decode()
    return document, list(csv.DictReader(io.StringIO(text)))


def test_a_given_day_is_aggregated_into_the_study_table(
    stored: dict[str, Any], handler: Callable[[str], ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stored results / When the function is invoked for 2024-01-02
    app = handler("nightly_evaluation_function")
    returned = app.lambda_handler(json.loads(load_event("scheduler/nightly_date.json")), LambdaContextStub())
    # Then summary.json holds the hand-computed table over the three scored reports of that day only
    document, rows = summary_of(stored, "2024-01-02")
    assert returned == document
    assert (document["date"], document["files"], document["results"], document["scored"]) == (
        "2024-01-02",
        2,
        4,
        3,
    )
    for metric, figures in EXPECTED.items():
        assert [document["metrics"][metric][label] for label in LABELS] == pytest.approx(figures), metric
        assert document["aggregate"][metric] == pytest.approx(figures[1])
    # and summary.csv the same figures, one row per metric
    assert [row["metric"] for row in rows] == list(EXPECTED)
    for row in rows:
        assert [float(row[label]) for label in LABELS] == pytest.approx(EXPECTED[row["metric"]])
    # and each metric's mean and count went to CloudWatch as EMF, dimension Metric
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    published = {(doc["Metric"], name) for doc in emf for name in ("RougeMean", "RougeCount") if name in doc}
    assert published == {(metric, name) for metric in EXPECTED for name in ("RougeMean", "RougeCount")}


def test_the_scheduled_run_evaluates_yesterday_in_the_configured_zone(
    stored: dict[str, Any],
    handler: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the scheduler's empty input, at 01:00 UTC on 3 January in a function configured for UTC
    app = handler("nightly_evaluation_function")
    monkeypatch.setattr(app, "utc_now", lambda: datetime(2024, 1, 3, 1, 0, tzinfo=UTC))
    # When invoked / Then it evaluates 2 January
    returned = app.lambda_handler(json.loads(load_event("scheduler/nightly.json")), LambdaContextStub())
    assert returned["date"] == "2024-01-02" and returned["scored"] == 3
    # Given the same instant in a function configured for New York (still 2 January there)
    monkeypatch.setenv("SCHEDULE_TIME_ZONE", "America/New_York")
    app = handler("nightly_evaluation_function")
    monkeypatch.setattr(app, "utc_now", lambda: datetime(2024, 1, 3, 1, 0, tzinfo=UTC))
    # When invoked / Then it evaluates 1 January, which has no results: an empty table, written all the same
    returned = app.lambda_handler({}, LambdaContextStub())
    assert (returned["date"], returned["count"]) == ("2024-01-01", 0)
    assert summary_of(stored, "2024-01-01")[0]["metrics"]["rouge1"]["count"] == 0
