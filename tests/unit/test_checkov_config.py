"""The security scan's accepted findings: each skipped check has its reason beside it, and none is a stale."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".checkov.yaml"


def test_every_skipped_check_says_why() -> None:
    # Given the scan's configuration
    text = CONFIG.read_text(encoding="utf-8")
    skipped = yaml.safe_load(text)["skip-check"]
    # When each skipped check's line is read
    lines = {match[1]: match[2] for match in re.finditer(r"^\s*-\s*(CKV_\w+)\s*#\s*(.*)$", text, re.M)}
    # Then every skipped check has a reason of some substance on its line, and the scan covers the template
    assert skipped and set(skipped) == set(lines)
    assert all(len(reason.split()) >= 8 for reason in lines.values()), lines
    assert yaml.safe_load(text)["file"] == ["template.yaml"]


def test_make_lint_runs_the_scan_from_its_own_virtualenv() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lint: .*\bscan\b", makefile, re.M)
    assert "--config-file .checkov.yaml" in makefile and ".venv-checkov" in makefile
