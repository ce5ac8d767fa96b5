"""The operations dashboard on the analytics fixture: its figures, its page (self-contained, no PHI where it
must not be) and the ``radimpress dashboard`` command.

The fixture is tests/analytics_fixture.py: results a, b, c on 2024-01-02 (c unscored; b flagged once, c
twice) and d on 2024-01-03; errors e, f (ingest) and g (inference). The scored drafts' ROUGE-1 values are
0.5, 1.0, 0.2: mean 1.7/3, sample std sqrt(0.32667/2) = 0.4041, quartiles (linear) 0.35, 0.5, 0.75.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from radimpress.cli import main
from radimpress.dashboard import build_dashboard
from radimpress.dashboard.data import Distribution, Figures, find_sql_dir, load_figures
from radimpress.dashboard.page import format_cell
from radimpress.errors import ConfigurationError
from radimpress.local.query import connect
from tests.analytics_fixture import DATABASE, ERRORS, RESULTS, TABLES, connect_fixture, write_mirror
from tests.dashboard_dom import read_dashboard

SQL = Path(__file__).resolve().parents[2] / "sql"
AT = datetime(2024, 1, 4, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Figures:
    return load_figures(connect_fixture(tmp_path_factory.mktemp("mirror")), SQL)


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_dashboard(connect_fixture(tmp_path_factory.mktemp("page")), SQL, generated_at=AT)


def test_the_totals_are_the_fixtures_counts(figures: Figures) -> None:
    # Given the fixture's four results and three errors, When the figures are loaded
    # Then the page's totals count them: 3 scored (c has no impression), 2 flagged (b, c)
    assert (figures.results, figures.errors, figures.flagged, figures.scored) == (4, 3, 2, 3)
    assert figures.days == ("2024-01-02", "2024-01-03")


def test_distributions_are_the_studys_summary_of_the_scored_drafts(figures: Figures) -> None:
    # When the per-draft scores are summarised
    by_metric = {d.metric: d for d in figures.distributions()}

    # Then ROUGE-1 over a, b, d is as counted by hand, and observation F1 has d's value alone
    rouge1 = by_metric["ROUGE-1"]
    assert rouge1.count == 3
    assert rouge1.mean == pytest.approx(1.7 / 3)
    assert rouge1.std == pytest.approx(0.40415, abs=1e-5)
    assert (rouge1.minimum, rouge1.q1, rouge1.median, rouge1.q3, rouge1.maximum) == pytest.approx(
        (0.2, 0.35, 0.5, 0.75, 1.0)
    )
    assert by_metric["Observation F1"] == Distribution(
        "Observation F1", 1, 0.8, None, 0.8, 0.8, 0.8, 0.8, 0.8
    )


def test_the_page_tables_hold_the_hand_counted_figures(html: str) -> None:
    # When the page is read back
    tables = read_dashboard(html).tables

    # Then volume, failures, latency (seconds), flag rates and the distribution table are the fixture's
    assert tables["reports_per_hour"] == [
        ["2024-01-02 09:00", "2", "2", "1"],
        ["2024-01-02 10:00", "1", "0", "1"],
        ["2024-01-03 11:00", "1", "1", "0"],
    ]
    assert sorted(tables["errors_by_type"]) == [
        ["inference", "inference_failed", "1", "1"],
        ["ingest", "bad_encoding", "1", "1"],
        ["ingest", "no_findings", "1", "1"],
    ]
    # a 20 min, b 10 min, c 25 min: p50 (a value of the data) 1,200 s, p95 1,500 s; d 1 min
    assert [row[3:] for row in tables["latency_by_day"]] == [
        ["3", "1,200.0", "1,500.0", "1,500.0"],
        ["1", "60.0", "60.0", "60.0"],
    ]
    assert tables["flag_rates_by_day"] == [
        ["2024-01-02", "3", "2", "66.7%", "3"],
        ["2024-01-03", "1", "0", "0.0%", "0"],
    ]
    assert tables["distributions"][0] == [
        "ROUGE-1",
        "3",
        "0.567",
        "0.404",
        "0.200",
        "0.350",
        "0.500",
        "0.750",
        "1.000",
    ]
    assert [row[8] for row in tables["review_drafts"]] == [
        "none",
        "laterality_conflict, unsupported_comparison",
        "laterality_conflict",
        "none",
    ]


def test_every_chart_is_inline_svg_with_its_labels(html: str) -> None:
    # When the page's figures are read
    charts = read_dashboard(html).charts

    # Then the six charts are there as inline SVG, the failures chart naming each stage/type
    assert set(charts) == {"volume", "failures", "latency", "distributions", "trends", "flags"}
    assert html.count('<svg role="img"') == 6
    for name in ("ingest / no_findings", "ingest / bad_encoding", "inference / inference_failed"):
        assert name in charts["failures"]
    assert "Observation F1" in charts["distributions"]


def test_the_page_is_self_contained(html: str) -> None:
    # Then nothing is fetched: no script, stylesheet link, external src/href or CSS url()
    assert "<script" not in html
    assert "<link" not in html
    assert re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, flags=re.IGNORECASE) == []
    assert "url(" not in html
    assert re.findall(r"""href="([^"]*)\"""", html) == [
        "#volume",
        "#failures",
        "#latency",
        "#quality",
        "#flags",
        "#drafts",
    ]


def test_failure_views_and_the_page_carry_no_findings_nor_error_messages(html: str) -> None:
    # Given the fixture's findings texts and error messages
    # Then neither is anywhere on the page (the failure tables show counts by stage/type/facility only)
    for record in RESULTS:
        assert record.findings not in html
    for error in ERRORS:
        assert error.message not in html
    # and the report text shown (drafts, impressions) sits under the PHI notice, in the review table only
    failures = html[html.index('id="failures"') : html.index('id="latency"')]
    assert "impression" not in failures.lower()
    assert "PHI-bearing" in html


def test_an_empty_bucket_gives_a_page_that_says_so(tmp_path: Path) -> None:
    # Given tables with no objects yet
    connection = connect(TABLES, tmp_path, database=DATABASE)

    # When the page is built
    html = build_dashboard(connection, SQL, generated_at=AT)

    # Then it has no charts and each table says it has no rows
    assert "<svg" not in html
    assert "no results yet" in html
    assert "Drafts per hour: no rows yet." in html


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("p95_ms", 1_500_000, "1,500.0"),
        ("flag_rate", 0.6667, "66.7%"),
        ("rougel", 0.1, "0.100"),
        ("errors", 1234, "1,234"),
        ("flags", "", "none"),
        ("flags", "a,b", "a, b"),
        ("dt", date(2024, 1, 2), "2024-01-02"),
        ("observation_f1", None, "—"),
    ],
)
def test_cells_are_formatted_by_column(column: str, value: object, shown: str) -> None:
    assert format_cell(column, value) == shown


def test_missing_queries_are_a_configuration_error(tmp_path: Path) -> None:
    # Given a folder without the checked-in queries, Then loading names what is missing
    with pytest.raises(ConfigurationError, match=r"daily_summary\.sql"):
        load_figures(connect_fixture(tmp_path / "m"), tmp_path)
    with pytest.raises(ConfigurationError, match="--sql"):
        find_sql_dir(tmp_path)
    assert find_sql_dir(SQL.parent / "tests") == SQL


def test_the_command_writes_the_page_and_prints_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a copy of the bucket (results/ and errors/ under one folder)
    bucket = write_mirror(tmp_path) / "bucket"
    out = tmp_path / "out" / "dashboard.html"

    # When radimpress dashboard runs on it
    status = main(["dashboard", str(bucket), "--out", str(out), "--sql", str(SQL), "--title", "Site A ops"])

    # Then the page is written, its path printed, and it holds the fixture's totals
    assert status == 0
    assert capsys.readouterr().out.strip() == str(out.resolve())
    page = out.read_text(encoding="utf-8")
    assert "<title>Site A ops</title>" in page
    assert sum(int(row[1]) for row in read_dashboard(page).tables["daily_summary"]) == 4


def test_the_command_refuses_a_folder_that_is_not_a_bucket_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the folder has neither results/ nor errors/, Then it is a usage error (exit 2) naming the folder
    with pytest.raises(SystemExit) as exited:
        main(["dashboard", str(tmp_path), "--sql", str(SQL)])
    assert exited.value.code == 2
    assert "neither results/ nor errors/" in capsys.readouterr().err
