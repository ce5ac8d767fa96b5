"""Result records as Parquet (pyarrow): written by the completion path, read by the nightly evaluation.

Imported only by those two paths: pyarrow is the heaviest import in the project and the ingest function
never needs it. The schema is the ``results`` Glue table's (``docs/architecture.md``); the ``dt`` partition
is in the key, not in the file. Timestamps are UTC, millisecond precision.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from radimpress.pipeline.records import RESULT_FIELDS, ResultRecord

__all__ = ["RESULT_SCHEMA", "read_results", "write_results"]

_TIMESTAMP = pa.timestamp("ms", tz="UTC")
_TYPES: dict[str, pa.DataType] = {
    "supersedes_earlier": pa.bool_(),
    "rouge1": pa.float64(),
    "rouge2": pa.float64(),
    "rougeL": pa.float64(),
    "rougeLsum": pa.float64(),
    "submitted_at": _TIMESTAMP,
    "completed_at": _TIMESTAMP,
    "latency_ms": pa.int64(),
    "flag_count": pa.int64(),
    "observation_f1": pa.float64(),
    "fluency_count": pa.int64(),
}
_REQUIRED = frozenset(
    {"inference_id", "report_key", "raw_key", "findings", "draft", "engine", "model_id", "submitted_at"}
    | {"completed_at", "latency_ms", "outcome", "supersedes_earlier", "flags", "flag_count"}
    | {"fluency", "fluency_count"}
)

#: Column names, order and types of every results file.
RESULT_SCHEMA = pa.schema(
    [pa.field(name, _TYPES.get(name, pa.string()), nullable=name not in _REQUIRED) for name in RESULT_FIELDS]
)


def write_results(records: Sequence[ResultRecord]) -> bytes:
    """One Parquet file (zstd) holding ``records`` in order."""
    columns: dict[str, list[Any]] = {name: [] for name in RESULT_FIELDS}
    for record in records:
        for name in RESULT_FIELDS:
            columns[name].append(getattr(record, name))
    table = pa.Table.from_pydict(columns, schema=RESULT_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def read_results(data: bytes) -> list[ResultRecord]:
    """The records of one results file (any column order; unknown columns ignored)."""
    table = pq.read_table(io.BytesIO(data))
    return [ResultRecord.model_validate(_utc(row)) for row in table.to_pylist()]


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("submitted_at", "completed_at"):
        value = row.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            row[name] = value.replace(tzinfo=UTC)
    return row
