"""Headers written without a colon inside running text: ``History Cough. Findings The heart is normal.
Conclusion Normal.`` or ``INDICATION chest pain FINDINGS The lungs are clear. IMPRESSION No acute disease.``

Dictation systems and some RIS flatten a report into one text value and drop the colons after the section
names. A label of ``INLINE_LABELS`` (History, Indication, Clinical information, Reason for exam, Technique,
Comparison, Findings, Conclusion(s), Impression, Opinion, Summary) is such a header only when all three hold:

* it starts a segment: the start of a line, or after sentence punctuation (``.;!?``, optionally closed by
  a quote or bracket) and blanks; or, for an ALL-CAPS label only, in the middle of a sentence after a word
  that is neither ALL CAPS itself (``RIGHT LOWER LOBE FINDINGS``) nor one that makes the label prose
  (``see FINDINGS below``, ``no IMPRESSION of``: ``PROSE_BEFORE_LABEL``);
* it is Capitalised, Title Case or ALL CAPS (``findings`` in lower case is always prose);
* what follows reads as a section body: blanks or one line break (where a long line was wrapped), then a
  word that starts with a letter or digit and does not make the label prose (``Findings are unchanged``,
  ``History of smoking``: ``PROSE_AFTER_LABEL``). After a Capitalised label that word starts with a capital
  or a digit (``Findings The heart``, ``History 45-year-old``); after an ALL-CAPS label it is not ALL CAPS
  itself unless set off by two or more blanks or a tab (``IMPRESSION No acute``; ``IMPRESSION NO ACUTE`` is
  text), as for line-start headers.

:func:`radimpress.reading.sections.headers.scan` looks for these only in text whose findings and impression
headers are not both set off by a colon, a dash or a line of their own: a report written in that style
uses it throughout, and the label words in its running text are prose. That also keeps this scan, one
case-sensitive pattern over the whole text (about 20 us per KB), off the common path.
"""

from __future__ import annotations

import re
from typing import Final

from radimpress.reading.sections.vocabulary import (
    INLINE_LABELS,
    LABELS,
    PROSE_AFTER_LABEL,
    PROSE_BEFORE_LABEL,
    Kind,
)

__all__ = ["InlineHeader", "inline_headers"]

# (start, end, kind, strong, label): the label runs from `start`, its section's text from `end`.
InlineHeader = tuple[int, int, Kind, bool, str]

_INFO: Final[dict[str, tuple[Kind, bool]]] = {
    phrase.replace("~", ""): (kind, strong)
    for phrases, kind, strong, _suffix in LABELS
    for phrase in phrases
    if phrase.replace("~", "") in INLINE_LABELS
}
assert set(_INFO) == set(INLINE_LABELS), set(INLINE_LABELS) - set(_INFO)


def _spellings(phrase: str) -> set[str]:
    """ALL CAPS, Capitalised and Title Case."""
    words = phrase.split(" ")
    capitalised = " ".join([words[0].capitalize(), *(word.lower() for word in words[1:])])
    return {phrase, capitalised, " ".join(word.capitalize() for word in words)}


_SPELLINGS: Final = sorted(
    {spelling for phrase in INLINE_LABELS for spelling in _spellings(phrase)}, key=lambda s: (-len(s), s)
)
_SCAN: Final = re.compile(
    "(?P<label>"
    + "|".join(re.escape(spelling).replace(r"\ ", r"[ \t]++") for spelling in _SPELLINGS)
    + r")(?P<gap>[ \t]++(?:\n[ \t]*+)?|\n[ \t]*+)(?=(?P<next>[A-Za-z0-9][^\s]*+))"
)
_BLANKS: Final = re.compile(r"[ \t]++")
_PREVIOUS_WORD: Final = re.compile(r"[A-Za-z]++(?=[^A-Za-z]*+\Z)")
_WORD_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'&/-_")
_SENTENCE_END: Final = frozenset(".;!?")
_CLOSERS: Final = frozenset("\"')]")


def inline_headers(text: str) -> list[InlineHeader]:
    """The colon-less headers of ``text`` (which starts with ``\\n``), in order."""
    found: list[InlineHeader] = []
    for match in _SCAN.finditer(text):
        start = match.start()
        label, gap, next_word = match.group("label", "gap", "next")
        caps = label.isupper()
        if not caps and not label[0].isupper():
            continue  # not reachable with the spellings above; a guard against future ones
        # What reads as a section body after the label.
        next_word = next_word.rstrip(".,;:!?)\"'")
        if next_word.lower() in PROSE_AFTER_LABEL:
            continue
        if caps:
            if next_word.isupper() and gap in (" ", "\n"):
                continue
        elif not (next_word[0].isupper() or next_word[0].isdigit()):
            continue
        # Where the label stands: a segment start, or for ALL CAPS a sentence's middle after a plain word.
        before = start
        while before > 0 and text[before - 1] in " \t":
            before -= 1
        previous = text[before - 1] if before > 0 else "\n"
        if previous in _WORD_CHARS and before == start:
            continue  # inside a word: "XFINDINGS"
        if previous != "\n" and previous not in _SENTENCE_END:
            if previous in _CLOSERS and before > 1 and text[before - 2] in _SENTENCE_END:
                pass  # '... "clear." Findings The'
            elif not caps or not (previous.isalnum() or previous == ","):
                continue
            else:
                word = _PREVIOUS_WORD.search(text, max(0, before - 40), before)
                if word is not None and (
                    word.group().isupper() or word.group().lower() in PROSE_BEFORE_LABEL
                ):
                    continue
        kind, strong = _INFO[_BLANKS.sub(" ", label.upper())]
        found.append((start, match.end(), kind, strong, label))
    return found
