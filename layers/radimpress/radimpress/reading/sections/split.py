"""Split radiology report text into sections: indication, comparison, technique, findings, impression,
addendum and ``other``.

The input is a sequence of :class:`TextBlock`. Consecutive blocks with the same ``hint`` (the section the
sender coded in OBX-3) form one run: a hinted run starts in its hinted section, an unhinted run continues
whatever section the text before it was in, and a :class:`BodyBlock` run (text the sender coded as the
report's general description, OBX-3 ``&GDT``) starts under no header as if the report began there, so that
its unheaded text is the findings even after coded impression values. Text headers inside every run still
split it.

Headers are found by :func:`radimpress.reading.sections.headers.scan`; this module decides where the
text between them goes.

Sections, trailers and where text goes
--------------------------------------
* A section runs from its header to the next header, trailer line or banner.
* ``FINDINGS AND IMPRESSION:`` / ``FINDINGS/IMPRESSION:`` (either order): the text goes to ``findings``
  and ``impression`` stays ``None`` unless a separate impression header follows. The radiologist wrote no
  separate impression; cutting one out of their text would invent it.
* Technologist comments (``TECHNOLOGIST COMMENTS:``, ``TECH NOTE:``), recommendations
  (``RECOMMENDATION(S):``, ``FOLLOW-UP:``), notification headers and preliminary reads (``WET READ:``,
  ``PRELIMINARY REPORT``) go to ``other``, never to the impression.
* Trailer lines go to ``other`` whole and end the current section: signatures (``Electronically signed
  by``, ``Signed by``, ``Dictated by``, ``Transcribed by``, ``Reviewed by``, ``Radiologist:``),
  attestations (``I have personally reviewed the images...``, ``I agree with...``), dictation time stamps
  (``D: 03/04/2024 10:15``), ``END OF REPORT``, job numbers, and administrative lines (``Patient Name:``,
  ``MRN:``, ``DOB:``, ``Accession #:``, ``Referring Physician:``, ``Exam Date:``). Banner lines
  (``*** FINAL REPORT ***``, ``RADIOLOGY REPORT``, ``CONFIDENTIAL``) do the same. Lines made only of rule
  characters (``-----``, ``_____``, ``=====``) are layout and are dropped.
* Addenda: an ``ADDENDUM`` before the impression (a leading addendum) ends at the next header. An
  ``ADDENDUM`` after the impression has started runs to the end of the text (or of its hinted run),
  keeping later main headers verbatim inside it (an addendum's "IMPRESSION:" is not the report's
  impression); trailers, banners, further ``ADDENDUM`` headers and ``other`` headers still split it.
* A preliminary read followed later by a ``FINAL REPORT`` banner: everything from the preliminary header
  to the banner goes to ``other`` verbatim, whatever headers it contains.
* Text under no header: when the report has a findings header (or a findings-hinted block) it goes to
  ``other``. When it has none, the body is the findings: unheaded text before the impression is the
  findings, and an indication, comparison, technique, ``other`` section or leading addendum started by a
  header keeps only its first paragraph; the rest is findings. The paragraph ends at a blank line, or at
  a line ending in ``.``, ``!`` or ``?`` followed by a line that starts with a capital letter, if that
  word would have fitted on the line before within the widest line of the text (otherwise the break is
  where a dictation system wrapped the line). Unheaded text after the impression goes to ``other``.
* Nothing else is dropped: only the recognised header labels (see :attr:`SplitResult.headers`), the colon
  or dash after them, decoration, rule lines and whitespace. Every word of the input is in one section.

Whitespace: every line is stripped, blank lines are removed and the lines of a section are joined by one
``\\n`` (``\\r\\n`` and ``\\r`` count as line breaks); blanks inside a line are kept. An empty section is
``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from radimpress.reading.model import SECTION_NAMES, SectionName, Sections, TextBlock
from radimpress.reading.sections.headers import END, FINAL, INLINE, LINE, Event, scan
from radimpress.reading.sections.vocabulary import Kind

__all__ = ["BodyBlock", "SplitResult", "split_detailed", "split_sections", "split_text"]


# Where a header-started short section may end when the report has no findings header: a blank line,
# or a sentence end at the end of a line followed by a line that starts with a capital letter (a hard
# break only if that line's first word would have fitted on the line before: see `_section_end`).
_PARAGRAPH_END: Final = re.compile(
    r"(?P<blank>\n[ \t]*+\n)|[.!?][\"')\]]*+[ \t]*+(?=\n[ \t]*+(?P<word>[A-Z][^ \t\n]*+))"
)
# Where a section started by a colon-less inline header ends when the report has no findings header: its
# first sentence ("Comparison XXXX, XXXX. Clear lungs." is a comparison, then the findings) or a blank line.
_SENTENCE_END: Final = re.compile(r"\n[ \t]*+\n|[.!?][\"')\]]*+(?=\s++[A-Z0-9])")
_NON_BLANK: Final = re.compile(r"\S")
_LINE_EDGE: Final = re.compile(r"\n(?:(?<=\s\n)|\s)")  # a line break with whitespace before or after it

_MAIN_KINDS: Final = frozenset(
    {"indication", "comparison", "technique", "findings", "impression", "combined"}
)
_SHORT_KINDS: Final = frozenset({"indication", "comparison", "technique", "other", "prelim", "addendum"})
_TARGET: Final[dict[Kind, str]] = {
    "indication": "indication",
    "comparison": "comparison",
    "technique": "technique",
    "findings": "findings",
    "impression": "impression",
    "addendum": "addendum",
    "other": "other",
    "combined": "findings",
    "prelim": "other",
}


@dataclass(frozen=True, slots=True)
class BodyBlock(TextBlock):
    """Report text the sender coded as the report body (OBX-3 ``&GDT``) rather than as one section.

    Its ``hint`` is always ``None``: the body names no section, its own headers decide.
    """


# A run's hint: the section the sender coded, "body" for a `BodyBlock` run, None for unhinted text.
_RunHint = SectionName | Literal["body"] | None


@dataclass(frozen=True, slots=True)
class SplitResult:
    """The sections and, in order, the header labels that were recognised and removed from the text."""

    sections: Sections
    headers: tuple[str, ...]


def _normalise(pieces: list[str]) -> str | None:
    """A section's pieces as one text: lines stripped, blank lines removed, ``None`` when empty."""
    text = "\n".join(pieces).strip()
    if _LINE_EDGE.search(text) is None:
        return text or None  # the common case: no line inside to strip or remove, checked in C
    return "\n".join(filter(None, map(str.strip, text.split("\n")))) or None


