"""Hand-labelled findings/draft pairs pin what the safety flags say, in both directions, however wrapped.

``tests/data/flag_cases.jsonl``: each case is a findings text (some wrapped with ``\\n``, ``\\r\\n`` or
``\\.br\\``, some as lists), a draft and the exact flag codes a radiologist reviewing it would want: 40 cases
that must raise nothing (pertinent negatives, supported interpretations, resolved findings) and 26 that must
raise the named flag. Every case is also re-wrapped at three widths with each line break.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from radimpress.drafting.safety import flag_draft

CASES: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data" / "flag_cases.jsonl").read_text().splitlines()
    if line.strip()
]


def codes(case: dict[str, Any], findings: str | None = None) -> list[str]:
    flags = flag_draft(findings or case["findings"], case["draft"], comparison=case.get("comparison"))
    return sorted(flag.code for flag in flags)


def test_the_fixture_holds_both_directions() -> None:
    quiet = [case for case in CASES if not case["flags"]]
    assert len(CASES) >= 60
    assert len(quiet) >= 30
    assert len(CASES) - len(quiet) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_flags_match_the_labels(case: dict[str, Any]) -> None:
    assert codes(case) == sorted(case["flags"])


@pytest.mark.parametrize("width", [18, 40, 64])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\\.br\\"])
def test_rewrapped_findings_raise_the_same_flags(width: int, newline: str) -> None:
    # Given every case's findings re-wrapped at a width with a line break
    changed = []
    for case in CASES:
        flat = " ".join(case["findings"].split())
        wrapped = newline.join(textwrap.wrap(flat, width=width, break_long_words=False))
        # Then the flags are those of the one-line findings
        if codes(case, wrapped) != codes(case, flat):
            changed.append(case["id"])
    assert changed == []


def test_precision_and_recall_over_the_fixture() -> None:
    # Given every flag raised over the fixture, and every flag the labels want
    raised = {(case["id"], code) for case in CASES for code in codes(case)}
    wanted = {(case["id"], code) for case in CASES for code in case["flags"]}

    # Then every raised flag is wanted (precision) and every wanted flag is raised (recall)
    assert sorted(raised - wanted) == []
    assert sorted(wanted - raised) == []
