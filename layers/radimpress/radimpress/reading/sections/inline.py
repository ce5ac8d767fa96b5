"""Headers written without a colon inside running text: ``History Cough. Findings The heart is normal.
Conclusion Normal.`` or ``INDICATION chest pain FINDINGS The lungs are clear. IMPRESSION No acute disease.``

Dictation systems and some RIS flatten a report into one text value and drop the colons after the section
names. A label of ``INLINE_LABELS`` (History, Indication, Clinical information, Reason for exam, Technique,
Comparison, Findings, Conclusion(s), Impression, Opinion, Summary) is such a header only when all three hold:

* it starts a segment: the start of a line, or after sentence punctuation (``.;!?``, optionally closed by
  a quote or bracket) and blanks; or in the middle of a sentence (report fields often end without a
  period: ``Dyspnea Findings The lungs``, ``chest pain FINDINGS The lungs``) after a number or a word that
  does not make the label prose (``see FINDINGS below``, ``no IMPRESSION of``, ``the prior Findings``:
  ``PROSE_BEFORE_LABEL``) and that, before an ALL-CAPS label, is not ALL CAPS itself (``RIGHT LOWER LOBE
  FINDINGS``);
* it is Capitalised, Title Case or ALL CAPS (``findings`` in lower case is always prose);
* what follows reads as a section body: blanks or one line break (where a long line was wrapped), then a
  word that starts with a letter or digit and is not a lower-case word that makes the label prose
  (``FINDINGS are unchanged``, ``History of smoking``: ``PROSE_AFTER_LABEL``; ``FINDINGS There is`` is a
  header). After a Capitalised label that word starts with a capital or a digit (``Findings The heart``,
  ``History 45-year-old``), unless the label opens the text or a paragraph (``Indication chest pain``: no
  wrapping puts a label there). After an ALL-CAPS label it is not ALL CAPS itself unless set off by two or
  more blanks or a tab (``IMPRESSION No acute``; ``IMPRESSION NO ACUTE`` is text), as for line-start
  headers, or it is a short acronym followed by a word that is not ALL CAPS (``COMPARISON CT of the
  chest``).

:func:`radimpress.reading.sections.headers.scan` looks for these only in text whose findings and impression
headers are not both set off by a colon or a dash: a report written in that style uses it throughout, and
the label words in its running text are prose. That also keeps this scan, one
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
# Between the words of a label and after it: blanks, or one line break where a long line was wrapped.
_SPACE: Final = r"(?:[ \t]++\n?[ \t]*+|\n[ \t]*+)"
_SCAN: Final = re.compile(
    "(?P<label>"
    + "|".join(re.escape(spelling).replace(r"\ ", _SPACE) for spelling in _SPELLINGS)
    + rf")(?P<gap>{_SPACE})(?=(?P<next>[A-Za-z0-9][^\s]*+))"
)
_BLANKS: Final = re.compile(r"\s++")
_FOLLOWING_WORD: Final = re.compile(_SPACE + r"([A-Za-z][^\s]*+)")
_PREVIOUS_TOKEN: Final = re.compile(r"\S++\Z")
_NON_LETTERS: Final = re.compile(r"[^A-Za-z]++")
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
        if next_word in PROSE_AFTER_LABEL:  # in lower case only: "FINDINGS There is" starts a body
            continue
        # Where the label stands: a segment start, or a sentence's middle after a plain word.
        before = start
        while before > 0 and text[before - 1] in " \t":
            before -= 1
        previous = text[before - 1] if before > 0 else "\n"
        if caps:
            if next_word.isupper() and "\t" not in gap and "  " not in gap:
                # ALL CAPS on: text ("IMPRESSION NO ACUTE"), unless an acronym starts a body in lower
                # case ("COMPARISON CT of the chest").
                after = _FOLLOWING_WORD.match(text, match.end() + len(match.group("next")))
                if len(next_word) > 5 or after is None or after.group(1).isupper():
                    continue
        elif not (next_word[0].isupper() or next_word[0].isdigit()) and not (
            previous == "\n" and _starts_paragraph(text, before - 1)
        ):
            continue  # "Findings the heart" is text, but a report may open "Indication chest pain"
        if before == start and (previous in _WORD_CHARS or previous.isalnum()):
            continue  # inside a word: "XFINDINGS", "éFINDINGS"
        if previous != "\n" and previous not in _SENTENCE_END:
            if previous in _CLOSERS and before > 1 and text[before - 2] in _SENTENCE_END:
                pass  # '... "clear." Findings The'
            elif not (
                (previous.isalnum() or previous == "," or previous in _CLOSERS)
                and _after_a_plain_word(text, before, caps)
            ):
                continue
        kind, strong = _INFO[_BLANKS.sub(" ", label.upper())]
        found.append((start, match.end(), kind, strong, label))
    return found


def _after_a_plain_word(text: str, end: int, caps: bool) -> bool:
    """Whether the token that ends at ``end`` may come before a header in the middle of a sentence: a
    number or date, or a word that does not make the label prose (``see FINDINGS below``, ``the prior
    Findings``) and, before an ALL-CAPS label, is not ALL CAPS itself (``RIGHT LOWER LOBE FINDINGS``).
    A Capitalised label needs no more: in running text its capital marks it (``Dyspnea Findings The``)."""
    token = _PREVIOUS_TOKEN.search(text, max(0, end - 60), end)
    letters = _NON_LETTERS.sub("", token.group()) if token is not None else ""
    if not letters:
        return True  # "chest pain 02/03/2024 Findings The ...": a date or number
    if caps and letters.isupper():
        return False
    return letters.lower() not in PROSE_BEFORE_LABEL


def _starts_paragraph(text: str, newline: int) -> bool:
    """Whether the line break at ``newline`` starts the text or follows a blank line: a break that no
    wrapping of a line made."""
    before = newline
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    return before == 0 or text[before - 1] == "\n"