def _run_hint(block: TextBlock) -> _RunHint:
    return "body" if type(block) is BodyBlock else block.hint


def _runs(blocks: Sequence[TextBlock]) -> list[tuple[_RunHint, str]]:
    """Consecutive blocks with the same hint joined into one run of text, with ``\\n`` in front."""
    if len(blocks) == 1:  # the common case: a text report, or an HL7 report in one OBX or one code
        block = blocks[0]
        text = "\n" + block.text
        text = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
        return [("body" if type(block) is BodyBlock else block.hint, text)]
    runs: list[tuple[_RunHint, list[str]]] = []
    for block in blocks:
        hint = _run_hint(block)
        if runs and runs[-1][0] == hint:
            runs[-1][1].append(block.text)
        else:
            runs.append((hint, [block.text]))
    out: list[tuple[_RunHint, str]] = []
    for hint, texts in runs:
        text = "\n" + "\n".join(texts)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        out.append((hint, text))
    return out


def _find_final(
    scanned: list[tuple[_RunHint, str, list[Event]]], run: int, index: int
) -> tuple[int, int] | None:
    """The position (run, event) of the first FINAL REPORT banner after the given event, if any."""
    start = index + 1
    for position in range(run, len(scanned)):
        events = scanned[position][2]
        for candidate in range(start, len(events)):
            if events[candidate][2] == FINAL:
                return position, candidate
        start = 0
    return None


def _section_end(text: str, start: int, end: int) -> int | None:
    """Where the first paragraph of ``text[start:end]`` ends, if before ``end``.

    A blank line ends it. So does a line that ends a sentence when the next line starts with a capital
    letter and that line's first word would have fitted on the line before within the widest line of
    the text: otherwise the break is where a dictation system wrapped a long line, not a new paragraph
    ("...in XXXX. Shortness of breath.\\nPatient taking antibiotics" wrapped at 72 columns).
    """
    width = 0
    for stop in _PARAGRAPH_END.finditer(text, start, end):
        if stop.group("blank") is not None:
            return stop.start()
        if not width:
            width = max(map(len, text.split("\n")))
        line_start = text.rfind("\n", 0, stop.start()) + 1
        line = len(text[line_start : stop.end()].strip())
        if line + 1 + len(stop.group("word")) <= width:
            return stop.end()
    return None


def split_detailed(blocks: Sequence[TextBlock]) -> SplitResult:
    """:func:`split_sections`, plus the header labels it recognised and removed, in order."""
    sections, headers = _split(blocks)
    return SplitResult(sections, tuple(headers))


