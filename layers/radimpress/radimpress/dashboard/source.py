"""A local copy of the bucket as the Athena tables: ``<dir>/results/`` (Parquet), ``<dir>/errors/`` (JSON).

The one module of the dashboard that reaches :mod:`radimpress.local` (DuckDB views typed like the Glue
tables, :func:`radimpress.local.query.connect`); imported by ``radimpress dashboard`` only, so ``make demo``,
which hands over its own connection, and the page code never load it.
"""

from __future__ import annotations

from pathlib import Path

from radimpress.dashboard.data import Connection
from radimpress.errors import ConfigurationError
from radimpress.pipeline.records import ERROR_COLUMNS, RESULT_COLUMNS

__all__ = ["DATABASE", "open_bucket_copy"]

#: the schema the views are made in (the queries under sql/ name tables unqualified)
DATABASE = "radimpress"
_PARTITIONS = (("dt", "string"),)


def open_bucket_copy(directory: Path) -> Connection:
    """DuckDB with views ``results`` and ``errors`` over ``directory``'s ``results/`` and ``errors/``."""
    from radimpress.local.query import GlueTable, connect  # noqa: PLC0415 - duckdb loads only here

    root = directory.resolve()
    if not (root / "results").is_dir() and not (root / "errors").is_dir():
        raise ConfigurationError(f"{directory}: neither results/ nor errors/ in it (a copy of the bucket)")
    # a GlueTable is at <mirror>/<bucket>/<prefix>: the directory is the bucket, its parent the mirror
    tables = (
        GlueTable("results", f"s3://{root.name}/results/", "parquet", RESULT_COLUMNS, _PARTITIONS),
        GlueTable("errors", f"s3://{root.name}/errors/", "json", ERROR_COLUMNS, _PARTITIONS),
    )
    return connect(tables, root.parent, database=DATABASE)
