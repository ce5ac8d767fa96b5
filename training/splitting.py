"""The fine-tuning set from sourced pairs: duplicates dropped, leaks removed, a 95/5 split, statistics.

**Duplicates.** A study read twice (the same id from two forms of one collection) is kept once, the first
read; so is an exact (findings, impression) pair under two ids. Both are counted.

**Leak check.** Against any evaluation file: a pair leaks when its study id is an evaluation id, or its
normalised findings (:func:`radimpress.language.normalise.normalise_findings`, the engines' own
comparison) are an evaluation report's. Leaking pairs are dropped from both channels and counted: a
fine-tune that has read the evaluation's findings would score its own memory.

**The split.** Each pair falls in a group: its subject (patient) when the source has one, else its study.
A group goes to validation as a whole when the first 8 bytes of the sha256 of ``source|group``, read as a
fraction in [0, 1), are below ``validation_fraction`` (5 %). So one patient's studies stay on one side, the
split depends only on the identifiers (not on file order or the Python hash seed), and adding a report
never moves another one. A fixed assignment (MIMIC-CXR's official split CSV) overrides the hash for the
studies it names: ``train`` trains, ``validate`` validates, ``test`` is held out and dropped.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from radimpress.datasets.corpus import ReportPair
from radimpress.language.normalise import normalise_findings
from training.sources.base import SourcedPair

__all__ = [
    "VALIDATION_FRACTION",
    "LeakCheck",
    "Prepared",
    "TextStats",
    "group_share",
    "length_stats",
    "split_sourced",
]

VALIDATION_FRACTION = 0.05


def group_share(source: str, group: str) -> float:
    """Where a group falls in [0, 1): the first 8 bytes of sha256(``source|group``) as a fraction."""
    digest = hashlib.sha256(f"{source}|{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True, slots=True)
class LeakCheck:
    """What the evaluation files hold, as the leak check compares it."""

    ids: frozenset[str] = frozenset()
    findings: frozenset[str] = frozenset()

    @classmethod
    def of(cls, pairs: Iterable[ReportPair]) -> LeakCheck:
        listed = list(pairs)
        return cls(
            frozenset(p.id for p in listed),
            frozenset(key for p in listed if (key := normalise_findings(p.findings))),
        )

    def leaks(self, pair: ReportPair) -> bool:
        return pair.id in self.ids or normalise_findings(pair.findings) in self.findings


@dataclass(frozen=True, slots=True)
class TextStats:
    """Word counts of one text field over a set of pairs."""

    count: int
    mean: float
    median: float
    p95: int
    max: int

    def as_json(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "mean": round(self.mean, 2),
            "median": self.median,
            "p95": self.p95,
            "max": self.max,
        }


def _stats(lengths: Sequence[int]) -> TextStats:
    if not lengths:
        return TextStats(0, 0.0, 0.0, 0, 0)
    ordered = sorted(lengths)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return TextStats(len(ordered), statistics.fmean(ordered), statistics.median(ordered), p95, ordered[-1])


def length_stats(pairs: Sequence[ReportPair]) -> dict[str, TextStats]:
    """Words per findings and per impression (whitespace-separated), for the printed summary."""
    return {
        "findings_words": _stats([len(p.findings.split()) for p in pairs]),
        "impression_words": _stats([len(p.impression.split()) for p in pairs]),
    }


@dataclass(frozen=True, slots=True)
class Prepared:
    """The two channels and what was dropped on the way, by reason."""

    train: tuple[ReportPair, ...]
    validation: tuple[ReportPair, ...]
    read: Mapping[str, int]
    dropped: Mapping[str, int] = field(default_factory=dict)


def split_sourced(
    items: Iterable[SourcedPair],
    *,
    validation_fraction: float = VALIDATION_FRACTION,
    assigned: Mapping[str, str] | None = None,
    evaluation: LeakCheck | None = None,
) -> Prepared:
    """De-duplicate, drop leaks and held-out studies, split by group hash (see the module docstring)."""
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), not {validation_fraction}")
    read: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    seen_ids: set[tuple[str, str]] = set()
    seen_pairs: set[tuple[str, str]] = set()
    train: list[ReportPair] = []
    validation: list[ReportPair] = []
    for item in items:
        pair = item.pair
        read[item.source] += 1
        if (item.source, pair.id) in seen_ids:
            dropped["duplicate_study"] += 1
            continue
        seen_ids.add((item.source, pair.id))
        if (pair.findings, pair.impression) in seen_pairs:
            dropped["duplicate_pair"] += 1
            continue
        seen_pairs.add((pair.findings, pair.impression))
        if evaluation is not None and evaluation.leaks(pair):
            dropped["evaluation_leak"] += 1
            continue
        fixed = assigned.get(pair.id) if assigned is not None else None
        if fixed == "test":
            dropped["held_out_test"] += 1
            continue
        if fixed is not None:
            (validation if fixed == "validate" else train).append(pair)
            continue
        group = item.subject_id or pair.id
        (validation if group_share(item.source, group) < validation_fraction else train).append(pair)
    return Prepared(tuple(train), tuple(validation), dict(read), dict(dropped))
