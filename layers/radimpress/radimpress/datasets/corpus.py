"""Reports with both findings and an impression, read from the two file formats radimpress accepts.

- **JSONL**, one object per line: ``{"id", "findings", "impression", ...}`` (``events/iu/reports.jsonl``,
  or a hospital's own finalized reports). Optional keys ``indication``, ``comparison``, ``procedure_code``,
  ``procedure_text`` (OBR-4) and ``interpreter`` (OBR-32) are kept when present.
- **MEDIQA-2021 JSON**, one list: ``[{"study_id", "subject_id", "findings", "impression", "background"}]``
  (the format the study's evaluation read). ``background`` becomes the indication.

A file whose first non-blank character is ``[`` is read as the JSON list, anything else as JSONL. Rows
without a non-blank findings or impression are skipped (they cannot be indexed or scored); a file that
cannot be read, or a row that is not a JSON object, raises :class:`ConfigurationError` naming the row.
Texts are kept exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radimpress.errors import ConfigurationError
from radimpress.reading.model import DraftContext

__all__ = ["ReportPair", "iter_pairs", "load_pairs", "pairs_from_rows"]


@dataclass(frozen=True, slots=True)
class ReportPair:
    """One report's findings and the radiologist's impression, with what else the file said about it."""

    id: str
    findings: str
    impression: str
    indication: str | None = None
    comparison: str | None = None
    procedure_code: str | None = None
    procedure_text: str | None = None
    interpreter: str | None = None

    @property
    def context(self) -> DraftContext:
        """The report's context as an engine receives it."""
        return DraftContext(
            procedure_code=self.procedure_code,
            procedure_text=self.procedure_text,
            interpreter=self.interpreter,
            indication=self.indication,
            comparison=self.comparison,
        )


def _text(value: object) -> str | None:
    """A non-blank string as is; anything else (``None``, blank, a number) as ``None``."""
    return value if isinstance(value, str) and value.strip() else None


def _identifier(value: object, fallback: str) -> str:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return fallback


def _pair(row: Mapping[str, Any], fallback_id: str) -> ReportPair | None:
    findings, impression = _text(row.get("findings")), _text(row.get("impression"))
    if findings is None or impression is None:
        return None
    mediqa = "study_id" in row and "id" not in row
    return ReportPair(
        id=_identifier(row.get("study_id") if mediqa else row.get("id"), fallback_id),
        findings=findings,
        impression=impression,
        indication=_text(row.get("background") if mediqa else row.get("indication")),
        comparison=_text(row.get("comparison")),
        procedure_code=_text(row.get("procedure_code")),
        procedure_text=_text(row.get("procedure_text")),
        interpreter=_text(row.get("interpreter")),
    )


def pairs_from_rows(rows: Iterator[tuple[str, object]]) -> Iterator[ReportPair]:
    """Usable pairs from ``(where, row)`` items, in order; a row that is not an object raises."""
    for where, row in rows:
        if not isinstance(row, dict):
            raise ConfigurationError("not a JSON object", where=where)
        pair = _pair(row, fallback_id=where)
        if pair is not None:
            yield pair


def _rows(path: Path) -> Iterator[tuple[str, object]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the reports file: {exc}", where=str(path)) from exc
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError("not a JSON list", where=f"{path.name}:{exc.lineno}") from exc
        if not isinstance(document, list):
            raise ConfigurationError("not a JSON list", where=path.name)
        yield from ((f"{path.name}[{index}]", row) for index, row in enumerate(document))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{path.name}:{number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError("not a JSON line", where=f"{path.name}:{number}") from exc


def iter_pairs(path: Path) -> Iterator[ReportPair]:
    """The usable pairs of a JSONL or MEDIQA-2021 JSON file, in file order (see the module docstring)."""
    return pairs_from_rows(_rows(path))


def load_pairs(path: str | Path | None = None) -> list[ReportPair]:
    """All usable pairs of ``path``; by default the bundled IU reports (``events/iu/reports.jsonl``)."""
    if path is None:
        from radimpress.datasets.samplefeed.reports import iu_reports_path  # noqa: PLC0415 - only for the default

        path = iu_reports_path()
    return list(iter_pairs(Path(path)))
