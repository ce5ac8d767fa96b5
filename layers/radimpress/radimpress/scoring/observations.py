"""Observation agreement between a draft and the radiologist's impression: F1 over CheXpert observations.

Each text is labelled with :func:`radimpress.language.chexpert.positive_observations` (present or
possible counts as positive, as the safety flags count it). For one report, the F1 of the draft's positive
set against the reference's is its ``observation_f1`` (1.0 when both state nothing; "No Finding" is one of
the 14, so a normal draft for a normal study agrees). Over many reports, :func:`observation_summary` gives
the micro-averaged precision, recall and F1 (true and false positives summed over reports and
observations) and the same per observation, which is what tells whether the abnormal finding made it into
the draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from radimpress.language.chexpert import CHEXPERT, positive_observations

__all__ = ["ObservationCounts", "ObservationSummary", "observation_f1", "observation_summary"]


@dataclass(slots=True)
class ObservationCounts:
    """True positives, false positives and false negatives of the draft's observations."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, draft: frozenset[str], reference: frozenset[str]) -> None:
        self.tp += len(draft & reference)
        self.fp += len(draft - reference)
        self.fn += len(reference - draft)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def observation_f1(draft: str, reference: str) -> float:
    """F1 of the observations ``draft`` states against those ``reference`` states (1.0 when both none)."""
    counts = ObservationCounts()
    counts.add(positive_observations(draft), positive_observations(reference))
    return counts.f1


@dataclass(slots=True)
class ObservationSummary:
    """Micro-averaged counts over all reports, and per observation (support: reports stating it)."""

    reports: int = 0
    overall: ObservationCounts = field(default_factory=ObservationCounts)
    per_observation: dict[str, ObservationCounts] = field(
        default_factory=lambda: {name: ObservationCounts() for name in CHEXPERT}
    )

    def as_dict(self) -> dict[str, object]:
        return {
            "reports": self.reports,
            "overall": self.overall.as_dict(),
            "per_observation": {
                name: {**counts.as_dict(), "support": counts.tp + counts.fn}
                for name, counts in self.per_observation.items()
            },
        }


def observation_summary(pairs: Iterable[tuple[str, str]]) -> ObservationSummary:
    """The summary of (draft, reference) pairs."""
    summary = ObservationSummary()
    for draft, reference in pairs:
        drafted, referenced = positive_observations(draft), positive_observations(reference)
        summary.reports += 1
        summary.overall.add(drafted, referenced)
        for name, counts in summary.per_observation.items():
            counts.add(drafted & {name}, referenced & {name})
    return summary
