"""What the sentences of a chest X-ray report state: asserted and negated words, sides, finding concepts.

Small, rule-based and deterministic (no model, no download), in the spirit of NegEx: a negation cue ("no",
"not", "without", "negative", "free of", "none") opens a scope that runs to the end of its clause; a clause
ends at ``;`` or ``:`` or at a contrast ("but", "however", "although", "except"). Words before the cue, and
every word of a clause without one, are *asserted*; words in the scope are *negated*. "No pleural effusion
but small left pneumothorax" asserts "small left pneumothorax" and negates "pleural effusion".

Used by :mod:`radimpress.datasets.split` (which impressions are normal statements) and by the consensus engine
(which findings sentences report something, and whether a draft contradicts its findings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "SIDES",
    "Statement",
    "finding_concepts",
    "sides",
    "split_sentences",
    "state",
    "words",
]

_DEIDENTIFIED = re.compile(r"x{4,}", re.IGNORECASE)  # the IU corpus' de-identification mark
# Sentence boundaries: list numbering ("1.", "2)"), a period unless it sits between two digits ("1.9 cm"),
# line breaks, question and exclamation marks.
_BOUNDARY = re.compile(r"(?:^|\s)\d{1,2}[.)](?=\s|[A-Za-z])|(?<!\d)\.|\.(?!\d)|\n|[?!]")
_LETTER = re.compile(r"[A-Za-z]")
_NEGATION = re.compile(r"\b(?:no|not|none|without|negative|free of)\b")
_CLAUSE_END = re.compile(r"[;:]|\b(?:but|however|although|though|except|apart from)\b")
_WORD = re.compile(r"[a-z]+")

SIDES = ("left", "right", "bilateral")
_SIDE_WORDS = {
    "left": "left",
    "right": "right",
    "bilateral": "bilateral",
    "bilaterally": "bilateral",
    "both": "bilateral",
    "bibasilar": "bilateral",
    "biapical": "bilateral",
}

# Finding concepts: the words a draft must not assert when its findings negate them (or the reverse),
# plural and variant forms folded into one name.
_CONCEPTS = {
    "effusion": "effusion",
    "effusions": "effusion",
    "pneumothorax": "pneumothorax",
    "pneumothoraces": "pneumothorax",
    "hydropneumothorax": "pneumothorax",
    "consolidation": "consolidation",
    "consolidations": "consolidation",
    "consolidative": "consolidation",
    "pneumonia": "pneumonia",
    "infiltrate": "infiltrate",
    "infiltrates": "infiltrate",
    "opacity": "opacity",
    "opacities": "opacity",
    "opacification": "opacity",
    "atelectasis": "atelectasis",
    "edema": "edema",
    "cardiomegaly": "cardiomegaly",
    "nodule": "nodule",
    "nodules": "nodule",
    "mass": "mass",
    "masses": "mass",
    "fracture": "fracture",
    "fractures": "fracture",
    "emphysema": "emphysema",
    "fibrosis": "fibrosis",
    "scarring": "scarring",
    "scar": "scarring",
    "scars": "scarring",
    "granuloma": "granuloma",
    "granulomas": "granuloma",
    "hernia": "hernia",
    "congestion": "congestion",
    "adenopathy": "adenopathy",
    "lymphadenopathy": "adenopathy",
    "thickening": "thickening",
    "lesion": "lesion",
    "lesions": "lesion",
    "airspace": "airspace disease",
}
_HEART = frozenset({"heart", "cardiac"})
_ENLARGED = frozenset({"enlarged", "enlargement"})


def words(text: str) -> list[str]:
    """Lowercase words of ``text``, the de-identification mark removed."""
    return _WORD.findall(_DEIDENTIFIED.sub(" ", text).lower())


def split_sentences(text: str) -> list[str]:
    """The sentences of a findings or impression text, stripped, numbering and fragments without letters
    (once ``XXXX`` is removed) dropped; the words are kept as written."""
    parts = (part.strip().strip(",").strip() for part in _BOUNDARY.split(text))
    return [part for part in parts if _LETTER.search(_DEIDENTIFIED.sub(" ", part))]


@dataclass(frozen=True, slots=True)
class Statement:
    """The asserted and negated words of a text, in order."""

    asserted: tuple[str, ...]
    negated: tuple[str, ...]


def state(text: str) -> Statement:
    """Split ``text`` into asserted and negated words (see the module docstring for the scope rule)."""
    asserted: list[str] = []
    negated: list[str] = []
    lowered = _DEIDENTIFIED.sub(" ", text).lower()
    for sentence in _BOUNDARY.split(lowered):
        for clause in _CLAUSE_END.split(sentence):
            cue = _NEGATION.search(clause)
            if cue is None:
                asserted.extend(_WORD.findall(clause))
            else:
                asserted.extend(_WORD.findall(clause[: cue.start()]))
                negated.extend(_WORD.findall(clause[cue.start() :]))
    return Statement(tuple(asserted), tuple(negated))


def sides(words_: Iterable[str]) -> frozenset[str]:
    """The sides (``left``, ``right``, ``bilateral``) that ``words_`` name."""
    return frozenset(side for word in words_ if (side := _SIDE_WORDS.get(word)) is not None)


def finding_concepts(words_: Iterable[str]) -> frozenset[str]:
    """The finding concepts ``words_`` name; an enlarged heart or cardiac silhouette is cardiomegaly."""
    seen = list(words_)
    found = {concept for word in seen if (concept := _CONCEPTS.get(word)) is not None}
    present = set(seen)
    if present & _HEART and present & _ENLARGED:
        found.add("cardiomegaly")
    return frozenset(found)
