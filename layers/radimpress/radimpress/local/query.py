"""Athena's view of the results, on one machine: DuckDB views named and typed like the Glue tables.

An Athena user queries ``results`` and ``errors`` in the stack's Glue database: Parquet and JSON lines
under ``s3://<bucket>/results/`` and ``errors/``, partitioned ``dt=YYYY-MM-DD``, typed by the table's
columns. Here the same objects are downloaded from the (embedded) bucket into a local mirror and each Glue
table becomes a DuckDB view over ``read_parquet`` / ``read_json`` with hive partitioning, with the table's
column names and types, in a schema named like the Glue database (also on the search path). The checked-in
queries under ``sql/`` then run unchanged: they keep to SQL both engines read, and the few Athena (Trino)
functions DuckDB lacks are defined here as macros with Athena's meaning (:data:`TRINO_MACROS`). The session
clock is UTC, as Athena's is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from radimpress.ports import split_s3_uri

__all__ = ["TRINO_MACROS", "GlueTable", "QueryResult", "connect", "run_sql", "run_sql_file"]

#: Athena functions the checked-in queries use that DuckDB does not have, as DuckDB macros.
TRINO_MACROS = {
    # Athena's approx_percentile returns a value of the data (no interpolation): DuckDB's discrete quantile
    "approx_percentile": "CREATE MACRO approx_percentile(x, p) AS quantile_disc(x, p)",
    # ISO 8601 text (the errors table's occurred_at) to a UTC timestamp
    "from_iso8601_timestamp": (
        "CREATE MACRO from_iso8601_timestamp(s) AS CAST(CAST(s AS TIMESTAMPTZ) AS TIMESTAMP)"
    ),
}

# Hive / Glue column types as DuckDB types (the ones the template's tables use, and a few more).
_TYPES = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}


@dataclass(frozen=True)
class GlueTable:
    """What DuckDB needs of a Glue table: its name, S3 location, format and typed columns."""

    name: str
    location: str
    classification: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...]

    @classmethod
    def from_glue(cls, table: Mapping[str, Any]) -> GlueTable:
        """From a Glue ``GetTable`` response's ``Table`` (or a template's ``TableInput``)."""
        descriptor = table["StorageDescriptor"]
        parameters = table.get("Parameters", {})
        return cls(
            name=table["Name"],
            location=descriptor["Location"],
            classification=str(parameters.get("classification", "")).lower(),
            columns=tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", [])),
            partition_keys=tuple((c["Name"], c["Type"]) for c in table.get("PartitionKeys", [])),
        )

    def local_path(self, mirror: Path) -> Path:
        """Where the table's objects are in a local mirror laid out as ``<mirror>/<bucket>/<key>``."""
        bucket, prefix = split_s3_uri(self.location)
        return mirror / bucket / prefix


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _duck_type(glue_type: str) -> str:
    return _TYPES.get(glue_type.lower(), "VARCHAR")


def _view_sql(table: GlueTable, mirror: Path) -> str:
    """``SELECT`` the table's columns (Glue's order and types) from its files, or no rows if it has none."""
    root = table.local_path(mirror)
    suffix = {"parquet": "*.parquet", "json": "*.json"}.get(table.classification, "*")
    files = sorted(root.rglob(suffix)) if root.is_dir() else []
    every = [*table.columns, *table.partition_keys]
    if not files:
        typed = ", ".join(f"CAST(NULL AS {_duck_type(t)}) AS {_quote(n)}" for n, t in every)
        return f"SELECT {typed} WHERE false"
    pattern = _literal(str(root / "**" / suffix))
    if table.classification == "parquet":
        source = f"read_parquet({pattern}, hive_partitioning = true, union_by_name = true)"
    else:
        columns = ", ".join(f"{_literal(n)}: {_literal(_duck_type(t))}" for n, t in table.columns)
        source = (
            f"read_json({pattern}, format = 'newline_delimited', hive_partitioning = true, "
            f"columns = {{{columns}}})"
        )
    selected = ", ".join(f"CAST({_quote(n)} AS {_duck_type(t)}) AS {_quote(n)}" for n, t in every)
    return f"SELECT {selected} FROM {source}"  # noqa: S608 - identifiers quoted, paths as literals


def connect(tables: Iterable[GlueTable], mirror: Path, *, database: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Glue table, in schema ``database`` (on the search path)."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    for macro in TRINO_MACROS.values():
        connection.execute(macro)
    connection.execute(f"CREATE SCHEMA {_quote(database)}")
    for table in tables:
        connection.execute(
            f"CREATE VIEW {_quote(database)}.{_quote(table.name)} AS {_view_sql(table, mirror)}"
        )
    connection.execute(f"SET search_path = {_literal(database)}")
    return connection


def run_sql(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()) -> QueryResult:
    cursor = connection.execute(sql, list(parameters))  # checked-in queries, parameters bound
    columns = tuple(str(d[0]) for d in cursor.description or ())
    return QueryResult(columns, tuple(tuple(row) for row in cursor.fetchall()))


def run_sql_file(connection: duckdb.DuckDBPyConnection, path: Path) -> QueryResult:
    """Run one checked-in query (one statement; ``--`` comments allowed)."""
    return run_sql(connection, path.read_text(encoding="utf-8"))
