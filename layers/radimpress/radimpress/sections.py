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

Speed: this runs on the hot path (HL7 parse + split at >= 10,000 reports/s), so there are no per-character
Python loops. Line-start forms are found by one precompiled pattern that begins with a literal ``\\n`` and
mid-line headers by one that begins with a literal ``:`` run over the reversed text, so the regex engine
skips to candidates in C; labels, trailers and banners are prefix tries whose first character is a
literal (measured here: a flat case-insensitive alternation of the same 190 label phrases costs about
20x as much per line).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

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
    (
        ["AMENDED REPORT", "AMENDMENT", "ADDENDUM BEGINS", "BEGIN ADDENDUM", "START OF ADDENDUM"],
        "addendum",
        True,
        "",
    ),
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

# Trailer and administrative lines, recognised by how they start: (phrases, suffix regex).
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
    (
        _x("END OF ", "REPORT|IMPRESSION|ADDENDUM|TRANSCRIPTION|DOCUMENT") + _x("ADDENDUM ENDS|END ADDENDUM"),
        r"\b",
    ),
    # The administrative lines of a report's banner, kept whole in `other` like a signature, so that with
    # no findings header a patient block never becomes the findings (and never reaches a prompt).
    (
        _x(
            "PATIENT|PATIENT NAME|NAME|MRN|MEDICAL RECORD NUMBER|MEDICAL RECORD #|DOB|DATE OF BIRTH"
            "|ACCESSION|ACCESSION NUMBER|ACCESSION #|VISIT NUMBER|ENCOUNTER|ORDER NUMBER"
            "|ORDERED BY|REFERRED BY|DATE OF SERVICE|DATE OF EXAM|DATE OF STUDY|EXAM DATE|STUDY DATE",
            "~:",
        )
        + _x("ORDERING |REFERRING |ATTENDING ", "PHYSICIAN~:|PROVIDER~:|DOCTOR~:|CLINICIAN~:"),
        "",
    ),
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
    another (so the regex prefers "FINDINGS AND IMPRESSION" to "FINDINGS", and backtracks to the shorter
    one when the longer does not fit). At the top the first character is a plain literal, one branch per
    case: the engine skips a branch that starts with a non-matching literal without entering it."""
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
_END: Final = 4  # the end of a run


@dataclass(frozen=True, slots=True)
class SplitResult:
    """The sections and, in order, the header labels that were recognised and removed from the text."""

    sections: Sections
    headers: tuple[str, ...]


# An event in a run of text: (cut, resume, type, kind, strong, label). The text before the event ends at
# `cut`, the text after it starts at `resume`; kind, strong and label are set for headers. A plain tuple:
# events are made on the hot path, and a NamedTuple costs ten times as much to build.
_Event = tuple[int, int, int, _Kind | None, bool, str]
_LABEL_CACHE: dict[str, tuple[_Kind, bool]] = {}
_LABEL_CACHE_SIZE: Final = 4096


def _classify(label: str) -> tuple[_Kind, bool]:
    """The kind and strength of a label matched by one of the label tries."""
    info = _LABEL_CACHE.get(label)
    if info is None:
        info = _LABEL_INFO.get(_label_key(label), ("other", True))  # the default is unreachable
        if len(_LABEL_CACHE) < _LABEL_CACHE_SIZE:
            _LABEL_CACHE[label] = info
    return info


def _scan(text: str) -> list[_Event]:
    """The headers, trailers, banners and rule lines of ``text`` (which starts with ``\\n``), in order."""
    events: list[_Event] = []
    for match in _LINE_SCAN.finditer(text):
        rule, _deco, deco_text, trailer, banner, label, colon, dash, eol, gap, next_word = match.groups()
        if label is not None:
            if colon is not None:
                pass  # "findings:" is a header in any case
            elif dash is not None or eol is not None:
                if not label[0].isupper():
                    continue
            elif not (label.isupper() and ("\t" in gap or len(gap) > 1 or not next_word.isupper())):
                continue  # "Findings are stable", "HISTORY OF TOBACCO USE": prose
            kind, strong = _classify(label)
            events.append((match.start("label"), match.end(), _HEADER, kind, strong, label))
        elif rule is not None:
            events.append((match.start("rule"), match.end(), _RULE, None, True, ""))
        elif trailer is not None:
            events.append((match.start("trailer"), match.end(), _LINE, None, True, ""))
        elif banner is not None:
            final = "FINAL" in banner.upper()
            events.append((match.start("banner"), match.end(), _FINAL if final else _LINE, None, True, ""))
        else:  # a decorated line: a header between the decoration, or a banner
            start = match.start("deco")
            header = _DECO_LABEL.fullmatch(deco_text)
            if header is not None:
                label = header.group("label")
                kind, strong = _classify(label)
                events.append((start, match.end(), _HEADER, kind, strong, label))
            else:
                final = "FINAL" in deco_text.upper()
                events.append((start, match.end(), _FINAL if final else _LINE, None, True, ""))
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
        events.append((start, size - match.start(), _HEADER, kind, strong, label))
    events.reverse()
    return events


def _merge(line_events: list[_Event], mid_events: list[_Event]) -> list[_Event]:
    """Both event lists in text order; a mid-line header inside a trailer or banner line is dropped."""
    merged: list[_Event] = []
    end = -1
    for event in sorted(line_events + mid_events, key=_event_cut):
        if event[0] < end:
            continue
        merged.append(event)
        end = event[1]
    return merged


def _event_cut(event: _Event) -> int:
    return event[0]


def _normalise(pieces: list[str] | None) -> str | None:
    """A section's pieces as one text: lines stripped, blank lines removed, ``None`` when empty."""
    if not pieces:
        return None
    return "\n".join(filter(None, map(str.strip, "\n".join(pieces).split("\n")))) or None


