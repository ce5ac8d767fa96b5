"""Whether a drafted impression reads as sentences, and the one punctuation clean-up drafts get.

A draft composed from pieces of findings can break a sentence: "Large right upper lobe mass lesion,
measuring." or "dense consolidation in the. Right base." ROUGE barely notices (the words are right), a
radiologist does at once. :func:`fluency_problems` finds what a reader would stop at:

``cut_sentence``
    a sentence that ends on a word a sentence cannot end on: an article, a preposition, a conjunction, a
    participle that needs its object ("measuring", "including"), or a modifier still waiting for its noun
    ("upper", "lower").
``doubled_punctuation``
    "..", ",.", ". ." or ",," (often copied from a report: "No active disease..").
``dangling_numbering``
    a number with nothing after it, a single numbered item ("1. No acute disease."), or numbers out of
    order.
``lowercase_start``
    a sentence that starts with a lowercase letter (one that starts with a number, "1.7 cm nodule", is
    fine).

:func:`polish` is the clean-up every engine applies to what it returns: punctuation de-doubled, empty
items dropped, each sentence capitalised, and numbering kept only when there are several items (then
renumbered 1, 2, ...). It never changes words, so a draft's ROUGE against a reference moves only by the
numbering tokens it drops or adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FluencyKind", "FluencyProblem", "fluency_problems", "polish", "split_items"]


class FluencyKind(StrEnum):
    CUT_SENTENCE = "cut_sentence"
    DOUBLED_PUNCTUATION = "doubled_punctuation"
    DANGLING_NUMBERING = "dangling_numbering"
    LOWERCASE_START = "lowercase_start"


@dataclass(frozen=True, slots=True)
class FluencyProblem:
    """One problem; ``word`` is the offending token (a function word or mark), never a whole sentence."""

    kind: FluencyKind
    word: str = ""


# Words a sentence of a chest X-ray impression cannot end on.
_CANNOT_END = frozenset(
    """
    a an the of in on at to for with without within and or nor but by from into onto as than is are
    was were be been being has have had which that whose who whom where when while if measuring
    including involving demonstrating showing suggesting representing compatible consistent upper
    lower mid more most less very no not both either neither each
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NUMBER = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)](?=\s|$)")
_DOUBLED = re.compile(r"\.\s*\.|,\s*\.|,\s*,|;\s*\.|\.\s*,")
# a sentence ends at . ? ! unless the period sits in a number ("1.9 cm") or closes a list number
_SENTENCE_END = re.compile(r"(?<!\d)[.?!](?=\s|$)|(?<=\d)\.(?=\s+[A-Za-z]|$)")
# words and numbers: "a cardiothoracic ratio of 16.2/24.7." ends on a number, not on "of"
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?")
_LETTER = re.compile(r"[A-Za-z]")
_SPACE_BEFORE_MARK = re.compile(r"\s+([.,;:?!])")


def split_items(text: str) -> tuple[list[str], bool]:
    """The draft's items (the text between list numbers) and whether it was numbered at all."""
    marks = list(_NUMBER.finditer(text))
    if not marks:
        return [text.strip()], False
    items = [text[: marks[0].start()].strip()] if text[: marks[0].start()].strip() else []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        items.append(text[mark.end() : following.start() if following else len(text)].strip())
    return items, True


def _sentences(text: str) -> list[str]:
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        pieces.append(text[start : end.end()].strip())
        start = end.end()
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if _LETTER.search(piece)]


def fluency_problems(text: str) -> tuple[FluencyProblem, ...]:
    """What a reader would stop at in ``text`` (empty when it reads as sentences)."""
    problems: list[FluencyProblem] = []
    for found in _DOUBLED.finditer(text):
        problems.append(FluencyProblem(FluencyKind.DOUBLED_PUNCTUATION, "".join(found.group(0).split())))
    items, numbered = split_items(text)
    if numbered:
        numbers = [int(mark.group(1)) for mark in _NUMBER.finditer(text)]
        if len(numbers) == 1 or numbers != list(range(1, len(numbers) + 1)):
            problems.append(FluencyProblem(FluencyKind.DANGLING_NUMBERING, str(numbers[0])))
        if any(not _LETTER.search(item) for item in items):
            problems.append(FluencyProblem(FluencyKind.DANGLING_NUMBERING, "empty item"))
    for item in items:
        for sentence in _sentences(item):
            words = _WORD.findall(sentence)
            if words and words[-1].lower() in _CANNOT_END:
                problems.append(FluencyProblem(FluencyKind.CUT_SENTENCE, words[-1].lower()))
            # a sentence may open with a measurement ("1.7 cm nodule"); only a leading letter counts
            if sentence[0].isalpha() and sentence[0].islower():
                problems.append(FluencyProblem(FluencyKind.LOWERCASE_START, words[0] if words else ""))
    return tuple(problems)


def _clean_item(item: str) -> str:
    item = _DOUBLED.sub(lambda found: "." if "." in found.group(0) else ",", item)
    item = _SPACE_BEFORE_MARK.sub(r"\1", " ".join(item.split())).strip(" ,;")
    if not _LETTER.search(item):
        return ""
    sentences = _sentences(item)
    item = " ".join(sentence[0].upper() + sentence[1:] if sentence else sentence for sentence in sentences)
    if not re.search(r"[.?!]$", item):
        item += "."
    return item


def polish(text: str) -> str:
    """``text`` with punctuation de-doubled, empty items dropped, sentences capitalised, numbering fixed.

    Several items are numbered "1. ... 2. ..."; a single item loses its number. Words are never changed.
    """
    items, _ = split_items(" ".join(text.split()))
    kept = [cleaned for cleaned in map(_clean_item, items) if cleaned]
    if len(kept) <= 1:
        return kept[0] if kept else ""
    return " ".join(f"{number}. {item}" for number, item in enumerate(kept, start=1))
