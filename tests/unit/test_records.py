"""Record keys, error record identity, and the results Parquet round trip."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from radimpress.adapters.parquet import RESULT_SCHEMA, read_results, write_results
from radimpress.errors import NoFindingsError
from radimpress.pipeline.records import (
    RESULT_FIELDS,
    ErrorRecord,
    error_key,
    error_message,
    raw_key,
    report_key,
    result_key,
)
from tests.fakes import make_result


def test_keys_follow_the_bucket_layout() -> None:
    digest = hashlib.sha256(b"MSH|...").hexdigest()
    assert raw_key(digest) == f"raw/{digest[:2]}/{digest}"
    assert report_key("SYN1", "ACC1", "F") == hashlib.sha256(b"SYN1|ACC1|F").hexdigest()[:32]
    assert report_key("SYN1", None, None) == hashlib.sha256(b"SYN1||").hexdigest()[:32]
    assert result_key(date(2024, 1, 2), "b-1") == "results/dt=2024-01-02/b-1.parquet"


def test_an_error_record_is_identified_by_what_failed_and_dated_in_utc() -> None:
    # Given the same failure recorded twice, at different times and from different deliveries
    failure = NoFindingsError("report has no findings to draft from", where="findings")

    def record(occurred_at: datetime, message_id: str) -> ErrorRecord:
        return ErrorRecord.build(
            stage="ingest",
            error_type=failure.code,
            message=error_message(failure),
            identity="x#1",
            occurred_at=occurred_at,
            message_id=message_id,
        )

    first = record(datetime(2024, 1, 2, 23, 30, tzinfo=UTC), "m-1")
    again = record(datetime(2024, 1, 3, 0, 30, tzinfo=UTC), "m-2")
    # Then both have the same id (the redelivery overwrites) and the message carries no location suffix
    assert first.error_id == again.error_id
    assert first.message == "report has no findings to draft from"
    assert error_key(first) == f"errors/dt=2024-01-02/{first.error_id}.json"
    assert first.to_json_line().count(b"\n") == 1


def test_results_round_trip_through_parquet_with_the_declared_schema() -> None:
    # Given a scored and an unscored result
    rows = [make_result("a" * 32, (0.5, 0.25, 0.5, 0.5)), make_result("b" * 32, None)]
    # When written and read back
    data = write_results(rows)
    # Then the file has the results schema (column order = the record's fields) and the same rows
    schema = pq.read_schema(pa.BufferReader(data)).remove_metadata()
    assert schema == RESULT_SCHEMA and tuple(schema.names) == RESULT_FIELDS
    assert read_results(data) == rows
    assert read_results(data)[1].rouge1 is None
    assert read_results(data)[0].completed_at.tzinfo is not None