def _runs(blocks: Sequence[TextBlock]) -> list[tuple[SectionName | None, str]]:
    """Consecutive blocks with the same hint joined into one run of text, with ``\\n`` in front."""
    if len(blocks) == 1:  # the common case: a text report, or an HL7 report in one OBX or one code
        block = blocks[0]
        text = "\n" + block.text
        return [(block.hint, text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text)]
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
            if events[candidate][2] == _FINAL:
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
        for _cut, _resume, _type, kind, strong, _label in events:
            if kind in ("findings", "combined"):
                has_findings = True
            elif kind == "impression" and strong:
                has_strong_impression = True

    pieces: dict[str, list[str]] = {}
    headers: list[str] = []
    current: _Kind | None = None  # None: under no header
    impression_started = False
    trailing_addendum = False
    cut_pending = False  # a header-started short section that may end after its first paragraph
    suppress_until: tuple[int, int] | None = None  # a preliminary read runs to this FINAL banner

    def add(kind: _Kind | None, piece: str) -> None:
        if kind is not None:
            name = _TARGET[kind]
        else:
            name = "other" if has_findings or impression_started else "findings"
        pieces.setdefault(name, []).append(piece)

    for run, (hint, text, events) in enumerate(scanned):
        if hint is not None:
            current = hint
            cut_pending = False
            if hint == "impression":
                impression_started = True
            trailing_addendum = hint == "addendum" and impression_started
        pos = 0
        for index, (cut, resume, event_type, kind, strong, label) in enumerate(
            [*events, (len(text), len(text), _END, None, True, "")]
        ):
            if event_type == _HEADER and (
                (suppress_until is not None and suppress_until != (run, index))
                or (trailing_addendum and kind in _MAIN_KINDS)
                or (kind == "impression" and not strong and has_strong_impression)
            ):
                continue  # not a header here: its text stays with the text around it
            if event_type in (_LINE, _FINAL) and suppress_until not in (None, (run, index)):
                continue  # a banner or trailer inside a preliminary read: part of it
            # The text since the previous event belongs to the current section.
            if cut_pending and (first := _NON_BLANK.search(text, pos, cut)) is not None:
                cut_pending = False
                split_at = _section_end(text, first.start(), cut)
                if split_at is not None:
                    add(current, text[pos:split_at])
                    current = None
                    pos = split_at
            if cut > pos:
                add(current, text[pos:cut])
            pos = resume
            if event_type == _HEADER and kind is not None:
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
            elif event_type in (_LINE, _FINAL):
                suppress_until = None
                add("other", text[cut:resume])
                current = None
                cut_pending = False

    sections = Sections(
        indication=_normalise(pieces.get("indication")),
        comparison=_normalise(pieces.get("comparison")),
        technique=_normalise(pieces.get("technique")),
        findings=_normalise(pieces.get("findings")),
        impression=_normalise(pieces.get("impression")),
        addendum=_normalise(pieces.get("addendum")),
        other=_normalise(pieces.get("other")),
    )
    return SplitResult(sections, tuple(headers))


def split_sections(blocks: Sequence[TextBlock]) -> Sections:
    """The sections of a report given as text blocks with optional OBX-3 section hints. Never raises."""
    return split_detailed(blocks).sections


def split_text(text: str) -> Sections:
    """The sections of a report given as one text: ``split_sections([TextBlock(text)])``."""
    return split_detailed([TextBlock(text)]).sections
