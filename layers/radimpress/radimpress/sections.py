"""Split radiology report text into sections: indication, comparison, technique, findings, impression,
addendum and ``other``.

The input is a sequence of :class:`TextBlock`. Consecutive blocks with the same ``hint`` (the section the
sender coded in OBX-3) form one run: a hinted run starts in its hinted section, an unhinted run continues
whatever section the text before it was in. Text headers inside every run still split it.

Header rules
------------
A *label* is one of the known section names (``_LABELS``), matched in any case, with any blanks between
its words. A label is a header only in one of these positions and forms:

* at the start of a line (after optional indentation):

  - followed by a colon, in any case: ``findings: The lungs...``, ``Impression:``;
  - alone on its line (optionally ending in ``.``), in Title Case or ALL CAPS: ``IMPRESSION``;
  - followed by a dash and text, Title Case or ALL CAPS: ``FINDINGS - The lungs...``;
  - ALL CAPS followed by text on the same line with no colon, when the next word is not ALL CAPS itself
    or is set off by two or more blanks or a tab: ``IMPRESSION No acute disease``,
    ``HISTORY 45 year old`` (but ``HISTORY OF TOBACCO USE`` is text);
  - alone between decoration: ``***** ADDENDUM *****``;

* in the middle of a line, after sentence punctuation (``.;!?``) and blanks, a *strong* label in Title
  Case or ALL CAPS followed by a colon: ``...no effusion. IMPRESSION: Normal.`` (flattened reports).

Prose that merely starts with a label word (``Impression of the fissure``, ``Findings are stable``,
``Comparison is made with...``) is therefore never a header, and organ sub-headers (``LUNGS:``,
``HEART:``, ``PLEURA:``, ``BONES:``, ``MEDIASTINUM:``, ``SOFT TISSUES:``...) are not labels at all: they
stay inside the findings.

*Weak* labels (``SUMMARY``, ``OPINION``, ``DIAGNOSIS``, ``ASSESSMENT`` for the impression; ``PRIOR`` for
the comparison; ``EXAM``, ``EXAMINATION``, ``PROCEDURE``, ``VIEWS``, ``PROTOCOL`` for the technique;
``REPORT`` for the findings) are headers only at the start of a line, and the weak impression labels only
when the report has no ``IMPRESSION``/``CONCLUSION`` header or impression hint (otherwise ``Diagnosis: R05
cough`` inside a clinical history would become the impression).

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
  (``D: 03/04/2024 10:15``), ``END OF REPORT``, job numbers. Banner lines (``*** FINAL REPORT ***``,
  ``RADIOLOGY REPORT``, ``CONFIDENTIAL``) do the same. Lines made only of rule characters (``-----``,
  ``_____``, ``=====``) are layout and are dropped.
* Addenda: an ``ADDENDUM`` before the impression (a leading addendum) ends at the next header. An
  ``ADDENDUM`` after the impression has started runs to the end of the text, keeping later main headers
  verbatim inside it (an addendum's "IMPRESSION:" is not the report's impression); trailers, banners,
  further ``ADDENDUM`` headers and ``other`` headers still split it.
* A preliminary read followed later by a ``FINAL REPORT`` banner: everything from the preliminary header
  to the banner goes to ``other`` verbatim, whatever headers it contains.
* Text under no header: when the report has a findings header (or a findings-hinted block) it goes to
  ``other``. When it has none, the body is the findings: unheaded text before the impression is the
  findings, and an indication, comparison, technique, ``other`` section or leading addendum started by a
  header keeps only its first paragraph (up to a blank line, or a line ending in ``.``, ``!`` or ``?``
  followed by a line starting with a capital letter); the rest is findings. Unheaded text after the
  impression goes to ``other``.
* Nothing else is dropped: only the recognised header labels (see :attr:`SplitResult.headers`), the colon
  or dash after them, decoration, rule lines and whitespace. Every word of the input is in one section.

Whitespace: every line is stripped, blank lines are removed and the lines of a section are joined by one
``\\n`` (``\\r\\n`` and ``\\r`` count as line breaks); blanks inside a line are kept. An empty section is
``None``.

Speed: this runs on the hot path (HL7 parse + split at >= 10,000 reports/s), so there are no per-character
Python loops. Line-start forms are found by one precompiled pattern that begins with a literal ``\\n`` and
mid-line headers by one that begins with a literal ``:`` run over the reversed text, so the regex engine
skips to candidates in C; labels, trailers and banners are prefix tries whose first character is a
literal (measured here: a flat alternation of the same phrases is about 5x slower per line).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from radimpress.model import SectionName, Sections, TextBlock

__all__ = ["SplitResult", "split_detailed", "split_sections", "split_text"]

_Kind = Literal[
    "indication",
    "comparison",
    "technique",
    "findings",
    "impression",
    "addendum",
    "other",
    "combined",  # FINDINGS AND IMPRESSION: text to findings; counts as the impression having started
    "prelim",  # WET READ / PRELIMINARY REPORT: text to other
]


def _x(*parts: str) -> list[str]:
    """Every phrase made of one choice from each ``|``-separated part: ``_x("A|B", " C")`` = A C, B C.

    In a phrase a space stands for one or more blanks and ``~`` for optional blanks; letters match in any
    case; every other character matches itself.
    """
    return ["".join(choice) for choice in itertools.product(*(part.split("|") for part in parts))]


_NUMBER = r"(?:[ \t]*+#?[ \t]*+[0-9]++)?"  # ADDENDUM #2
_VERSION = r"(?:[ \t]++[Vv][Ee][Rr][Ss][Ii][Oo][Nn][ \t]*+#?[ \t]*+[0-9]++)?"  # WET READ VERSION #1

# (phrases, kind, strong, suffix regex after the phrase)
_LABELS: Final[tuple[tuple[list[str], _Kind, bool, str], ...]] = (
    (
        _x(
            "FINDING|FINDINGS",
            " AND |~&~|~/~",
            "IMPRESSION|IMPRESSIONS|CONCLUSION|CONCLUSIONS|INTERPRETATION",
        )
        + _x("IMPRESSION|IMPRESSIONS|CONCLUSION|CONCLUSIONS", " AND |~&~|~/~", "FINDING|FINDINGS"),
        "combined",
        True,
        "",
    ),
    (
        _x("CLINICAL ", "HISTORY|INFORMATION|INDICATION|INDICATIONS|DATA|DETAILS|NOTE|NOTES")
        + _x("REASON FOR ", "EXAM|EXAMINATION|STUDY|REFERRAL|REQUEST|IMAGING")
        + _x("RELEVANT|PERTINENT", " HISTORY| CLINICAL HISTORY")
        + _x("INDICATION|INDICATIONS", "| FOR EXAM| FOR EXAMINATION| FOR STUDY")
        + ["HISTORY"],
        "indication",
        True,
        "",
    ),
    (
        _x("COMPARISON|COMPARISONS", "| STUDY| STUDIES| EXAM| EXAMS| EXAMINATION| EXAMINATIONS"),
        "comparison",
        True,
        "",
    ),
    (
        _x("PRIOR|PRIORS", "| STUDY| STUDIES| EXAM| EXAMS| EXAMINATION| EXAMINATIONS| IMAGING"),
        "comparison",
        False,
        "",
    ),
    (["TECHNIQUE"], "technique", True, ""),
    (_x("PROCEDURE|PROCEDURES|EXAM|EXAMINATION|VIEWS|PROTOCOL"), "technique", False, ""),
    (["FINDINGS", "FINDING"], "findings", True, ""),
    (["REPORT"], "findings", False, ""),
    (
        [*_x("FINAL |OVERALL |DIAGNOSTIC |", "IMPRESSION|IMPRESSIONS"), "CONCLUSION", "CONCLUSIONS"],
        "impression",
        True,
        "",
    ),
    (_x("SUMMARY|OPINION|DIAGNOSIS|DIAGNOSES|ASSESSMENT"), "impression", False, ""),
    (["ADDENDUM", "ADDENDA"], "addendum", True, _NUMBER),
    (["AMENDED REPORT", "AMENDMENT"], "addendum", True, ""),
    (
        _x("TECH|TECHS|TECH'S|TECHNOLOGIST|TECHNOLOGISTS|TECHNOLOGIST'S", " ", "COMMENT|COMMENTS|NOTE|NOTES")
        + _x("RECOMMENDATION|RECOMMENDATIONS|FOLLOW-UP|FOLLOW UP|FOLLOWUP|NOTIFICATION|COMMUNICATION")
        + _x("CRITICAL ", "RESULT|RESULTS", "| NOTIFICATION"),
        "other",
        True,
        "",
    ),
    (["WET READ"], "prelim", True, _VERSION),
    (
        _x("PRELIM|PRELIMINARY", "| REPORT| READ| INTERPRETATION| FINDINGS| RESULT| RESULTS"),
        "prelim",
        True,
        "",
    ),
)

# Trailer lines, recognised by how they start: (phrases, suffix regex).
_TRAILERS: Final[tuple[tuple[list[str], str], ...]] = (
    (_x("ELECTRONICALLY ", "SIGNED|VERIFIED|APPROVED|AUTHENTICATED|REVIEWED"), ""),
    (_x("E-SIGNED|ESIGNED|DIGITALLY SIGNED"), ""),
    (_x("SIGNED ", "ELECTRONICALLY|OFF|BY|ON|AT"), r"\b"),
    (_x("SIGNED|SIGNATURE", "~:|~("), ""),
    (_x("DICTATED|TRANSCRIBED|VERIFIED|APPROVED|FINALIZED|FINALISED|RELEASED", " BY| ON| AT"), r"\b"),
    (_x("DICTATED|TRANSCRIBED|VERIFIED|APPROVED|FINALIZED|FINALISED|RELEASED", "~:| "), r"(?=[ \t]*+[0-9])"),
    (_x("DICTATED|TRANSCRIBED|FINALIZED|FINALISED", "~:"), ""),
    (_x("READ|INTERPRETED|REVIEWED|AUTHENTICATED", " BY"), r"\b"),
    (["REPORTED BY~:"], ""),
    (_x("REVIEWED AND ", "|ELECTRONICALLY ", "SIGNED|APPROVED|FINALIZED|FINALISED"), ""),
    (
        _x(
            "DICTATING|ATTENDING|STAFF|READING|INTERPRETING|SIGNING|RESIDENT|CONSULTANT",
            " RADIOLOGIST~:| PHYSICIAN~:",
        ),
        "",
    ),
    (_x("RADIOLOGIST|TRANSCRIPTIONIST", "~:"), ""),
    (
        _x("I HAVE ", "|PERSONALLY ", "REVIEWED|EXAMINED|VIEWED") + _x("I PERSONALLY ", "REVIEWED|VIEWED"),
        r"\b",
    ),
    (_x("I, DR|I AGREE WITH|I CONCUR WITH|ATTESTATION|TEACHING PHYSICIAN ATTESTATION"), r"\b"),
    (_x("I, THE ", "ATTENDING|UNDERSIGNED"), ""),
    (_x("D|T|DD|DT|TD|TT|DS", "~:~"), r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}"),
    (
        _x(
            "DATE",
            "|~/~TIME",
            " ",
            "SIGNED|DICTATED|TRANSCRIBED|VERIFIED|FINALIZED|FINALISED|OF DICTATION|OF TRANSCRIPTION",
        ),
        "",
    ),
    (_x("JOB", "~#| NO| NUMBER| ID"), r"(?![A-Za-z])"),
    (["WORKSTATION~:"], ""),
    (_x("END OF ", "REPORT|IMPRESSION|ADDENDUM|TRANSCRIPTION|DOCUMENT"), r"\b"),
)
# Banner lines: a title or status line on its own.
_BANNERS: Final[tuple[tuple[list[str], str], ...]] = (
    (
        [
            *_x("FINAL|CORRECTED|REVISED|UPDATED|CONFIDENTIAL|RADIOLOGY|IMAGING|X-RAY|XRAY", " REPORT"),
            "DIAGNOSTIC IMAGING REPORT",
            "CONFIDENTIAL",
            *_x("REPORT STATUS", "~:~|~", "FINAL|PRELIMINARY|CORRECTED|AMENDED"),
        ],
        "",
    ),
)


def _atom(char: str) -> str:
    if char == " ":
        return r"[ \t]++"
    if char == "~":
        return r"[ \t]*+"
    if char.isalpha():
        return f"[{char.upper()}{char.lower()}]"
    return re.escape(char)


def _trie(entries: Iterable[tuple[str, str]], *, top: bool = True) -> str:
    """One regex for many phrases, factored by common prefix, longer phrases first where one continues
    another. At the top the first character is a plain literal (one branch per case): the engine skips
    a branch that starts with a non-matching literal without entering it."""
    children: dict[str, list[tuple[str, str]]] = {}
    ends: list[str] = []
    for phrase, suffix in entries:
        if phrase:
            children.setdefault(phrase[0].upper(), []).append((phrase[1:], suffix))
        elif suffix not in ends:
            ends.append(suffix)
    alternatives: list[str] = []
    for char, rest in children.items():
        sub = _trie(rest, top=False)
        if top and char.isalpha():
            alternatives += [re.escape(char) + sub, re.escape(char.lower()) + sub]
        else:
            alternatives.append(_atom(char) + sub)
    alternatives += sorted(ends, key=lambda suffix: suffix == "")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _phrase_trie(groups: Iterable[tuple[list[str], str]], *, reverse: bool = False) -> str:
    return _trie(
        (phrase[::-1] if reverse else phrase, suffix) for phrases, suffix in groups for phrase in phrases
    )


def _label_key(label: str) -> str:
    """A matched label as a key of ``_LABEL_INFO``: upper case, no blanks, no number suffix."""
    key = "".join(label.split()).upper()
    if key[-1:].isdigit():
        key = key.rstrip("0123456789").rstrip("#").removesuffix("VERSION")
    return key


_LABEL_INFO: Final[dict[str, tuple[_Kind, bool]]] = {
    _label_key(phrase.replace("~", "")): (kind, strong)
    for phrases, kind, strong, _suffix in _LABELS
    for phrase in phrases
}
_LABEL_RE: Final = _phrase_trie((phrases, suffix) for phrases, _kind, _strong, suffix in _LABELS)
_EOL = r"(?=\n|\Z)"

# Line-start forms, scanned over the text with a "\n" in front so that the first line starts like every
# other. Possessive quantifiers keep the scan linear on adversarial input (long runs of blanks or rule
# characters).
_LINE_SCAN: Final = re.compile(
    "".join(
        (
            r"\n[ \t]*+(?:",
            rf"(?P<rule>[-_=*~#][-_=*~# \t]{{2,}}+{_EOL})",
            rf"|(?P<deco>[*=#~]{{2,}}+(?P<deco_text>[^\n*=#~]*+)[*=#~]{{2,}}+[ \t]*+{_EOL})",
            rf"|(?P<trailer>{_phrase_trie(_TRAILERS)}[^\n]*+)",
            rf"|(?P<banner>{_phrase_trie(_BANNERS)}[ \t]*+[.:]?[ \t]*+{_EOL})",
            rf"|(?P<label>{_LABEL_RE})",
            r"(?:(?P<colon>[ \t]*+:)",
            r"|(?P<dash>[ \t]*+[-\u2013\u2014]++[ \t]++)",
            rf"|(?P<eol>[ \t]*+\.?[ \t]*+{_EOL})",
            r"|(?=(?P<gap>[ \t]++)(?P<nx>\S{1,20})))",
            r")",
        )
    )
)
# Mid-line headers, scanned over the reversed text: ":" <label reversed> <blanks> <sentence mark>.
_MID_SCAN: Final = re.compile(
    r":[ \t]*+(?P<number>[0-9]++[ \t]*+#?[ \t]*+)?(?P<label>"
    + _phrase_trie(((phrases, "") for phrases, _kind, strong, _suffix in _LABELS if strong), reverse=True)
    + r")[ \t]*+[.;!?]"
)
_DECO_LABEL: Final = re.compile(rf"[ \t]*+(?P<label>{_LABEL_RE})[ \t]*+:?[ \t]*+")
# Where a header-started short section may end when the report has no findings header: a blank line,
# or a sentence end at the end of a line followed by a line that starts with a capital letter (a hard
# break only if that line's first word would have fitted on the line before: see `_section_end`).
_PARAGRAPH_END: Final = re.compile(
    r"(?P<blank>\n[ \t]*+\n)|[.!?][\"')\]]*+[ \t]*+(?=\n[ \t]*+(?P<word>[A-Z][^ \t\n]*+))"
)
_NON_BLANK: Final = re.compile(r"\S")

_MAIN_KINDS: Final = frozenset(
    {"indication", "comparison", "technique", "findings", "impression", "combined"}
)
_SHORT_KINDS: Final = frozenset({"indication", "comparison", "technique", "other", "prelim", "addendum"})
_TARGET: Final[dict[_Kind, str]] = {
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

# Event types
_HEADER: Final = 0
_LINE: Final = 1  # trailer or banner line: to `other`, ends the current section
_FINAL: Final = 2  # a FINAL REPORT banner: like _LINE, and ends a preliminary read
_RULE: Final = 3  # a line of rule characters: dropped


@dataclass(frozen=True, slots=True)
class SplitResult:
    """The sections and, in order, the header labels that were recognised and removed from the text."""

    sections: Sections
    headers: tuple[str, ...]


class _Event(NamedTuple):
    cut: int  # the text before the event ends here
    resume: int  # the text after the event starts here
    type: int
    kind: _Kind | None = None
    strong: bool = True
    label: str = ""


def _classify(label: str) -> tuple[_Kind, bool]:
    """The kind and strength of a label matched by one of the label tries."""
    return _LABEL_INFO.get(_label_key(label), ("other", True))  # the default is unreachable


def _line_header(match: re.Match[str]) -> _Event | None:
    """The header a line-start label match stands for, or ``None`` when the line is prose."""
    label = match.group("label")
    if match.group("colon") is not None:
        ok = True
    elif match.group("dash") is not None or match.group("eol") is not None:
        ok = label[0].isupper()
    else:  # text follows on the same line, no colon
        gap = match.group("gap")
        ok = label.isupper() and ("\t" in gap or len(gap) > 1 or not match.group("nx").isupper())
    if not ok:
        return None
    kind, strong = _classify(label)
    return _Event(match.start("label"), match.end(), _HEADER, kind, strong, label)


def _scan(text: str) -> list[_Event]:
    """The headers, trailers, banners and rule lines of ``text`` (which starts with ``\\n``), in order."""
    events: list[_Event] = []
    pos = 0
    search = _LINE_SCAN.search
    while (match := search(text, pos)) is not None:
        group = match.lastgroup
        event: _Event | None
        if match.group("label") is not None:
            event = _line_header(match)
            if event is None:
                pos = match.start() + 1
                continue
        elif group == "rule":
            event = _Event(match.start("rule"), match.end(), _RULE)
        elif group == "trailer":
            event = _Event(match.start("trailer"), match.end(), _LINE)
        elif group == "banner":
            banner = match.group("banner")
            event = _Event(match.start("banner"), match.end(), _FINAL if "FINAL" in banner.upper() else _LINE)
        else:  # a decorated line: a header between the decoration, or a banner
            start = match.start("deco")
            deco_text = match.group("deco_text")
            deco = _DECO_LABEL.fullmatch(deco_text)
            if deco is not None:
                label = deco.group("label")
                kind, strong = _classify(label)
                event = _Event(start, match.end(), _HEADER, kind, strong, label)
            else:
                event = _Event(start, match.end(), _FINAL if "FINAL" in deco_text.upper() else _LINE)
        events.append(event)
        pos = match.end()
    if ":" in text:
        mid = _mid_headers(text)
        if mid:
            events = _merge(events, mid)
    return events


def _mid_headers(text: str) -> list[_Event]:
    """Headers in the middle of a line: ``... sentence. IMPRESSION: text``."""
    size = len(text)
    events: list[_Event] = []
    for match in _MID_SCAN.finditer(text[::-1]):
        start = size - match.end("label")
        label = text[start : size - match.start("label")]
        if not label[0].isupper():
            continue
        kind, strong = _classify(label)
        if match.group("number") is not None:
            if kind != "addendum":
                continue  # "Findings 2:" is not a header
            label = text[start : size - match.start("number")]
        events.append(_Event(start, size - match.start(), _HEADER, kind, strong, label))
    events.reverse()
    return events


def _event_cut(event: _Event) -> int:
    return event.cut


def _merge(line_events: list[_Event], mid_events: list[_Event]) -> list[_Event]:
    """Both event lists in text order; a mid-line header inside a trailer or banner line is dropped."""
    merged: list[_Event] = []
    end = -1
    for event in sorted(line_events + mid_events, key=_event_cut):
        if event.cut < end:
            continue
        merged.append(event)
        end = event.resume
    return merged


class _Collector:
    """Pieces of text per target section; pieces that are contiguous in one run merge into one."""

    __slots__ = ("last_end", "last_target", "pieces", "text")

    def __init__(self) -> None:
        self.pieces: dict[str, list[str]] = {}
        self.last_target = ""
        self.last_end = -1
        self.text = ""

    def new_run(self, text: str) -> None:
        self.text = text
        self.last_end = -1

    def add(self, target: str, start: int, end: int) -> None:
        if start >= end:
            return
        pieces = self.pieces.setdefault(target, [])
        if target == self.last_target and start == self.last_end and pieces:
            pieces[-1] += self.text[start:end]
        else:
            pieces.append(self.text[start:end])
        self.last_target = target
        self.last_end = end

    def section(self, target: str) -> str | None:
        pieces = self.pieces.get(target)
        if not pieces:
            return None
        text = "\n".join(pieces)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(filter(None, map(str.strip, text.split("\n")))) or None


def _runs(blocks: Sequence[TextBlock]) -> list[tuple[SectionName | None, str]]:
    """Consecutive blocks with the same hint joined into one run of text, with ``\\n`` in front."""
    runs: list[tuple[SectionName | None, list[str]]] = []
    for block in blocks:
        if runs and runs[-1][0] == block.hint:
            runs[-1][1].append(block.text)
        else:
            runs.append((block.hint, [block.text]))
    out: list[tuple[SectionName | None, str]] = []
    for hint, texts in runs:
        text = "\n" + "\n".join(texts)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        out.append((hint, text))
    return out


def _find_final(
    scanned: list[tuple[SectionName | None, str, list[_Event]]], run: int, index: int
) -> tuple[int, int] | None:
    """The position (run, event) of the first FINAL REPORT banner after the given event, if any."""
    start = index + 1
    for position in range(run, len(scanned)):
        events = scanned[position][2]
        for candidate in range(start, len(events)):
            if events[candidate].type == _FINAL:
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
    scanned = [(hint, text, _scan(text)) for hint, text in _runs(blocks)]

    has_findings = False
    has_strong_impression = False
    for hint, _text, events in scanned:
        if hint == "findings":
            has_findings = True
        elif hint == "impression":
            has_strong_impression = True
        for event in events:
            if event.kind in ("findings", "combined"):
                has_findings = True
            elif event.kind == "impression" and event.strong:
                has_strong_impression = True

    out = _Collector()
    headers: list[str] = []
    current: _Kind | None = None
    impression_started = False
    trailing_addendum = False
    cut_pending = False  # a header-started short section that may end after its first paragraph
    suppress_until: tuple[int, int] | None = None  # a preliminary read runs to this FINAL banner

    def target(kind: _Kind | None) -> str:
        if kind is not None:
            return _TARGET[kind]
        return "other" if has_findings or impression_started else "findings"

    def emit(text: str, start: int, end: int) -> None:
        nonlocal current, cut_pending
        if cut_pending:
            first = _NON_BLANK.search(text, start, end)
            if first is None:
                return
            cut_pending = False
            split_at = _section_end(text, first.start(), end)
            if split_at is not None:
                out.add(target(current), start, split_at)
                current = None
                start = split_at
        out.add(target(current), start, end)

    for run, (hint, text, events) in enumerate(scanned):
        out.new_run(text)
        if hint is not None:
            current = hint
            cut_pending = False
            if hint == "impression":
                impression_started = True
            trailing_addendum = hint == "addendum" and impression_started
        pos = 0
        for index, event in enumerate(events):
            emit(text, pos, event.cut)
            pos = event.resume
            if suppress_until is not None:
                if suppress_until == (run, index):
                    suppress_until = None
                    out.add("other", event.cut, event.resume)
                    current = None
                elif event.type != _RULE:
                    out.add(target(current), event.cut, event.resume)
                continue
            if event.type == _RULE:
                continue
            if event.type != _HEADER:
                out.add("other", event.cut, event.resume)
                current = None
                cut_pending = False
                continue
            kind = event.kind
            if kind is None:  # pragma: no cover - every header event has a kind
                continue
            if (trailing_addendum and kind in _MAIN_KINDS) or (
                kind == "impression" and not event.strong and has_strong_impression
            ):
                out.add(target(current), event.cut, event.resume)  # not a header here: keep it verbatim
                continue
            if kind == "prelim":
                final = _find_final(scanned, run, index)
                if final is not None:
                    suppress_until = final
                elif text[event.resume : event.resume + 1] in ("\n", ""):
                    out.add("other", event.cut, event.resume)  # a bare "PRELIMINARY REPORT" line: a banner
                    current = None
                    cut_pending = False
                    continue
            headers.append(event.label)
            current = kind
            if kind in ("impression", "combined"):
                impression_started = True
                trailing_addendum = False
            elif kind == "addendum" and impression_started:
                trailing_addendum = True
            cut_pending = not has_findings and kind in _SHORT_KINDS and not trailing_addendum
        emit(text, pos, len(text))

    sections = Sections(
        indication=out.section("indication"),
        comparison=out.section("comparison"),
        technique=out.section("technique"),
        findings=out.section("findings"),
        impression=out.section("impression"),
        addendum=out.section("addendum"),
        other=out.section("other"),
    )
    return SplitResult(sections, tuple(headers))


def split_sections(blocks: Sequence[TextBlock]) -> Sections:
    """The sections of a report given as text blocks with optional OBX-3 section hints. Never raises."""
    return split_detailed(blocks).sections


def split_text(text: str) -> Sections:
    """The sections of a report given as one text: ``split_sections([TextBlock(text)])``."""
    return split_detailed([TextBlock(text)]).sections
