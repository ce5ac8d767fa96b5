"""A train/dev split of the IU reports whose dev findings never occur in train.

**The split.** Normal chest X-ray reports are templated: the same findings text recurs word for word, often
with the same impression. A random split would put copies of a dev report in train, and a retrieval engine
would read the answer back. Here reports are grouped by their normalised findings (the engines' own
normalisation: lowercase, the de-identification mark ``XXXX`` removed, punctuation as single spaces,
whitespace collapsed) and each group goes to dev as a whole when the sha256 of its normalised findings,
read as a fraction in [0, 1), is below ``dev_fraction``. So no dev findings occur in train, the split
depends only on the text (not on file order, the platform or the Python hash seed), and a report added to
the file never moves another report between the parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.language.normalise import normalise_findings

__all__ = [
    "DEV_FRACTION",
    "Split",
    "dev_share",
    "load_split",
    "split_pairs",
]

DEV_FRACTION = 0.2


@dataclass(frozen=True, slots=True)
class Split:
    """The two parts, each in the order of the source file."""

    train: tuple[ReportPair, ...]
    dev: tuple[ReportPair, ...]


def dev_share(normalised_findings: str) -> float:
    """Where a findings group falls in [0, 1): the first 8 bytes of its sha256 as a fraction."""
    digest = hashlib.sha256(normalised_findings.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_pairs(pairs: Iterable[ReportPair], *, dev_fraction: float = DEV_FRACTION) -> Split:
    """Each pair to dev when :func:`dev_share` of its normalised findings is below ``dev_fraction``.

    Pairs whose findings normalise to nothing (only ``XXXX`` and punctuation) go to train: they would form
    one group with nothing to retrieve by.
    """
    if not 0.0 <= dev_fraction <= 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1], not {dev_fraction}")
    train: list[ReportPair] = []
    dev: list[ReportPair] = []
    for pair in pairs:
        key = normalise_findings(pair.findings)
        (dev if key and dev_share(key) < dev_fraction else train).append(pair)
    return Split(tuple(train), tuple(dev))


def load_split(path: str | Path | None = None, *, dev_fraction: float = DEV_FRACTION) -> Split:
    """The split of the reports with findings and impression in ``path`` (default: the bundled IU file)."""
    return split_pairs(load_pairs(path), dev_fraction=dev_fraction)
