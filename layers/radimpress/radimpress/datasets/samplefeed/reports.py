"""The bundled IU reports: where ``events/iu/reports.jsonl`` is and how its lines load.

Renderers take a :data:`ReportLike`, an :class:`IUReport` or any mapping with the same section keys, so a
test can render a hand-made report the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from radimpress.errors import ConfigurationError

__all__ = ["IUReport", "ReportLike", "iu_reports_path", "load_reports"]


IU_REPORTS_RELATIVE = Path("events") / "iu" / "reports.jsonl"


class IUReport(TypedDict):
    """One line of ``events/iu/reports.jsonl`` (see ``events/iu/SOURCE.md``)."""

    id: str
    indication: str | None
    comparison: str | None
    findings: str | None
    impression: str | None
    mesh: str


ReportLike = Mapping[str, object]  # an IUReport or any dict with the same section keys


def iu_reports_path(start: Path | None = None) -> Path:
    """``events/iu/reports.jsonl`` in ``start`` or a parent; by default above the cwd or this file.

    Raises :class:`ConfigurationError` when there is none (e.g. an installed wheel run outside the repo).
    """
    anchors = [start.resolve()] if start else [Path.cwd().resolve(), Path(__file__).resolve()]
    for anchor in anchors:
        for directory in (anchor, *anchor.parents):
            candidate = directory / IU_REPORTS_RELATIVE
            if candidate.is_file():
                return candidate
    raise ConfigurationError(
        f"bundled IU reports not found: no {IU_REPORTS_RELATIVE} above {anchors[0]}; pass the path explicitly"
    )


def load_reports(path: Path | None = None) -> list[IUReport]:
    """The IU reports from ``path`` (default :func:`iu_reports_path`), in file order."""
    with (path or iu_reports_path()).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
