"""The pipeline's own finalized reports, from the results table, as the next fine-tuning set.

The results table (``results/dt=YYYY-MM-DD/*.parquet``, :mod:`radimpress.adapters.parquet`) holds one row
per drafted report version. A row trains only when the radiologist has signed it off: status ``F`` (final)
with a non-blank ``reference_impression`` (the radiologist's own impression, not the draft). Preliminary
versions (``P``) and anything else are never read: the radiologist may still change them. When one
accession was sent final more than once (a resend), the version completed last is the one kept.

Pseudonymous keys only: the pair's id is the row's ``report_key`` (a hash of control id, accession and
status) and its subject is ``patient_key`` (the keyed pseudonym), so the split groups a patient's reports
without any identifier leaving the table. The accession is used only to pick the latest version and is
not written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from radimpress.errors import ConfigurationError
from radimpress.pipeline.feedback import FINAL_STATUS, finalized_reports
from radimpress.pipeline.records import ResultRecord
from training.sources.base import SourcedPair

__all__ = ["FINAL_STATUS", "SOURCE", "finalized_pairs", "local_result_files"]

SOURCE = "results"


def finalized_pairs(records: Iterable[ResultRecord]) -> Iterator[SourcedPair]:
    """One pair per finalized report, its latest final version; ordered by completion time, then key (the
    selection the embedded engine's index refresh uses too, :func:`radimpress.pipeline.feedback.
    finalized_reports`)."""
    for report in finalized_reports(records):
        yield SourcedPair(report.pair, SOURCE, report.patient_key)


def local_result_files(directory: str | Path) -> Iterator[bytes]:
    """The bytes of every ``*.parquet`` under ``directory`` (the results/ tree copied locally), by path."""
    root = Path(directory)
    if not root.is_dir():
        raise ConfigurationError("the results location is not a directory", where=str(root))
    for path in sorted(root.rglob("*.parquet")):
        yield path.read_bytes()