def _split(blocks: Sequence[TextBlock]) -> tuple[Sections, list[str]]:
    """The sections and, in order, the header labels recognised (no `SplitResult` for `split_sections`)."""
    # Colon-less inline headers only in text no OBX-3 code assigns to a section: in a coded impression,
    # "Comparison XXXX, XXXX. Stable chest." is the radiologist's impression.
    scanned = [
        (hint, text, scan(text, inline=hint is None or hint == "body")) for hint, text in _runs(blocks)
    ]

    has_findings = False
    has_strong_impression = False
    for hint, _text, events in scanned:
        if hint == "findings":
            has_findings = True
        elif hint == "impression":
            has_strong_impression = True
        for _cut, _resume, _type, kind, strong, _label in events:
            if kind in ("findings", "combined"):
                has_findings = True
            elif kind == "impression" and strong:
                has_strong_impression = True

    pieces: dict[str, list[str]] = {}
    headers: list[str] = []
    current: Kind | None = None  # None: under no header
    impression_started = False
    trailing_addendum = False
    cut_pending = False  # a header-started short section that may end after its first paragraph
    cut_at_sentence = False  # ... or, started by an inline header, after its first sentence
    suppress_until: tuple[int, int] | None = None  # a preliminary read runs to this FINAL banner

    def add(kind: Kind | None, piece: str) -> None:
        if kind is not None:
            name = _TARGET[kind]
        else:
            name = "other" if has_findings or impression_started else "findings"
        pieces.setdefault(name, []).append(piece)

    for run, (hint, text, events) in enumerate(scanned):
        if hint == "body":  # the report body starts here, whatever coded values came before it
            current = None
            cut_pending = False
            impression_started = False
            trailing_addendum = False
        elif hint is not None:
            current = hint
            cut_pending = False
            if hint == "impression":
                impression_started = True
            trailing_addendum = hint == "addendum" and impression_started
        pos = 0
        for index, (cut, resume, event_type, kind, strong, label) in enumerate(
            [*events, (len(text), len(text), END, None, True, "")]
        ):
            if event_type <= INLINE and (  # HEADER or INLINE
                (suppress_until is not None and suppress_until != (run, index))
                or (trailing_addendum and kind in _MAIN_KINDS)
                or (kind == "impression" and not strong and has_strong_impression)
            ):
                continue  # not a header here: its text stays with the text around it
            if event_type in (LINE, FINAL) and suppress_until not in (None, (run, index)):
                continue  # a banner or trailer inside a preliminary read: part of it
            # The text since the previous event belongs to the current section.
            if cut_pending and (first := _NON_BLANK.search(text, pos, cut)) is not None:
                cut_pending = False
                if cut_at_sentence:
                    stop = _SENTENCE_END.search(text, first.start(), cut)
                    split_at = None if stop is None else stop.end()
                else:
                    split_at = _section_end(text, first.start(), cut)
                if split_at is not None:
                    add(current, text[pos:split_at])
                    current = None
                    pos = split_at
            if cut > pos:  # add(current, text[pos:cut]), inline: this is most of the text
                name = (
                    _TARGET[current]
                    if current is not None
                    else "other"
                    if has_findings or impression_started
                    else "findings"
                )
                if name in pieces:
                    pieces[name].append(text[pos:cut])
                else:
                    pieces[name] = [text[pos:cut]]
            pos = resume
            if event_type <= INLINE and kind is not None:
                if kind == "prelim":
                    final = _find_final(scanned, run, index)
                    if final is not None:
                        suppress_until = final
                    elif text[resume : resume + 1] in ("\n", ""):  # a bare "PRELIMINARY REPORT" line
                        add("other", text[cut:resume])
                        current = None
                        cut_pending = False
                        continue
                headers.append(label)
                current = kind
                if kind in ("impression", "combined"):
                    impression_started = True
                    trailing_addendum = False
                elif kind == "addendum" and impression_started:
                    trailing_addendum = True
                cut_pending = not has_findings and kind in _SHORT_KINDS and not trailing_addendum
                cut_at_sentence = event_type == INLINE
            elif event_type in (LINE, FINAL):
                suppress_until = None
                add("other", text[cut:resume])
                current = None
                cut_pending = False

    sections = Sections(*[_normalise(pieces[name]) if name in pieces else None for name in SECTION_NAMES])
    return sections, headers


def split_sections(blocks: Sequence[TextBlock]) -> Sections:
    """The sections of a report given as text blocks with optional OBX-3 section hints. Never raises."""
    return _split(blocks)[0]


def split_text(text: str) -> Sections:
    """The sections of a report given as one text: ``split_sections([TextBlock(text)])``."""
    return _split([TextBlock(text)])[0]
