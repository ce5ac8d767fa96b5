"""The dashboard's figures: the checked-in Athena queries (``sql/``) run on a connection, as plain values.

The connection is anything with DB-API's ``execute(...)`` / ``fetchall()`` / ``description`` (DuckDB's,
locally; it is passed in, so this module imports no database driver). Every figure comes from a query under
``sql/`` that Athena runs too, besides the per-draft scores the box plots need (quartiles cannot be
rebuilt from the daily means). No failure query selects an error's message or any report text.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from radimpress.errors import ConfigurationError

__all__ = [
    "QUERIES",
    "SCORE_METRICS",
    "Connection",
    "Distribution",
    "Figures",
    "Table",
    "find_sql_dir",
    "load_figures",
]

#: the checked-in queries the page shows, by file stem
QUERIES = (
    "daily_summary",
    "reports_per_hour",
    "errors_by_type",
    "errors_by_facility",
    "latency_by_day",
    "quality_by",
    "flag_rates_by_day",
    "flags_by_code",
    "review_drafts",
)
#: the per-draft scores shown as distributions (column of ``results`` -> label)
SCORE_METRICS = {
    "rouge1": "ROUGE-1",
    "rouge2": "ROUGE-2",
    "rougeL": "ROUGE-L",
    "rougeLsum": "ROUGE-Lsum",
    "observation_f1": "Observation F1",
}
# the columns of SCORE_METRICS, per scored draft (a reference impression, so rougeL is set)
_SCORES_SQL = """
SELECT dt, rouge1, rouge2, rougeL, rougeLsum, observation_f1
FROM results
WHERE rougeL IS NOT NULL
ORDER BY dt, inference_id
"""


class Connection(Protocol):
    def execute(self, query: str, /) -> Any: ...


@dataclass(frozen=True)
class Table:
    """One query's answer: column names and rows of plain values (str, int, float, date, datetime, None)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Distribution:
    """One metric over the scored drafts, as the study tabulated it beside its box plots.

    Quartiles interpolate linearly between data points (``statistics.quantiles(method="inclusive")``),
    as Vega-Lite's box plot draws them; ``std`` is the sample standard deviation (none below two drafts)."""

    metric: str
    count: int
    mean: float
    std: float | None
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float

    @classmethod
    def of(cls, metric: str, values: Sequence[float]) -> Distribution:
        ordered = sorted(values)
        q1, median, q3 = (
            statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered * 3
        )
        return cls(
            metric=metric,
            count=len(ordered),
            mean=statistics.fmean(ordered),
            std=statistics.stdev(ordered) if len(ordered) > 1 else None,
            minimum=ordered[0],
            q1=q1,
            median=median,
            q3=q3,
            maximum=ordered[-1],
        )


@dataclass(frozen=True)
class Figures:
    """Everything the page shows, taken at one time."""

    tables: dict[str, Table]
    #: one row per scored draft: dt and the metrics of :data:`SCORE_METRICS`
    scores: Table

    def table(self, name: str) -> Table:
        return self.tables[name]

    @property
    def results(self) -> int:
        return sum(int(n) for n in self.table("daily_summary").column("results"))

    @property
    def errors(self) -> int:
        return sum(int(n) for n in self.table("errors_by_type").column("errors"))

    @property
    def flagged(self) -> int:
        return sum(int(n) for n in self.table("flag_rates_by_day").column("flagged"))

    @property
    def scored(self) -> int:
        return len(self.scores.rows)

    def distributions(self) -> list[Distribution]:
        """Each metric of :data:`SCORE_METRICS` that has a value on at least one scored draft."""
        found = []
        for column, label in SCORE_METRICS.items():
            values = [float(v) for v in self.scores.column(column) if v is not None]
            if values:
                found.append(Distribution.of(label, values))
        return found

    @property
    def days(self) -> tuple[str, str] | None:
        days = [str(d) for d in self.table("daily_summary").column("dt")]
        return (min(days), max(days)) if days else None


def _plain(value: Any) -> Any:
    # Decimal and other driver types as float; dates kept (the page formats them)
    if value is None or isinstance(value, str | int | float | date | datetime):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _run(connection: Connection, name: str, sql: str) -> Table:
    cursor = connection.execute(sql)
    columns = tuple(str(d[0]) for d in cursor.description or ())
    rows: Sequence[Sequence[Any]] = cursor.fetchall()
    return Table(name, columns, tuple(tuple(_plain(v) for v in row) for row in rows))


def load_figures(connection: Connection, sql_dir: Path) -> Figures:
    """Run every query of :data:`QUERIES` from ``sql_dir`` (and the per-draft scores) on ``connection``."""
    missing = [name for name in QUERIES if not (sql_dir / f"{name}.sql").is_file()]
    if missing:
        raise ConfigurationError(f"{sql_dir}: no {', '.join(f'{m}.sql' for m in missing)}")
    tables = {
        name: _run(connection, name, (sql_dir / f"{name}.sql").read_text(encoding="utf-8"))
        for name in QUERIES
    }
    return Figures(tables=tables, scores=_run(connection, "scores", _SCORES_SQL))


def find_sql_dir(start: Path | None = None) -> Path:
    """The repository's ``sql/`` at or above ``start`` (default: the working directory)."""
    anchor = (start or Path.cwd()).resolve()
    for directory in (anchor, *anchor.parents):
        if (directory / "sql" / f"{QUERIES[0]}.sql").is_file():
            return directory / "sql"
    raise ConfigurationError(f"no sql/{QUERIES[0]}.sql at or above {anchor}; pass --sql DIR")
