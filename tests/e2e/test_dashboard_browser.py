"""The dashboard in a real browser: headless Chromium opens the page built from the analytics fixture offline.

Chromium is Debian's ``chromium`` package (``make browser`` installs it when missing); without it these
tests skip and say why. The page is opened from a file with networking features off; Chromium's own log
(``--enable-logging=stderr``) prints every console message of the page as ``CONSOLE:<line>``, which is how a
script or resource error would show. The screenshot is kept under the test's tmp folder (its path printed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from radimpress.dashboard import build_dashboard
from tests.analytics_fixture import connect_fixture
from tests.dashboard_dom import read_dashboard

SQL = Path(__file__).resolve().parents[2] / "sql"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: `make browser` installs Debian's chromium package"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def console_lines(stderr: str) -> list[str]:
    # "[pid:tid:time:INFO:CONSOLE:1] "message", source: file:///..." (older builds: CONSOLE(1))
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]\d", line)]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    html = build_dashboard(
        connect_fixture(folder / "mirror"), SQL, generated_at=datetime(2024, 1, 4, 6, 0, tzinfo=UTC)
    )
    path = folder / "dashboard.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_the_console_check_sees_a_page_error(tmp_path: Path) -> None:
    # Given a page whose script logs an error (so the check below can fail)
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><title>x</title><script>console.error('boom')</script>", encoding="utf-8"
    )

    # When Chromium loads it, Then its log shows the console message
    run = chromium(broken, tmp_path / "profile", "--dump-dom")
    assert any("boom" in line for line in console_lines(run.stderr))


def test_the_page_loads_without_console_messages_and_the_dom_holds_the_figures(
    page: Path, tmp_path: Path
) -> None:
    # When Chromium loads the dashboard and dumps the DOM it built
    run = chromium(page, tmp_path / "profile", "--dump-dom")

    # Then nothing was logged to the console, and the rendered tables and charts hold the fixture's figures
    assert console_lines(run.stderr) == []
    dom = read_dashboard(run.stdout)
    assert [row[1] for row in dom.tables["daily_summary"]] == ["3", "1"]
    assert sorted(row[1] for row in dom.tables["errors_by_type"]) == [
        "bad_encoding",
        "inference_failed",
        "no_findings",
    ]
    assert dom.tables["flag_rates_by_day"][0][3] == "66.7%"
    assert dom.tables["distributions"][0][:3] == ["ROUGE-1", "3", "0.567"]
    assert set(dom.charts) == {"volume", "failures", "latency", "distributions", "trends", "flags"}
    assert "ingest / no_findings" in dom.charts["failures"]


def test_a_screenshot_of_the_page(page: Path, tmp_path: Path) -> None:
    # When Chromium takes a 1280x2000 screenshot
    shot = page.parent / "dashboard.png"
    chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    print(f"dashboard screenshot: {shot}")

    # Then it is a PNG of that size with the charts' colours in it (not a blank or error page)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.format == "PNG"
        assert image.size == (1280, 2000)
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    # Okabe-Ito blue (volume bars) and orange (the ingest failures) are drawn
    assert (0x00, 0x72, 0xB2) in colours
    assert (0xE6, 0x9F, 0x00) in colours
