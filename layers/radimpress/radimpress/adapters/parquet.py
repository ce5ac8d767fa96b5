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

from radimpress.pipeline.records import RESULT_COLUMNS, RESULT_FIELDS, ResultRecord

__all__ = ["RESULT_SCHEMA", "read_results", "write_results"]

_TIMESTAMP = pa.timestamp("ms", tz="UTC")
# the Glue types of records.RESULT_COLUMNS as Arrow types
_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "double": pa.float64(),
    "timestamp": _TIMESTAMP,
    "bigint": pa.int64(),
}
_REQUIRED = frozenset(
    {"inference_id", "report_key", "raw_key", "findings", "draft", "engine", "model_id", "submitted_at"}
    | {"completed_at", "latency_ms", "outcome", "supersedes_earlier", "flags", "flag_count", "schema_version"}
)

#: Column names, order and types of every results file.
RESULT_SCHEMA = pa.schema(
    [pa.field(name, _ARROW[glue], nullable=name not in _REQUIRED) for name, glue in RESULT_COLUMNS]
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
