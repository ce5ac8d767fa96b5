"""The dashboard as one self-contained HTML page: inline styles, inline SVG charts, no script, no link out.

Every chart has its figures in a real ``<table>`` beside it (screen readers and copy-paste get the
numbers, and a test can read them). Text is escaped; the only markup taken as is, is vl-convert's SVG.
The failure sections show counts by stage, type and facility only; report text (drafts and the
radiologists' impressions) is in the review section alone, under the page's PHI notice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

from radimpress.dashboard.charts import Chart
from radimpress.dashboard.data import Distribution, Figures, Table

__all__ = ["PHI_NOTICE", "REVIEW_ROWS", "render_page"]

#: drafts shown in the review table (the query returns up to 50)
REVIEW_ROWS = 20
PHI_NOTICE = (
    "This page holds report text: the drafts and the radiologists' impressions in “Recent drafts”. "
    "Built from a site's own results it is PHI-bearing: keep it where that site's report data may be kept, "
    "and do not e-mail, print or publish it. (In the demo the texts are the de-identified IU reports.)"
)

_HEADINGS = {
    "dt": "day (UTC)",
    "hour_start": "hour (UTC)",
    "results": "drafts",
    "reports": "drafts",
    "with_reference": "with radiologist's impression",
    "flagged": "flagged drafts",
    "rouge1": "ROUGE-1",
    "rouge2": "ROUGE-2",
    "rougel": "ROUGE-L",
    "rougelsum": "ROUGE-Lsum",
    "mean_latency_ms": "mean latency (s)",
    "max_latency_ms": "max latency (s)",
    "p50_ms": "p50 (s)",
    "p95_ms": "p95 (s)",
    "max_ms": "max (s)",
    "errors": "error records",
    "raw_messages": "raw messages",
    "error_type": "error type",
    "sending_facility": "sending facility",
    "flag_rate": "flag rate",
    "flags": "flags",
    "drafts": "drafts",
    "code": "flag",
    "scored": "scored drafts",
    "with_observation_f1": "with observation F1",
    "observation_f1": "observation F1",
    "completed_at": "completed (UTC)",
    "accession_key": "accession key",
    "reference_impression": "radiologist's impression",
    "draft": "draft",
}
_TEXT = {"draft", "reference_impression"}

_STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; background: #fff;
  margin: 0 auto; max-width: 1240px; padding: 0 1.25rem 3rem; }
header { border-bottom: 2px solid #0072B2; padding: 1rem 0 0.75rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
.meta { color: #333; margin: 0.25rem 0; }
.phi { background: #fff4e0; border: 2px solid #b35900; border-radius: 4px; padding: 0.6rem 0.8rem;
  margin: 0.75rem 0 0; }
nav a { color: #00558a; margin-right: 1rem; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1rem 0; padding: 0; list-style: none; }
.tiles li { border: 1px solid #bbb; border-radius: 4px; padding: 0.5rem 0.9rem; min-width: 9rem; }
.tiles .figure { display: block; font-size: 1.5rem; font-weight: bold; }
.row { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0.5rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #333; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; vertical-align: top; text-align: left; }
thead th { background: #e8eef5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { min-width: 10rem; max-width: 24rem; }
td.flags { overflow-wrap: anywhere; max-width: 11rem; }
thead th { white-space: nowrap; }
td.key { font: 0.8rem monospace; word-break: break-all; max-width: 9rem; }
.empty { color: #333; font-style: italic; }
"""


def _heading(column: str) -> str:
    return _HEADINGS.get(column, column.replace("_", " "))


