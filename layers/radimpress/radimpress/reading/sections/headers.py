"""Header detection: where the headers, trailer and banner lines and rule lines of a report's text are.

The phrases of :mod:`radimpress.reading.sections.vocabulary` are compiled here, at import, into lookup
tables and one line-start scan pattern; :func:`scan` turns one run of text into its events, in order, for
:mod:`radimpress.reading.sections.split` to cut the sections at.

Header rules
------------
A *label* is one of the known section names (``LABELS``), matched in any case, with any blanks between
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
  Case or ALL CAPS followed by a colon: ``...no effusion. IMPRESSION: Normal.`` (flattened reports);

* without a colon inside running text, when the text's findings and impression headers are not both set
  off by a colon or dash: ``History Cough. Findings The heart...``, ``INDICATION chest
  pain FINDINGS The lungs...`` (see :mod:`radimpress.reading.sections.inline` for when such a label word is
  a header and when it is prose).

Prose that merely starts with a label word (``Impression of the fissure``, ``Findings are stable``,
``Comparison is made with...``) is therefore never a header, and organ sub-headers (``LUNGS:``,
``HEART:``, ``PLEURA:``, ``BONES:``, ``MEDIASTINUM:``, ``SOFT TISSUES:``...) are not labels at all: they
stay inside the findings.

*Weak* labels (``SUMMARY``, ``OPINION``, ``DIAGNOSIS``, ``ASSESSMENT`` for the impression; ``PRIOR`` for
the comparison; ``EXAM``, ``EXAMINATION``, ``PROCEDURE``, ``VIEWS``, ``PROTOCOL`` for the technique;
``REPORT`` for the findings) are headers only at the start of a line, and the weak impression labels only
when the report has no ``IMPRESSION``/``CONCLUSION`` header or impression hint (otherwise ``Diagnosis: R05
cough`` inside a clinical history would become the impression).

Speed: this runs on the hot path (HL7 parse + split at >= 10,000 reports/s) and is imported on the ingest
Lambda's cold start, so there are no per-character Python loops and no big patterns (compiling a regex costs
about 10 us per pattern character: tries of every phrase, ~50,000 characters, took half a second to
import). One small pattern that begins with a literal ``\\n`` lets through only the lines whose first word
begins like the first word of a known phrase (two character-set tests, then the first letters), and finds
there the longest label-shaped run of words (at most three) followed by a colon, dash, line end or gap;
mid-line headers are found by a pattern run over the reversed text that starts at each colon (label-shaped
words, then sentence punctuation). The words are then looked up in dicts and sets of the phrase tables,
spelt in a canonical form (upper case, one blank per blank run), longest candidate first, which is the
order a prefix-trie alternation of the phrases would prefer. Per line and per match, Python work is a few
dict lookups; the common header ("FINDINGS:") takes one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Final

from radimpress.reading.sections.inline import inline_headers
from radimpress.reading.sections.vocabulary import BANNERS, LABELS, TRAILERS, Kind, TrailerSuffix

__all__ = ["END", "FINAL", "HEADER", "INLINE", "LINE", "Event", "scan"]


def _label_key(label: str) -> str:
    """A matched label as a key of ``_LABEL_INFO``: upper case, no blanks, no number suffix."""
    key = "".join(label.split()).upper()
    if key[-1:].isdigit():
        key = key.rstrip("0123456789").rstrip("#").removesuffix("VERSION")
    return key


_LABEL_INFO: Final[dict[str, tuple[Kind, bool]]] = {
    _label_key(phrase.replace("~", "")): (kind, strong)
    for phrases, kind, strong, _suffix in LABELS
    for phrase in phrases
}

_BLANKS: Final = re.compile(r"[ \t]++")
_WORD: Final = re.compile(r"[A-Za-z]++")
_ASCII_UPPER: Final = {code: code - 32 for code in range(ord("a"), ord("z") + 1)}


def _first_word(phrase: str) -> str:
    word = _WORD.match(phrase)
    assert word is not None, phrase  # every phrase starts with a letter
    return word.group().upper()


def _label_form(label: str) -> str:
    """An ASCII label as the label tables spell it: upper case, each blank run as one blank, no blanks
    around ``&`` and ``/``. Two labels have the same form exactly when their phrase matches both."""
    key = label.upper()
    if "\t" in key or "  " in key:
        key = _BLANKS.sub(" ", key)
    if "&" in key or "/" in key:
        key = key.replace(" &", "&").replace("& ", "&").replace(" /", "/").replace("/ ", "/")
    return key


def _spellings(phrase: str) -> list[str]:
    """A trailer or banner phrase spelt as each text it matches is spelt for the tables (see `_line_type`):
    each ``~`` as no blank or one blank."""
    parts = phrase.split("~")
    return [
        "".join(part + blank for part, blank in zip(parts, (*blanks, ""), strict=True))
        for blanks in itertools.product(("", " "), repeat=len(parts) - 1)
    ]


# Labels: form -> (kind, strong) (the classification of `_LABEL_INFO`); the forms that may take a number or
# a version suffix; the forms of strong labels, which alone can be headers in the middle of a line.
_LINE_LABELS: Final[dict[str, tuple[Kind, bool]]] = {}
_MID_LABELS: Final[dict[str, tuple[Kind, bool]]] = {}
_NUMBERED: Final[set[str]] = set()
_VERSIONED: Final[set[str]] = set()
for _phrases, _kind, _strong, _suffix in LABELS:
    for _phrase in _phrases:
        _form = _label_form(_phrase.replace("~", ""))
        _LINE_LABELS[_form] = _LABEL_INFO[_label_key(_phrase.replace("~", ""))]
        if _strong:
            _MID_LABELS[_form] = _LINE_LABELS[_form]
        if _suffix == "number":
            _NUMBERED.add(_form)
        elif _suffix == "version":
            _VERSIONED.add(_form)
# The labels that are whole without a suffix, the only ones the scan's first look may take as found.
_PLAIN_LABELS: Final = {
    form: info for form, info in _LINE_LABELS.items() if form not in _NUMBERED | _VERSIONED
}
# A label is at most this many words (runs of letters): "TECHNOLOGIST'S COMMENTS", "FINDINGS AND IMPRESSION".
_LABEL_RUNS: Final = max(len(_WORD.findall(phrase)) for phrases, *_rest in LABELS for phrase in phrases)

# Trailers by first word: the spellings of the phrases that may be followed by anything (one startswith for
# all of them), and the others with what must follow them. A trailer phrase that is one word and may be
# followed by anything ("ESIGNED") matches any line whose first word starts with it.
_trailer_keys: dict[str, list[tuple[str, TrailerSuffix]]] = {}
for _phrases, _trailer_suffix in TRAILERS:
    for _phrase in _phrases:
        _keys = _trailer_keys.setdefault(_first_word(_phrase), [])
        _keys += [(spelling, _trailer_suffix) for spelling in _spellings(_phrase)]
_TRAILER_STARTS: Final[dict[str, tuple[tuple[str, ...], tuple[tuple[str, TrailerSuffix], ...]]]] = {
    _word: (
        tuple(dict.fromkeys(key for key, suffix in _keys if not suffix)),
        tuple(dict.fromkeys((key, suffix) for key, suffix in _keys if suffix)),
    )
    for _word, _keys in _trailer_keys.items()
}
_OPEN_TRAILER_WORDS: Final = tuple(
    phrase for phrases, suffix in TRAILERS if suffix == "" for phrase in phrases if phrase.isalpha()
)
_NO_TRAILERS: Final[tuple[tuple[str, ...], tuple[tuple[str, TrailerSuffix], ...]]] = ((), ())
_BANNER_KEYS: Final = frozenset(spelling for phrase in BANNERS for spelling in _spellings(phrase))
_BANNER_WORDS: Final = frozenset(_first_word(phrase) for phrase in BANNERS)
del _phrases, _kind, _strong, _suffix, _phrase, _form, _trailer_suffix, _keys, _trailer_keys

# What a first word may start (bits): a trailer or banner line, a label, a label with a suffix.
_STARTS_LINE: Final = 1
_STARTS_LABEL: Final = 2
_STARTS_SUFFIXED: Final = 4
_FIRST_WORDS: Final[dict[str, int]] = {}
for _word in _TRAILER_STARTS.keys() | _BANNER_WORDS:
    _FIRST_WORDS[_word] = _STARTS_LINE
for _phrases, *_rest in LABELS:
    for _phrase in _phrases:
        _word = _first_word(_phrase)
        _FIRST_WORDS[_word] = _FIRST_WORDS.get(_word, 0) | _STARTS_LABEL
for _form in _NUMBERED | _VERSIONED:
    _FIRST_WORDS[_first_word(_form)] |= _STARTS_SUFFIXED
del _word, _phrases, _rest, _phrase, _form
# One-word labels whose word starts nothing else ("FINDINGS", not "EXAM" of "EXAM DATE:"): most headers.
# Whether a text's findings (1) and impression (2) headers are set off by punctuation: then it is not
# scanned for colon-less inline headers.
_SET_OFF: Final[dict[Kind | None, int]] = {"findings": 1, "impression": 2, "combined": 3}
_BOTH_SET_OFF: Final = 3
# (kind, strong, the `_SET_OFF` bit when the label is strong and set off)
_ONE_WORD_LABELS: Final = {
    word: (kind, strong, _SET_OFF.get(kind, 0) if strong else 0)
    for word, (kind, strong) in _PLAIN_LABELS.items()
    if _FIRST_WORDS.get(word) == _STARTS_LABEL
}


def _first_words_pattern(words: Iterable[str], prefix: int = 3) -> str:
    """A pattern for a word that starts like one of ``words`` (its first ``prefix`` letters, any case, or
    the whole word when shorter). Each alternative starts with a plain literal, one per case of the first
    letter, so that the engine skips each alternative that cannot match without entering it (a character
    set there costs the engine a call per alternative and line)."""
    by_letter: dict[str, set[str]] = {}
    for word in words:
        short = len(word) < prefix and word not in _OPEN_TRAILER_WORDS
        by_letter.setdefault(word[0], set()).add(word[1:] + "(?![A-Za-z])" if short else word[1:prefix])
    alternatives = [
        f"{case(letter)}(?ai:{'|'.join(sorted(rests))})"
        for case in (str.upper, str.lower)
        for letter, rests in sorted(by_letter.items())
    ]
    return "(?:" + "|".join(alternatives) + ")"


def _first_two_pattern(phrases: Iterable[str]) -> str:
    """A lookahead for the first two characters of a line that starts one of ``phrases``, each from a
    character set (a superset: two plain set tests reject most prose lines before the word alternation)."""
    firsts: set[str] = set()
    seconds: set[str] = set()
    for phrase in phrases:
        assert phrase[:1].isalpha() and len(phrase) > 1, phrase
        firsts |= {phrase[0].upper(), phrase[0].lower()}
        second = phrase[1]
        if second in " ~":  # blanks, or (after "~") none and the character after them
            seconds |= {" ", "\t"} | ({phrase[2]} if second == "~" else set())
        else:
            seconds |= {second.upper(), second.lower()}
    return f"(?=[{''.join(sorted(firsts))}][{''.join(map(re.escape, sorted(seconds)))}])"


_EOL = r"(?=\n|\Z)"
# Label-shaped words: runs of letters joined as in the phrases (blanks, "&" or "/" with optional blanks,
# "'" or "-"). What follows a line-start label (tried in this order, longest label first):
_SEP_WORD: Final = re.compile(r"(?:[ \t]++|[ \t]*+[&/][ \t]*+|['-])[A-Za-z]++")
_CONTINUATION_PATTERN = (
    r"(?:(?P<colon>[ \t]*+:)"
    r"|(?P<dash>[ \t]*+[-\u2013\u2014]++[ \t]++)"
    rf"|(?P<eol>[ \t]*+\.?[ \t]*+{_EOL})"
    r"|(?=(?P<gap>[ \t]++)(?P<nx>\S{1,20})))"
)
_CONTINUATION: Final = re.compile(_CONTINUATION_PATTERN)
_NUMBER_SUFFIX: Final = re.compile(r"[ \t]*+#?[ \t]*+[0-9]++")  # ADDENDUM #2
_VERSION_SUFFIX: Final = re.compile(r"[ \t]++[Vv][Ee][Rr][Ss][Ii][Oo][Nn][ \t]*+#?[ \t]*+[0-9]++")
_DATE: Final = re.compile(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}")

# Line-start forms, scanned over the text with a "\n" in front so that the first line starts like every
# other: a line whose first word may start a phrase (its first two characters, then its first letters; and
# there the longest label-shaped words, up to the longest label, with what follows them), a rule line or a
# decorated line. Possessive quantifiers keep the scan linear on adversarial input (long runs of blanks or
# rule characters).
_LINE_SCAN: Final = re.compile(
    r"\n[ \t]*+(?:"
    + _first_two_pattern(
        [
            *(phrase for phrases, *_rest in LABELS for phrase in phrases),
            *(phrase for phrases, _suffix in TRAILERS for phrase in phrases),
            *BANNERS,
        ]
    )
    + rf"(?P<first>{_first_words_pattern(_FIRST_WORDS)}[A-Za-z]*+)"
    rf"(?:(?P<rest>(?:{_SEP_WORD.pattern}){{0,{_LABEL_RUNS - 1}}}){_CONTINUATION_PATTERN})?"
    rf"|(?P<rule>[-_=*~#][-_=*~# \t]{{2,}}+{_EOL})"
    rf"|(?P<deco>[*=#~]{{2,}}+(?P<deco_text>[^\n*=#~]*+)[*=#~]{{2,}}+[ \t]*+{_EOL})"
    r")"
)
# Mid-line header candidates, scanned over the reversed text so that the engine skips to each colon in C:
# a colon, the characters of labels and numbers before it, and sentence punctuation before those. The
# words are checked against the strong labels.
_MID_SCAN: Final = re.compile(r":(?P<body>[A-Za-z \t&/'#0-9-]*+)[.;!?]")


# Event types
HEADER: Final = 0
INLINE: Final = 1  # a header without a colon inside running text: like HEADER (`type <= INLINE`: either)
LINE: Final = 2  # trailer or banner line: to `other`, ends the current section
FINAL: Final = 3  # a FINAL REPORT banner: like LINE, and ends a preliminary read
_RULE: Final = 4  # a line of rule characters: dropped
END: Final = 5  # the end of a run


# An event in a run of text: (cut, resume, type, kind, strong, label). The text before the event ends at
# `cut`, the text after it starts at `resume`; kind, strong and label are set for headers. A plain tuple:
# events are made on the hot path, and a NamedTuple costs ten times as much to build.
Event = tuple[int, int, int, Kind | None, bool, str]


def scan(text: str, *, inline: bool = True) -> list[Event]:
    """The headers, trailers, banners and rule lines of ``text`` (which starts with ``\\n``), in order;
    with ``inline``, also the colon-less headers inside running text (see below)."""
    events: list[Event] = []
    set_off = 0  # _SET_OFF bits of the strong headers set off by a colon or dash
    for match in _LINE_SCAN.finditer(text):
        first, rest, colon, dash, eol, gap, next_word, rule, _deco, deco_text = match.groups()
        if first is not None:
            word = first.upper()
            if rest == "" and (one := _ONE_WORD_LABELS.get(word)) is not None:
                # The common header, "FINDINGS:": one word that is a label and nothing else (the checks
                # below, for this case).
                if colon is not None:
                    events.append((match.start(1), match.end(), HEADER, one[0], one[1], first))
                    set_off |= one[2]
                elif (gap is None and first[0].isupper()) or (
                    gap is not None
                    and first.isupper()
                    and ("\t" in gap or len(gap) > 1 or not next_word.isupper())
                ):
                    events.append((match.start(1), match.end(), HEADER, one[0], one[1], first))
                    if dash is not None:
                        set_off |= one[2]
                continue
            role = _FIRST_WORDS.get(word, 0)
            if role & _STARTS_LINE or (not role and word.startswith(_OPEN_TRAILER_WORDS)):
                start = match.start(1)
                line_end = text.find("\n", start)
                if line_end < 0:
                    line_end = len(text)
                line_type = _line_type(text[start:line_end], word) if role else LINE  # "ESIGNEDX..."
                if line_type is not None:
                    events.append((start, line_end, line_type, None, True, ""))
                    continue
            if not role & _STARTS_LABEL:
                continue
            if rest:
                label = first + rest
                info = _PLAIN_LABELS.get(_label_form(label))
            elif rest is None:  # no label-shaped words with a colon, dash, line end or gap after them,
                if not role & _STARTS_SUFFIXED:
                    continue
                label, info = first, None  # but "ADDENDUM#2:" has
            else:
                label = first
                info = _PLAIN_LABELS.get(word)
            start = match.start(1)
            if info is None:  # a shorter label, or one with a number or version: look closer
                found = _line_label(text, start)
                if found is None:
                    continue
                label, info, end, colon, dash, eol, gap, next_word = found
            else:
                end = match.end()
            if colon is not None:
                pass  # "findings:" is a header in any case
            elif dash is not None or eol is not None:
                if not label[0].isupper():
                    continue
            elif not (label.isupper() and ("\t" in gap or len(gap) > 1 or not next_word.isupper())):
                continue  # "Findings are stable", "HISTORY OF TOBACCO USE": prose
            events.append((start, end, HEADER, info[0], info[1], label))
            if (colon is not None or dash is not None) and info[1]:
                set_off |= _SET_OFF.get(info[0], 0)
        elif rule is not None:
            events.append((match.start("rule"), match.end(), _RULE, None, True, ""))
        else:  # a decorated line: a header between the decoration, or a banner
            start = match.start("deco")
            label, info = _decorated_label(deco_text)
            if info is not None:
                events.append((start, match.end(), HEADER, info[0], info[1], label))
                if info[1]:
                    set_off |= _SET_OFF.get(info[0], 0)
            else:
                final = "FINAL" in deco_text.upper()
                events.append((start, match.end(), FINAL if final else LINE, None, True, ""))
    if ":" in text:
        mid = _mid_headers(text)
        if mid:
            events = _merge(events, mid)
            for event in mid:
                set_off |= _SET_OFF.get(event[3], 0)
    if inline and set_off != _BOTH_SET_OFF:
        # A report whose findings and impression headers are set off by punctuation uses that style; label
        # words without it in its running text are prose. (Not a header alone on its line: wrapping a
        # colon-less report can put one there.)
        colon_less = inline_headers(text)
        if colon_less:
            inline_events: list[Event] = [
                (at, to, INLINE, kind, strong, label) for at, to, kind, strong, label in colon_less
            ]
            events = _merge(events, inline_events)
    return events


def _line_type(line: str, word: str) -> int | None:
    """``LINE`` or ``FINAL`` when ``line`` (which starts with ``word``, a trailer or banner word) is a
    trailer or a banner."""
    # The line as the trailer and banner tables spell it: ASCII letters in upper case (other characters as
    # they are), each blank run as one blank.
    form = line.upper() if line.isascii() else line.translate(_ASCII_UPPER)
    if "\t" in form or "  " in form:
        form = _BLANKS.sub(" ", form)
    anything, particular = _TRAILER_STARTS.get(word, _NO_TRAILERS)
    if anything and form.startswith(anything):
        return LINE
    for key, suffix in particular:
        if form.startswith(key):
            at = len(key)
            after = form[at : at + 1]
            if (
                not suffix
                or (suffix == "word-end" and not (after.isalnum() or after == "_"))
                or (suffix == "digit" and "0" <= (form[at + 1 : at + 2] if after == " " else after) <= "9")
                or (suffix == "date" and _DATE.match(form, at) is not None)
                or (suffix == "no-letter" and not ("A" <= after <= "Z" or "a" <= after <= "z"))
            ):
                return LINE
    if word in _BANNER_WORDS:
        core = form.rstrip(" ")
        if core.endswith((".", ":")):
            core = core[:-1].rstrip(" ")
        if core in _BANNER_KEYS:
            return FINAL if "FINAL" in line.upper() else LINE
    return None


def _line_label(
    text: str, start: int
) -> tuple[str, tuple[Kind, bool], int, str | None, str | None, str | None, str | None, str | None] | None:
    """The line-start label at ``start``: the longest label with a number or version suffix, if any, or
    without, that is followed by a colon, dash, line end or gap; with what follows it."""
    end = _WORD.match(text, start).end()  # type: ignore[union-attr]  # the scan found a word here
    candidates: list[tuple[int, str]] = []
    for _ in range(_LABEL_RUNS):
        form = _label_form(text[start:end])
        suffix = _NUMBER_SUFFIX if form in _NUMBERED else _VERSION_SUFFIX if form in _VERSIONED else None
        if suffix is not None and (suffixed := suffix.match(text, end)) is not None:
            candidates.append((suffixed.end(), form))
        if form in _LINE_LABELS:
            candidates.append((end, form))
        more = _SEP_WORD.match(text, end)
        if more is None:
            break
        end = more.end()
    candidates.sort(reverse=True)
    for end, form in candidates:
        after = _CONTINUATION.match(text, end)
        if after is not None:
            colon, dash, eol, gap, next_word = after.groups()
            return text[start:end], _LINE_LABELS[form], after.end(), colon, dash, eol, gap, next_word
    return None


def _suffixed_label(label: str) -> tuple[Kind, bool] | None:
    """The classification of a whole ASCII label that may end in a number or version suffix."""
    info = _LINE_LABELS.get(_label_form(label))
    if info is not None or not label[-1:].isdigit():
        return info
    base = label.rstrip("0123456789").rstrip(" \t")
    if base.endswith("#"):
        base = base[:-1].rstrip(" \t")
    form = _label_form(base)
    if form in _NUMBERED:
        return _LINE_LABELS[form]
    if base[-7:].upper() == "VERSION" and base[-8:-7] in (" ", "\t"):
        form = _label_form(base[:-7].rstrip(" \t"))
        if form in _VERSIONED:
            return _LINE_LABELS[form]
    return None


def _decorated_label(deco_text: str) -> tuple[str, tuple[Kind, bool] | None]:
    """The label between decoration (``***** ADDENDUM *****``): blanks, the label, an optional colon."""
    label = deco_text.rstrip(" \t")
    if label.endswith(":"):
        label = label[:-1].rstrip(" \t")
    label = label.lstrip(" \t")
    if not label.isascii() or not label[:1].isalpha():
        return label, None
    return label, _suffixed_label(label)


def _mid_headers(text: str) -> list[Event]:
    """Headers in the middle of a line: ``... sentence. IMPRESSION: text``."""
    size = len(text)
    events: list[Event] = []
    for match in _MID_SCAN.finditer(text[::-1]):
        end = size - match.start("body")  # the colon
        body = text[size - match.end("body") : end]
        label = body.lstrip(" \t").rstrip(" \t")
        if not label[:1].isalpha():
            continue
        start = end - len(body.lstrip(" \t"))
        numbered = label[-1].isdigit()
        if numbered:
            label = label.rstrip("0123456789").rstrip(" \t")
            if label.endswith("#"):
                label = label[:-1].rstrip(" \t")
        info = _MID_LABELS.get(_label_form(label))
        if info is None or not label[0].isupper():
            continue
        if numbered:
            if info[0] != "addendum":
                continue  # "Findings 2:" is not a header
            label = text[start : end - len(body) + len(body.rstrip(" \t"))]
        events.append((start, end + 1, HEADER, info[0], info[1], label))
    events.reverse()
    return events


def _merge(line_events: list[Event], mid_events: list[Event]) -> list[Event]:
    """Both event lists in text order; a mid-line header inside a trailer or banner line is dropped."""
    merged: list[Event] = []
    end = -1
    for event in sorted(line_events + mid_events, key=_event_cut):
        if event[0] < end:
            continue
        merged.append(event)
        end = event[1]
    return merged


def _event_cut(event: Event) -> int:
    return event[0]
