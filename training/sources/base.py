"""What every source reader yields: a report pair, where it came from, and its subject when known."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from radimpress.datasets.corpus import ReportPair

__all__ = ["SourcedPair", "clean_section", "sourced"]

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SourcedPair:
    """One pair with its source name and, when the source has one, the subject (patient) identifier.

    The subject is what the split groups by: two studies of one patient never land on different sides.
    """

    pair: ReportPair
    source: str
    subject_id: str | None = None


def clean_section(text: str | None) -> str | None:
    """A section's text with runs of whitespace (the reports' hard line wraps) as one space; blank → None."""
    if text is None:
        return None
    cleaned = _SPACE.sub(" ", text).strip()
    return cleaned or None


def sourced(pairs: Iterable[ReportPair], source: str) -> Iterator[SourcedPair]:
    """Pairs of a file without subjects (our JSONL, MEDIQA JSON) tagged with their source name."""
    for pair in pairs:
        yield SourcedPair(pair, source)
