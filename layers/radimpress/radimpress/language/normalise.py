"""Report text as the engines read it: one reflow of line breaks, and the key findings are matched on.

**Reflow.** Feeds wrap findings: HL7 sends one OBX per printed line, FT values carry ``\\.br\\`` breaks,
text reports arrive at 60-80 columns with ``\\r\\n``. A line break inside a report's findings almost always
sits where a space was (the radiologist typed a paragraph; the reporting system wrapped it), so a reader
that took line breaks as sentence ends would read "No pleural effusion or / pneumothorax is seen." as two
statements, the second asserting a pneumothorax. :func:`reflow` turns every run of whitespace, line breaks
and literal ``\\.br\\`` escapes included, into one space. The structure that matters survives because it is
written in the text, not in the breaks: numbered items ("1." / "2)") and sub-headers ("LUNGS:") stay where
they are, and bullet markers ("-", "*", "•") at an item start become sentence ends. The result depends
only on the words and their punctuation, so re-wrapping a report at any width, with ``\\n``, ``\\r\\n`` or
``\\.br\\``, leaves everything computed from it unchanged; a word hyphenated at a line end ("air-" /
"filled") is joined back (``tests/unit/test_normalise_properties.py``).
Engines and the safety flags call it on their inputs; nothing downstream sees a line break.

**Matching key.** :func:`normalise_findings` is how findings are compared with findings: the retrieval
index, the consensus engine and the train/dev split must agree on it, or a dev report could match its own
copy in train.
"""

from __future__ import annotations

import re

__all__ = ["normalise_findings", "reflow"]

_DEIDENTIFIED = re.compile(r"x{4,}")  # the IU corpus replaces removed identifiers with XXXX
_NOT_WORD = re.compile(r"[\W_]+")
# HL7 formatted-text breaks that reach us unescaped (a text report copied out of an FT value, a sender
# that escaped twice): \.br\, \.sp\ and \.sp N\, in either case
_FT_BREAK = re.compile(r"\\\.(?:br|sp(?:\s*\d+)?)\\", re.IGNORECASE)
# a bullet opening an item: at the start, or after whitespace and before a word
_BULLET = re.compile(r"(?:^|(?<=\s))[-*\u2022\u00b7](?=\s+\S)")
# a word hyphenated across a line break ("air-\n filled"): the hyphen is the word's, the break is not
_HYPHEN_BREAK = re.compile(r"(?<=[A-Za-z])-[ \t]*(?:\r\n|\r|\n|\\\.br\\)\s*(?=[a-z])")
_ENDS_SENTENCE = re.compile(r"[.;:!?]\s*$")


def reflow(text: str) -> str:
    """``text`` with soft line breaks joined: every whitespace run (and ``\\.br\\``) becomes one space.

    Bullets at an item start become sentence ends (". " after the previous item, unless it already ends in
    punctuation). Leading and trailing whitespace is dropped.
    """
    flat = " ".join(_FT_BREAK.sub(" ", _HYPHEN_BREAK.sub("-", text)).split())
    if "-" not in flat and "*" not in flat and "\u2022" not in flat and "\u00b7" not in flat:
        return flat
    items = [item.strip() for item in _BULLET.split(flat)]
    kept: list[str] = []
    for item in items:
        if not item:
            continue
        if kept and not _ENDS_SENTENCE.search(kept[-1]):
            kept[-1] += "."
        kept.append(item)
    return " ".join(kept)


def normalise_findings(text: str) -> str:
    """Findings as the index compares them: lowercase, ``XXXX`` removed, punctuation as single spaces
    (``\\.br\\`` breaks too, so the key does not depend on the wrapping either)."""
    return " ".join(_NOT_WORD.sub(" ", _DEIDENTIFIED.sub(" ", _FT_BREAK.sub(" ", text).lower())).split())
