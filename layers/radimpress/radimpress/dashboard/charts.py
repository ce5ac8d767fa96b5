"""The dashboard's charts: Vega-Lite specifications (altair) rendered offline to SVG (vl-convert).

altair and vl-convert are the ``dashboard`` extra: imported here, inside the functions, so nothing on a
Lambda's path (nor ``import radimpress.dashboard``) loads them. The SVG is inlined into the page, so it
opens without a network; vl-convert renders without a browser. Colours are the Okabe-Ito palette, told
apart with colour-vision deficiencies, and every chart has a title, axis titles and a table beside it on
the page (the figures are never only in a picture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from radimpress.dashboard.data import SCORE_METRICS, Figures

__all__ = ["PALETTE", "Chart", "render_charts"]

#: Okabe & Ito's colour-blind-safe palette (blue, orange, bluish green, vermillion, reddish purple, sky blue)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
_WIDTH = 520
_HEIGHT = 220


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    #: what the chart shows, for readers of the page that cannot see it (the SVG's aria-label)
    description: str
    svg: str


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: _json(value) for key, value in row.items()} for row in rows]


def _config() -> dict[str, Any]:
    return {
        "font": "DejaVu Sans, Liberation Sans, Arial, sans-serif",
        "range": {"category": list(PALETTE)},
        "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#222", "titleColor": "#222"},
        "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "labelLimit": 360},
        "title": {"fontSize": 14, "anchor": "start", "color": "#111"},
        "view": {"stroke": "#bbb"},
    }


def _volume(figures: Figures, alt: Any) -> Any:
    # stacked bars, one per hour with drafts: a line would draw through the hours with none
    rows = [
        {"hour": r["hour_start"], "kind": kind, "drafts": n}
        for r in figures.table("reports_per_hour").as_dicts()
        for kind, n in (
            ("flagged", int(r["flagged"])),
            ("not flagged", int(r["reports"]) - int(r["flagged"])),
        )
    ]
    order = ["not flagged", "flagged"]
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_bar()
        .encode(
            x=alt.X(
                "yearmonthdatehours(hour):O", title="hour of completion (UTC)", axis=alt.Axis(labelAngle=0)
            ),
            y=alt.Y("sum(drafts):Q", title="drafts", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "kind:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=[PALETTE[0], PALETTE[3]]),
            ),
            order=alt.Order("kind:N", sort="descending"),
        )
    )


def _failures(figures: Figures, alt: Any) -> Any:
    rows = [
        {"failure": f"{r['stage']} / {r['error_type']}", "stage": r["stage"], "errors": int(r["errors"])}
        for r in figures.table("errors_by_type").as_dicts()
    ]
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_bar()
        .encode(
            y=alt.Y("failure:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            x=alt.X("errors:Q", title="error records", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("stage:N", title="stage"),
        )
    )


def _latency(figures: Figures, alt: Any) -> Any:
    rows = [
        {"dt": r["dt"], "engine": r["engine"], "percentile": name, "seconds": int(r[column]) / 1000}
        for r in figures.table("latency_by_day").as_dicts()
        for name, column in (("p50", "p50_ms"), ("p95", "p95_ms"))
        if r[column] is not None
    ]
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            x=alt.X("dt:O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("seconds:Q", title="submitted → completed (s)"),
            color=alt.Color("engine:N", title="engine"),
            shape=alt.Shape("percentile:N", title="percentile"),
            strokeDash=alt.StrokeDash("percentile:N", legend=None),
            detail="percentile:N",
        )
    )


def _score_rows(figures: Figures) -> list[dict[str, Any]]:
    return [
        {"dt": r["dt"], "metric": label, "score": r[column]}
        for r in figures.scores.as_dicts()
        for column, label in SCORE_METRICS.items()
        if r[column] is not None
    ]


def _distributions(figures: Figures, alt: Any) -> Any:
    order = list(SCORE_METRICS.values())
    return (
        alt.Chart(alt.Data(values=_values(_score_rows(figures))))
        .mark_boxplot(extent="min-max", size=28, median={"color": "#111"})
        .encode(
            x=alt.X("metric:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("score:Q", title="F-measure (0-1)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N", legend=None, sort=order),
        )
    )


def _trends(figures: Figures, alt: Any) -> Any:
    order = list(SCORE_METRICS.values())
    return (
        alt.Chart(alt.Data(values=_values(_score_rows(figures))))
        .mark_line(point=True)
        .encode(
            x=alt.X("dt:O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("mean(score):Q", title="mean F-measure", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N", title=None, sort=order),
        )
    )


def _flags(figures: Figures, alt: Any) -> Any:
    rows = [
        {"dt": r["dt"], "rate": float(r["flag_rate"] or 0.0)}
        for r in figures.table("flag_rates_by_day").as_dicts()
    ]
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_bar(color=PALETTE[3])
        .encode(
            x=alt.X("dt:O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "rate:Q", title="flagged drafts", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
        )
    )


_CHARTS: tuple[tuple[str, str, str, Callable[[Figures, Any], Any]], ...] = (
    (
        "volume",
        "Drafted impressions per hour (UTC)",
        "drafted and flagged drafts per hour of completion",
        _volume,
    ),
    ("failures", "Failures by stage and type", "error records by pipeline stage and error type", _failures),
    (
        "latency",
        "Drafting latency, p50 and p95 per day",
        "p50 and p95 latency in seconds per day and engine",
        _latency,
    ),
    (
        "distributions",
        "Score distributions over the scored drafts",
        "box plots (min, quartiles, max) of ROUGE and observation F1",
        _distributions,
    ),
    ("trends", "Mean scores per day", "daily mean ROUGE and observation F1 of the scored drafts", _trends),
    (
        "flags",
        "Share of drafts with a safety flag, per day",
        "share of drafts with at least one safety flag per day",
        _flags,
    ),
)


def render_charts(figures: Figures) -> dict[str, Chart]:
    """Each chart as inline SVG; a chart with no data is left out (the page says so instead)."""
    import altair as alt  # noqa: PLC0415 - the dashboard extra, never on a Lambda's path
    import vl_convert  # noqa: PLC0415

    charts: dict[str, Chart] = {}
    for key, title, description, build in _CHARTS:
        chart = build(figures, alt)
        if not chart.data.values:
            continue
        # a horizontal bar chart grows with its bars; the others keep one height
        height = 34 * len(chart.data.values) if key == "failures" else _HEIGHT
        spec = chart.properties(title=title, width=_WIDTH, height=height).to_dict()
        spec["config"] = _config()
        charts[key] = Chart(
            key=key, title=title, description=description, svg=vl_convert.vegalite_to_svg(spec)
        )
    return charts
