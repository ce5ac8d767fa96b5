"""The feedback loop: every finalized report the pipeline has seen makes the next draft better.

A result row holds the findings of a report version and, when the radiologist's impression came with it,
that impression. A row teaches only once the radiologist has signed the report off: status ``F`` (final)
with a non-blank impression. Preliminary versions (``P``) and anything else are never indexed: the
radiologist may still change them, and a draft must never learn from another draft. When a report was sent
final more than once (a resend, a correction ``C`` is not final), the version completed last is kept.

:func:`finalized_reports` picks those rows; :func:`refreshed_index` adds them to an engine's base index
(the bundled reports, or the site's own file) and :func:`write_index` writes the result as the JSONL file
the embedded engine reads, atomically, so an engine watching the file (:mod:`radimpress.drafting.engines.
refreshing`) never reads half of it. Pseudonymous keys only: an indexed pair's id is the row's ``report_key``
(a hash) and nothing else of the message's identity is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from radimpress.datasets.corpus import ReportPair
from radimpress.errors import ConfigurationError
from radimpress.language.normalise import normalise_findings
from radimpress.pipeline.records import ResultRecord

__all__ = ["FINAL_STATUS", "FinalizedReport", "finalized_reports", "refreshed_index", "write_index"]

FINAL_STATUS = "F"


@dataclass(frozen=True, slots=True)
class FinalizedReport:
    """A signed-off report as an (findings, impression) pair, and the patient's pseudonymous key."""

    pair: ReportPair
    patient_key: str | None


def _is_final(record: ResultRecord) -> bool:
    return (
        record.status == FINAL_STATUS
        and record.reference_impression is not None
        and bool(record.reference_impression.strip())
        and bool(record.findings.strip())
    )


def _identity(record: ResultRecord) -> str:
    # the report a version belongs to: its (keyed) accession when the sender gave one, else the version's key
    return record.accession_key or record.report_key


def finalized_reports(records: Iterable[ResultRecord]) -> list[FinalizedReport]:
    """One entry per finalized report, its latest final version; ordered by completion time, then key."""
    latest: dict[str, ResultRecord] = {}
    for record in records:
        if not _is_final(record):
            continue
        identity = _identity(record)
        kept = latest.get(identity)
        if kept is None or (record.completed_at, record.report_key) > (kept.completed_at, kept.report_key):
            latest[identity] = record
    return [
        FinalizedReport(
            ReportPair(
                id=record.report_key,
                findings=record.findings,
                impression=record.reference_impression or "",
                procedure_code=record.procedure_code,
                procedure_text=record.procedure_text,
                interpreter=record.interpreter,
            ),
            record.patient_key,
        )
        for record in sorted(latest.values(), key=lambda r: (r.completed_at, r.report_key))
    ]


def refreshed_index(base: Sequence[ReportPair], finalized: Iterable[FinalizedReport]) -> list[ReportPair]:
    """``base`` then every finalized pair not already there (same id, or same findings and impression)."""
    seen = {(pair.id, "") for pair in base} | {
        (normalise_findings(pair.findings), pair.impression.strip()) for pair in base
    }
    index = list(base)
    for report in finalized:
        pair = report.pair
        keys = {(pair.id, ""), (normalise_findings(pair.findings), pair.impression.strip())}
        if keys & seen:
            continue
        seen |= keys
        index.append(pair)
    return index


def _row(pair: ReportPair) -> dict[str, str]:
    row = {"id": pair.id, "findings": pair.findings, "impression": pair.impression}
    for name in ("indication", "comparison", "procedure_code", "procedure_text", "interpreter"):
        value = getattr(pair, name)
        if value is not None:
            row[name] = value
    return row


def write_index(pairs: Sequence[ReportPair], path: str | Path) -> int:
    """Write ``pairs`` as a reports JSONL file at ``path``, atomically (a rename); returns the count."""
    target = Path(path)
    if not pairs:
        raise ConfigurationError("an index needs at least one report", where=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed before the rename below
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
    )
    try:
        with handle:
            for pair in pairs:
                handle.write(json.dumps(_row(pair), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).replace(target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return len(pairs)
