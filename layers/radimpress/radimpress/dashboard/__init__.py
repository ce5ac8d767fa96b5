"""``radimpress dashboard``: one self-contained HTML page for operations staff, from the results and errors.

:mod:`~radimpress.dashboard.data` runs the checked-in Athena queries (``sql/``) on a connection it is given
(DuckDB over a copy of the bucket, locally), :mod:`~radimpress.dashboard.charts` draws them with Vega-Lite
rendered offline to SVG, :mod:`~radimpress.dashboard.page` writes the page;
:mod:`~radimpress.dashboard.source` opens a directory holding the bucket's ``results/`` and ``errors/``.
Never shipped in the Lambda layer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from radimpress.dashboard.data import Connection, load_figures

__all__ = ["DEFAULT_TITLE", "build_dashboard", "write_dashboard"]

DEFAULT_TITLE = "radimpress operations dashboard"


def build_dashboard(
    connection: Connection, sql_dir: Path, *, title: str = DEFAULT_TITLE, generated_at: datetime | None = None
) -> str:
    from radimpress.dashboard.charts import render_charts  # noqa: PLC0415 - altair loads only here
    from radimpress.dashboard.page import render_page  # noqa: PLC0415

    figures = load_figures(connection, sql_dir)
    return render_page(
        figures, render_charts(figures), title=title, generated_at=generated_at or datetime.now(UTC)
    )


def write_dashboard(connection: Connection, sql_dir: Path, out: Path, *, title: str = DEFAULT_TITLE) -> Path:
    """Write the page to ``out`` (folders made) and return its absolute path."""
    html = build_dashboard(connection, sql_dir, title=title)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
