"""Nightly evaluation with in-memory fakes: a day's results -> the study table, hand-computed figures."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from radimpress.pipeline.nightly import NightlyEvent, evaluate_day, yesterday
from radimpress.pipeline.records import ResultRecord
from tests.fakes import InMemoryObjectStore, make_result

DAY = date(2024, 1, 2)
EARLY = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
LATE = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
# rouge1, rouge2, rougeL, rougeLsum of four scored reports
A, B, C, D = (0.2, 0.1, 0.2, 0.2), (0.4, 0.2, 0.3, 0.3), (0.6, 0.3, 0.5, 0.5), (0.8, 0.6, 0.8, 0.8)


def json_writer(records: Sequence[ResultRecord]) -> bytes:
    return b"".join(record.to_json_bytes() + b"\n" for record in records)


def json_reader(data: bytes) -> list[ResultRecord]:
    return [ResultRecord.model_validate_json(line) for line in data.splitlines()]


def day_store() -> InMemoryObjectStore:
    """Two batch files of 2024-01-02 (one report redelivered: b), plus noise the evaluation must skip."""
    store = InMemoryObjectStore()
    first = [make_result("a" * 32, A), make_result("b" * 32, (1.0, 1.0, 1.0, 1.0), completed_at=EARLY)]
    first.append(make_result("e" * 32, None))  # no radiologist impression: no score
    second = [make_result("b" * 32, B, completed_at=LATE), make_result("c" * 32, C), make_result("d" * 32, D)]
    store.put("results/dt=2024-01-02/batch-1.parquet", json_writer(first), "application/octet-stream")
    store.put("results/dt=2024-01-02/batch-2.parquet", json_writer(second), "application/octet-stream")
    store.put("results/dt=2024-01-02/_SUCCESS", b"", "text/plain")
    other_day = [make_result("f" * 32, (0.0, 0.0, 0.0, 0.0), completed_at=datetime(2024, 1, 3, tzinfo=UTC))]
    store.put("results/dt=2024-01-03/batch-3.parquet", json_writer(other_day), "application/octet-stream")
    return store


LABELS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
#: describe() of each metric over A..D, computed by hand (sample std, linear-interpolated quartiles)
EXPECTED = {
    "rouge1": dict(zip(LABELS, (4, 0.5, (0.20 / 3) ** 0.5, 0.2, 0.350, 0.50, 0.650, 0.8), strict=True)),
    "rouge2": dict(zip(LABELS, (4, 0.3, (0.14 / 3) ** 0.5, 0.1, 0.175, 0.25, 0.375, 0.6), strict=True)),
    "rougeL": dict(zip(LABELS, (4, 0.45, (0.21 / 3) ** 0.5, 0.2, 0.275, 0.40, 0.575, 0.8), strict=True)),
}
EXPECTED["rougeLsum"] = EXPECTED["rougeL"]


def scalar(value: float | list[float]) -> float:
    """An EMF metric value (Powertools writes a list of one)."""
    return value[0] if isinstance(value, list) else value


def test_a_day_is_summarised_over_its_latest_scored_results(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a day with five reports (one completed twice, one without a reference)
    store = day_store()
    # When the day is evaluated
    summary = evaluate_day(DAY, store=store, read=json_reader)
    # Then two files, five distinct results and four scored ones were read
    assert (summary.files, summary.results, summary.scored) == (2, 5, 4)
    # and summary.json holds the study table, pinned to the hand-computed figures
    document = json.loads(store.get("evaluations/dt=2024-01-02/summary.json"))
    assert document["date"] == "2024-01-02" and document["count"] == 4
    for metric, figures in EXPECTED.items():
        assert document["metrics"][metric] == pytest.approx(figures), metric
        assert document["aggregate"][metric] == pytest.approx(figures["mean"])
    assert document == summary.as_dict()
    # and summary.csv one row per metric under pandas' labels
    rows = list(csv.DictReader(io.StringIO(store.text("evaluations/dt=2024-01-02/summary.csv"))))
    assert [row["metric"] for row in rows] == ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    assert float(rows[1]["75%"]) == pytest.approx(0.375) and rows[1]["count"] == "4"
    # and per metric the mean and count went out as EMF metrics with a Metric dimension
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    means = {doc["Metric"]: scalar(doc["RougeMean"]) for doc in emf if "RougeMean" in doc}
    counts = {doc["Metric"]: scalar(doc["RougeCount"]) for doc in emf if "RougeCount" in doc}
    assert means == pytest.approx({name: figures["mean"] for name, figures in EXPECTED.items()})
    assert counts == {name: 4 for name in EXPECTED}
    assert all(doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Metric"]] for doc in emf)


def test_a_day_without_results_gives_an_empty_table() -> None:
    store = InMemoryObjectStore()
    summary = evaluate_day(date(2023, 12, 31), store=store, read=json_reader)
    assert (summary.files, summary.results, summary.scored) == (0, 0, 0)
    document = json.loads(store.get("evaluations/dt=2023-12-31/summary.json"))
    assert document["count"] == 0 and document["metrics"]["rouge1"]["mean"] is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", date(2024, 1, 2)), ("America/New_York", date(2024, 1, 1)), ("Asia/Tokyo", date(2024, 1, 2))],
)
def test_yesterday_is_reckoned_in_the_schedule_zone(zone: str, expected: date) -> None:
    # Given 01:30 UTC on 3 January (still the 2nd in New York) / When yesterday is asked / Then per zone
    assert yesterday(datetime(2024, 1, 3, 1, 30, tzinfo=UTC), ZoneInfo(zone)) == expected


def test_the_event_may_name_a_day() -> None:
    assert NightlyEvent.model_validate({}).day is None
    assert NightlyEvent.model_validate({"date": "2024-01-02", "source": "manual"}).day == DAY


def test_the_day_carries_observation_f1_flag_and_fluency_figures(capsys: pytest.CaptureFixture[str]) -> None:
    # Given three results: observation F1 1.0 and 0.5 (one with a flag), and one without a reference but
    # with a fluency problem
    rows = [
        make_result("a" * 32, A).model_copy(update={"observation_f1": 1.0}),
        make_result("b" * 32, B).model_copy(update={"observation_f1": 0.5, "flags": "x:y", "flag_count": 1}),
        make_result("c" * 32, None).model_copy(update={"fluency": "cut_sentence:the", "fluency_count": 1}),
    ]
    store = InMemoryObjectStore()
    store.put("results/dt=2024-01-02/batch-1.parquet", json_writer(rows), "application/octet-stream")

    # When the day is evaluated
    document = evaluate_day(DAY, store=store, read=json_reader).as_dict()

    # Then the summary holds them beside the study table, and they go out as metrics
    assert document["observation_f1"]["count"] == 2
    assert document["observation_f1"]["mean"] == pytest.approx(0.75)
    assert (document["flagged_drafts"], document["fluency_problem_drafts"]) == (1, 1)
    assert document["flagged_rate"] == pytest.approx(1 / 3)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert scalar(next(doc["ObservationF1Mean"] for doc in emf if "ObservationF1Mean" in doc)) == 0.75
    assert scalar(next(doc["FluencyProblemDrafts"] for doc in emf if "FluencyProblemDrafts" in doc)) == 1
