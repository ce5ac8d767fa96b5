"""Every checked-in Athena query (sql/*.sql) runs on DuckDB over the fixture and gives hand-counted figures.

The fixture is tests/analytics_fixture.py: results a, b, c on 2024-01-02 (SageMaker engine; c unscored) and
d on 2024-01-03 (embedded engine), three error records. Each expectation below is counted from those rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from radimpress.local.query import run_sql_file
from tests.analytics_fixture import CHEST, E1, E2, HEAD, RAD_A, RAD_B, connect_fixture

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "sql"


def hour(day: int, value: int) -> datetime:
    return datetime(2024, 1, day, value, 0)


def quality(
    dimension: str, slice_: str, n: int, r1: float, r2: float, rl: float, f1: tuple[int, Any]
) -> dict[str, Any]:
    return {
        "dimension": dimension,
        "slice": slice_,
        "scored": n,
        "rouge1": r1,
        "rouge2": r2,
        "rougel": rl,
        "rougelsum": rl,  # the fixture's rougeLsum equals its rougeL on every row
        "with_observation_f1": f1[0],
        "observation_f1": f1[1],
    }


EXPECTED: dict[str, list[dict[str, Any]]] = {
    "daily_summary.sql": [
        # a, b scored (means of 0.5/1.0 and 0.25/1.0); latencies 20, 10, 25 min
        {
            "dt": "2024-01-02",
            "results": 3,
            "with_reference": 2,
            "rouge1": 0.75,
            "rouge2": 0.625,
            "rougel": 0.75,
            "rougelsum": 0.75,
            "mean_latency_ms": 1_100_000.0,
            "max_latency_ms": 1_500_000,
        },
        {
            "dt": "2024-01-03",
            "results": 1,
            "with_reference": 1,
            "rouge1": 0.2,
            "rouge2": 0.0,
            "rougel": 0.1,
            "rougelsum": 0.1,
            "mean_latency_ms": 60_000.0,
            "max_latency_ms": 60_000,
        },
    ],
    "reports_per_hour.sql": [
        {"hour_start": hour(2, 9), "reports": 2, "with_reference": 2, "flagged": 1},  # a, b
        {"hour_start": hour(2, 10), "reports": 1, "with_reference": 0, "flagged": 1},  # c
        {"hour_start": hour(3, 11), "reports": 1, "with_reference": 1, "flagged": 0},  # d
    ],
    "backlog_by_hour.sql": [
        {"hour_start": hour(2, 8), "in_flight": 1, "completed": 0},  # a submitted 08:50, done 09:10
        {"hour_start": hour(2, 9), "in_flight": 1, "completed": 2},  # c still out at 10:00; a, b done
        {"hour_start": hour(2, 10), "in_flight": 0, "completed": 1},  # c done 10:05
        {"hour_start": hour(3, 11), "in_flight": 0, "completed": 1},  # d within the hour
    ],
    "latency_by_day.sql": [
        # 10, 20, 25 minutes: the median is 20, the 95th percentile the largest
        {
            "dt": "2024-01-02",
            "engine": E1,
            "stage": "submitted_to_completed",
            "reports": 3,
            "p50_ms": 1_200_000,
            "p95_ms": 1_500_000,
            "max_ms": 1_500_000,
        },
        {
            "dt": "2024-01-03",
            "engine": E2,
            "stage": "submitted_to_completed",
            "reports": 1,
            "p50_ms": 60_000,
            "p95_ms": 60_000,
            "max_ms": 60_000,
        },
    ],
    "errors_by_type.sql": [
        {"stage": "inference", "error_type": "inference_failed", "errors": 1, "raw_messages": 1},
        {"stage": "ingest", "error_type": "bad_encoding", "errors": 1, "raw_messages": 1},
        {"stage": "ingest", "error_type": "no_findings", "errors": 1, "raw_messages": 1},
    ],
    "errors_by_facility.sql": [
        {
            "dt": "2024-01-02",
            "sending_facility": "(unread)",
            "stage": "ingest",
            "error_type": "bad_encoding",
            "errors": 1,
        },
        {
            "dt": "2024-01-02",
            "sending_facility": "IUSAMPLE",
            "stage": "ingest",
            "error_type": "no_findings",
            "errors": 1,
        },
        {
            "dt": "2024-01-03",
            "sending_facility": "IUSAMPLE",
            "stage": "inference",
            "error_type": "inference_failed",
            "errors": 1,
        },
    ],
    "quality_by.sql": [
        quality("day", "2024-01-02", 2, 0.75, 0.625, 0.75, (0, None)),  # a, b
        quality("day", "2024-01-03", 1, 0.2, 0.0, 0.1, (1, 0.8)),  # d
        quality("engine", E2, 1, 0.2, 0.0, 0.1, (1, 0.8)),
        quality("engine", E1, 2, 0.75, 0.625, 0.75, (0, None)),
        quality("exam", HEAD, 1, 0.2, 0.0, 0.1, (1, 0.8)),  # c has no score
        quality("exam", CHEST, 2, 0.75, 0.625, 0.75, (0, None)),
        quality("radiologist", RAD_A, 1, 0.5, 0.25, 0.5, (0, None)),  # a (c unscored)
        quality("radiologist", RAD_B, 2, 0.6, 0.5, 0.55, (1, 0.8)),  # b, d
    ],
    "flag_rates_by_day.sql": [
        {"dt": "2024-01-02", "reports": 3, "flagged": 2, "flag_rate": 0.6667, "flags": 3},
        {"dt": "2024-01-03", "reports": 1, "flagged": 0, "flag_rate": 0.0, "flags": 0},
    ],
    "flags_by_code.sql": [
        {"dt": "2024-01-02", "code": "laterality_conflict", "drafts": 2},
        {"dt": "2024-01-02", "code": "unsupported_comparison", "drafts": 1},
    ],
}


@pytest.fixture(scope="module")
def connection(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return connect_fixture(tmp_path_factory.mktemp("mirror"))


def test_every_checked_in_query_has_hand_counted_figures() -> None:
    assert sorted(p.name for p in SQL.glob("*.sql")) == sorted([*EXPECTED, "review_drafts.sql"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_query_gives_the_hand_counted_figures(connection: Any, name: str) -> None:
    # Given the fixture's tables, When the checked-in query runs, Then columns and rows are the hand counts
    rows = run_sql_file(connection, SQL / name).as_dicts()
    assert rows == EXPECTED[name]


def test_the_review_query_puts_the_latest_drafts_beside_the_radiologists_impressions(connection: Any) -> None:
    # When the review query runs
    result = run_sql_file(connection, SQL / "review_drafts.sql")
    # Then the newest draft comes first, beside its reference, keyed and never with the clear accession
    assert result.columns == (
        "completed_at",
        "accession_key",
        "exam",
        "radiologist",
        "engine",
        "draft",
        "reference_impression",
        "rougel",
        "flags",
    )
    rows = result.as_dicts()
    assert [row["draft"] for row in rows] == [f"Draft impression {n}." for n in "dcba"]
    assert rows[0]["reference_impression"] == "Radiologist impression d." and rows[0]["rougel"] == 0.1
    assert (
        rows[1]["reference_impression"] is None
        and rows[1]["flags"] == "laterality_conflict,unsupported_comparison"
    )
    assert rows[0]["accession_key"] == "a" + "d" * 23