def format_cell(column: str, value: Any) -> str:
    """A value as the page prints it: seconds for ``*_ms``, percent for ``*_rate``, 3 decimals for scores."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return ", ".join(value.split(",")) if column == "flags" and value else (value or "none")
    if column.endswith("_ms"):
        return f"{float(value) / 1000:,.1f}"
    if column.endswith("_rate"):
        return f"{float(value):.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):.3f}"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _table(
    caption: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    key: str,
    headings: Mapping[str, str] | None = None,
) -> str:
    body = []
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            kind = "num" if _numeric(value) else "text" if column in _TEXT else ""
            kind = "key" if column.endswith("_key") else "flags" if column == "flags" else kind
            attribute = f' class="{kind}"' if kind else ""
            cells.append(
                f'<td{attribute} data-col="{escape(column)}">{escape(format_cell(column, value))}</td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="empty" data-table="{escape(key)}">{escape(caption)}: no rows yet.</p>'
    names = headings or {}
    head = "".join(f'<th scope="col">{escape(names.get(c) or _heading(c))}</th>' for c in columns)
    return (
        f'<table data-table="{escape(key)}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _query_table(table: Table, caption: str, *, drop: Sequence[str] = ()) -> str:
    columns = [c for c in table.columns if c not in drop]
    rows = [[row[table.columns.index(c)] for c in columns] for row in table.rows]
    return _table(caption, columns, rows, key=table.name)


def _figure(charts: Mapping[str, Chart], key: str) -> str:
    chart = charts.get(key)
    if chart is None:
        return f'<p class="empty">No data for this chart yet ({escape(key)}).</p>'
    svg = chart.svg.replace("<svg ", f'<svg role="img" aria-label="{escape(chart.description)}" ', 1)
    caption = f"<figcaption>{escape(chart.description)}</figcaption>"
    return f'<figure data-chart="{escape(key)}">{svg}{caption}</figure>'


def _distribution_table(distributions: Sequence[Distribution]) -> str:
    columns = ("metric", "count", "mean", "std", "minimum", "q1", "median", "q3", "maximum")
    rows = [[getattr(d, c) for c in columns] for d in distributions]
    headings = {
        "count": "drafts",
        "minimum": "min",
        "q1": "25%",
        "median": "50%",
        "q3": "75%",
        "maximum": "max",
    }
    return _table(
        "Distribution over the scored drafts", columns, rows, key="distributions", headings=headings
    )


def _tiles(figures: Figures) -> str:
    latency = figures.table("latency_by_day").column("p95_ms")
    worst = max((int(v) for v in latency if v is not None), default=None)
    rate = f" ({figures.flagged / figures.results:.1%})" if figures.results else ""
    tiles = (
        ("drafts", f"{figures.results:,}", "drafted impressions"),
        ("scored", f"{figures.scored:,}", "with the radiologist's impression"),
        ("errors", f"{figures.errors:,}", "error records (no draft)"),
        ("flagged", f"{figures.flagged:,}{rate}", "drafts with a safety flag"),
        ("p95", "—" if worst is None else f"{worst / 1000:,.1f} s", "worst daily p95 latency"),
    )
    items = "".join(
        f'<li data-tile="{key}"><span class="figure">{escape(value)}</span>{escape(label)}</li>'
        for key, value, label in tiles
    )
    return f'<ul class="tiles" aria-label="totals">{items}</ul>'


def _section(key: str, title: str, *parts: str) -> str:
    heading = f'<h2 id="{key}-h">{escape(title)}</h2>'
    return f'<section id="{key}" aria-labelledby="{key}-h">{heading}{"".join(parts)}</section>'


def _row(*parts: str) -> str:
    return '<div class="row">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>"


_SECTIONS: tuple[tuple[str, str], ...] = (
    ("volume", "Volume"),
    ("failures", "Failures"),
    ("latency", "Latency"),
    ("quality", "Quality"),
    ("flags", "Safety flags"),
    ("drafts", "Recent drafts"),
)


def _review(table: Table) -> str:
    shown = Table(table.name, table.columns, table.rows[:REVIEW_ROWS])
    note = (
        f"<p>The latest {len(shown.rows)} of the drafts, newest first, beside the radiologist's own "
        "impression (ROUGE-L against it) and the safety flags raised on the draft. Reports are named "
        "by their keyed accession only.</p>"
    )
    return note + _query_table(shown, "Drafts beside the radiologists' impressions")


def render_page(figures: Figures, charts: Mapping[str, Chart], *, title: str, generated_at: datetime) -> str:
    """The whole page. ``charts`` may miss a chart (no data): its place says so."""
    days = figures.days
    span = f"{days[0]} to {days[1]}" if days else "no results yet"
    header = (
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="meta">Generated {escape(generated_at.strftime("%Y-%m-%d %H:%M UTC"))}'
        f" · results {escape(span)}"
        " · figures from the Athena queries under sql/</p>"
        f'<p class="phi" role="note"><strong>PHI notice.</strong> {escape(PHI_NOTICE)}</p>'
        "<nav>" + "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in _SECTIONS) + "</nav></header>"
    )
    by: Callable[[str], Table] = figures.table
    sections = [
        _section(
            "volume",
            "Volume",
            _row(_figure(charts, "volume"), _query_table(by("reports_per_hour"), "Drafts per hour")),
            _query_table(by("daily_summary"), "Per day"),
        ),
        _section(
            "failures",
            "Failures",
            "<p>Error records by stage and typed error code: counts only, never a message or report "
            "text.</p>",
            _row(_figure(charts, "failures"), _query_table(by("errors_by_type"), "By stage and type")),
            _query_table(by("errors_by_facility"), "Per day by sending facility"),
        ),
        _section(
            "latency",
            "Latency",
            _row(_figure(charts, "latency"), _query_table(by("latency_by_day"), "Per day and engine")),
        ),
        _section(
            "quality",
            "Quality",
            _row(_figure(charts, "distributions"), _distribution_table(figures.distributions())),
            _row(
                _figure(charts, "trends"),
                _query_table(by("quality_by"), "Means by day, exam, engine, radiologist"),
            ),
        ),
        _section(
            "flags",
            "Safety flags",
            _row(_figure(charts, "flags"), _query_table(by("flag_rates_by_day"), "Per day")),
            _query_table(by("flags_by_code"), "By flag code"),
        ),
        _section("drafts", "Recent drafts", _review(by("review_drafts"))),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{header}<main>{_tiles(figures)}{''.join(sections)}</main></body></html>\n"
    )
