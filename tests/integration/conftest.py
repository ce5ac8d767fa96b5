"""Prints the IU round-trip counts (recorded by test_roundtrip.py as ``roundtrip_<shape>`` properties)."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, int] = {}
    excluded = ""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "roundtrip_excluded":
                    excluded = str(value)
                elif isinstance(name, str) and name.startswith("roundtrip_") and isinstance(value, int):
                    counts[name.removeprefix("roundtrip_")] = value
    if not counts:
        return
    terminalreporter.section("IU round trip (findings + impression, whitespace-normalised)")
    for shape, ok in sorted(counts.items()):
        terminalreporter.write_line(f"{shape:<14}{ok:>6} reports read back unchanged")
    total = sum(counts.values())
    terminalreporter.write_line(f"{'total':<14}{total:>6} renderings in {len(counts)} shapes")
    if excluded:
        terminalreporter.write_line(f"not compared (section headers inside the source text): {excluded}")
