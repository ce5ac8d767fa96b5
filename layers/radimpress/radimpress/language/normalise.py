"""Report text as the engines compare it.

One normalisation for matching findings against findings: the retrieval index, the consensus engine and
the train/dev split must agree on it, or a dev report could match its own copy in train.
"""

from __future__ import annotations

import re

__all__ = ["normalise_findings"]

_DEIDENTIFIED = re.compile(r"x{4,}")  # the IU corpus replaces removed identifiers with XXXX
_NOT_WORD = re.compile(r"[\W_]+")


def normalise_findings(text: str) -> str:
    """Findings as the index compares them: lowercase, ``XXXX`` removed, punctuation as single spaces."""
    return " ".join(_NOT_WORD.sub(" ", _DEIDENTIFIED.sub(" ", text.lower())).split())
