"""A train/dev split of the IU reports whose dev findings never occur in train, and normal impressions.

**The split.** Normal chest X-ray reports are templated: the same findings text recurs word for word, often
with the same impression. A random split would put copies of a dev report in train, and a retrieval engine
would read the answer back. Here reports are grouped by their normalised findings (the engines' own
normalisation: lowercase, the de-identification mark ``XXXX`` removed, punctuation as single spaces,
whitespace collapsed) and each group goes to dev as a whole when the sha256 of its normalised findings,
read as a fraction in [0, 1), is below ``dev_fraction``. So no dev findings occur in train, the split
depends only on the text (not on file order, the platform or the Python hash seed), and a report added to
the file never moves another report between the parts.

**Normal impressions.** :func:`is_normal_impression` tells whether a radiologist's impression is a normal
statement ("No acute cardiopulmonary abnormality.", "Normal chest x-XXXX.", "Negative for acute disease.",
"Clear lungs. No active disease.") rather than one that reports something ("Cardiomegaly without acute
disease.", "Low lung volumes, otherwise clear."). The evaluation reports ROUGE on the abnormal subset (the
impressions that are not normal), where the informative drafting happens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from radimpress.corpus import ReportPair, load_pairs
from radimpress.engines.retrieval import normalise_findings
from radimpress.statements import split_sentences, state

__all__ = [
    "DEV_FRACTION",
    "NORMAL_WORDS",
    "Split",
    "dev_share",
    "is_normal_impression",
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


# --- normal impressions ------------------------------------------------------------------------------------

# Words that a normal statement is made of outside negated clauses: function words, the exam, the normal
# descriptors, reporting verbs and the hedges and headings radiologists wrap a normal result in. A word
# outside this list ("cardiomegaly", "low", "hyperexpanded", "emphysema", "postoperative") is a finding.
_NORMAL_WORDS_TEXT = """
    a an the of and or with in on at to for as by from this that these is are was were be been there it its
    which s also both any all other otherwise overall essentially grossly specifically particularly
    chest thorax thoracic cardiopulmonary cardiothoracic intrathoracic pulmonary lung lungs heart cardiac
    pleural mediastinal mediastinum contour contours silhouette size osseous bony structures
    exam examination study studies film films radiograph radiographs radiography radiographic x ray rays xray
    view views pa lateral frontal portable ap two
    normal unremarkable clear negative stable unchanged well expanded aerated within limits appearance
    appearing appear appears intact healthy
    acute active chronic interval change changes significant evidence findings finding process disease
    abnormality abnormalities identified seen noted demonstrated evident present visible definite
    demonstrable detected apparent
    preoperative pre operative comparison prior previous since compared limited quality shows show
    end report impression ribs rib decubitus interstitium vasculature vascularity relatively today
"""
NORMAL_WORDS = frozenset(_NORMAL_WORDS_TEXT.split())


def is_normal_impression(text: str) -> bool:
    """Whether an impression states a normal study: nothing in it is asserted outside a negation.

    The words it asserts (outside negated clauses: a cue such as "no", "without", "negative" to the end of
    its clause, see :mod:`radimpress.statements`) must all be words of a normal statement ("normal chest",
    "clear lungs", "stable exam", "no acute cardiopulmonary abnormality identified"). A blank impression is
    not normal.
    """
    if not split_sentences(text):
        return False
    return all(word in NORMAL_WORDS for word in state(text).asserted)
