"""Reading a text into mentions: which observations it states, present, possible, absent or hypothetical,
and on which side; and whether it compares with a prior study.

:func:`find_mentions` is the reader the safety flags (:mod:`radimpress.drafting.safety`) and the observation
labels build on: each :class:`Mention` names an observation of :mod:`radimpress.language.vocabulary`, its
:data:`Status`, its :data:`Side` values, and whether, in findings, it is critical. Everything here is pure and
deterministic.

**How the text is read (ConText-lite).** Observations come from our own CheXpert-like phrase lists
(:data:`OBSERVATIONS`, each with synonyms, phrases that state its absence such as "normal heart size", and
the observations that support it). A text is cut into sentences and clauses (``;``, ``:``); in each, the
mentions are the longest non-overlapping phrase matches, and a mention's status is set by the nearest
trigger in its scope, ConText style: pre-negation ("no", "without", "negative for", "free of",
"no evidence of", "clear of", ...) and pre-uncertainty ("possible", "may represent", "cannot exclude",
...) reach forward to the end of the sentence unless a termination term comes first ("but", "however",
"although", "except", "which", a clause end, or a comma that opens a new positive item such as ", small
left effusion"); post-negation ("is absent", "not seen", "has resolved") and post-uncertainty ("cannot be
excluded") reach back within their comma-delimited phrase; pseudo-triggers ("no change in", "no interval
change") assert; hypothetical triggers ("to exclude", "if", "recommend", "history of") make a mention
neither asserted nor negated, so "CT to exclude a mass" is no finding. The nearest trigger wins
("no effusion, possible pneumonia"). A mention is *positive* when present or possible.

A side (left, right, bilateral, bibasilar, RLL, lingula, ...) attaches to the mention that follows it in
the clause ("left pleural effusion"), or to the one before it after a preposition
("opacity in the right lower lobe"); "retrocardiac" counts as left.

**Why not medspaCy.** medspaCy runs ConText offline, but ``pip install medspacy`` (1.3.1, checked here)
brings 36 packages with it, spaCy 3.7 and thinc among them, and pins numpy back to 1.26 while this
environment runs numpy 2 for pyarrow and duckdb; the Lambda layer that ships this module would carry all
of it, and every cold start would load spaCy. What these short chest X-ray texts need is a dozen trigger
lists and a scope rule, which fit in this module, pure Python, importing only the standard library (and
our vocabulary).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeVar

from radimpress.language.normalise import reflow
from radimpress.language.vocabulary import BY_NAME, CRITICAL, OBSERVATIONS

__all__ = ["Mention", "Side", "Status", "find_mentions", "has_comparison", "mentions_comparison"]

_T = TypeVar("_T")
Status = Literal["present", "possible", "absent", "hypothetical"]
Side = Literal["left", "right"]

# --- triggers (ConText-lite) --------------------------------------------------------------------------------

_TriggerKind = Literal["pseudo", "neg_pre", "neg_post", "poss_pre", "poss_post", "hyp_pre", "neutral", "term"]

_TRIGGERS: tuple[tuple[_TriggerKind, str], ...] = (
    # pseudo-triggers: look like negation, assert the finding ("no change in the left effusion")
    (
        "pseudo",
        r"no (?:significant |interval |appreciable )?(?:change|increase|decrease|worsening)(?: in| of)?",
    ),
    ("pseudo", r"not (?:significantly )?changed"),
    ("pseudo", r"without (?:significant |interval )?change"),
    ("pseudo", r"not only"),
    ("pseudo", r"no longer than"),
    ("pseudo", r"(?:gram|culture)[- ]negative"),
    # pre-negation
    ("neg_pre", r"no"),
    ("neg_pre", r"not"),
    ("neg_pre", r"nor"),
    ("neg_pre", r"neither"),
    ("neg_pre", r"none"),
    ("neg_pre", r"without"),
    ("neg_pre", r"negative for"),
    ("neg_pre", r"free of"),
    ("neg_pre", r"clear of"),
    ("neg_pre", r"absence of"),
    (
        "neg_pre",
        r"no (?:(?:radiographic|definite|convincing|other|new) )?(?:evidence|signs?|findings?) "
        r"(?:of|for|to suggest)",
    ),
    ("neg_pre", r"(?:interval )?(?:resolution|clearing) of"),
    # "resolved right pneumothorax": a resolved finding is no longer there
    ("neg_pre", r"(?:interval(?:ly)? )?resolved"),
    ("neg_pre", r"ruled out"),
    ("neg_pre", r"no longer"),
    ("neg_pre", r"never"),
    # post-negation
    ("neg_post", r"(?:(?:is|are|was|were) )?absent"),
    (
        "neg_post",
        r"(?:is |are |was |were )?not (?:been )?(?:(?:well|clearly|definitely|convincingly) )?"
        r"(?:seen|identified|present|visualized|visualised|"
        r"demonstrated|evident|appreciated|noted|detected|visible|apparent|shown|observed)",
    ),
    ("neg_post", r"(?:has |have )?(?:resolved|cleared|disappeared)"),
    ("neg_post", r"(?:is |are )?no longer (?:seen|present|visualized|evident|identified|visible|apparent)"),
    ("neg_post", r"(?:is |are |was |were )?(?:ruled out|excluded)"),
    ("neg_post", r"(?:is |are )?(?:unlikely|gone)"),
    # uncertainty
    ("poss_pre", r"possible|possibly|probable|probably|likely|presumed|presumably|questionable"),
    ("poss_pre", r"(?:may|could|might|can) (?:be|represent|reflect|indicate|suggest|relate to|be due to)"),
    ("poss_pre", r"(?:suspicious|concerning|worrisome) (?:for|of)"),
    ("poss_pre", r"suspect(?:ed)?"),
    ("poss_pre", r"question of"),
    ("poss_pre", r"(?:cannot|can not|can't) (?:entirely )?(?:exclude|rule out)"),
    ("poss_pre", r"(?:suggestive|suggesting|suggests|suggest) (?:of )?"),
    ("poss_pre", r"equivocal|borderline|versus|vs"),
    ("poss_pre", r"differential (?:diagnosis )?(?:includes?|considerations? include)?"),
    ("poss_pre", r"(?:raising|raises) (?:the )?(?:possibility|question|concern) (?:of|for)"),
    ("poss_post", r"(?:is |are )?not (?:be )?(?:entirely )?(?:excluded|ruled out)"),
    ("poss_post", r"(?:cannot|can not|can't) (?:be )?(?:entirely )?(?:excluded|ruled out)"),
    ("poss_post", r"(?:is |are )(?:possible|suspected|questioned|not excluded)"),
    # hypothetical: recommendations and conditions, neither asserted nor negated ("to exclude a mass")
    (
        "hyp_pre",
        r"if|in case of|(?:to )?(?:exclude|rule out)|(?:further )?evaluat(?:e|ion) (?:for|of)|assess for|"
        r"recommend\w*|follow-?up|consider(?:ed)?|screen(?:ing)? for|history of|h/o|risk of|"
        r"would|should",
    ),
    # neutral: words that look like a trigger inside another's scope ("no pleural line to suggest
    # pneumothorax"): they take the span and change nothing
    ("neutral", r"to suggest|to indicate"),
    # termination of a pre-trigger's scope
    ("term", r"but|however|although|though|whereas|while|except|aside from|apart from|which|otherwise"),
    ("term", r"with the exception of|and there (?:is|are)|there (?:is|are)"),
)
_TRIGGER_PATTERNS: tuple[tuple[re.Pattern[str], _TriggerKind], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), kind) for kind, pattern in _TRIGGERS
)
# a comma that opens a new positive item ends a pre-trigger's scope: "no pneumothorax, small left effusion"
_COMMA_ITEM = re.compile(
    r",\s*(?=(?:and\s+)?(?:a\s+|an\s+)?(?:small|tiny|trace|minimal|mild|mildly|moderate|large|massive|"
    r"left|right|bilateral|new|persistent|stable|increased|decreased|enlarged|possible|probable|"
    r"borderline|chronic|old|healed)\b)"
)
_LIST_GOES_ON = re.compile(r"\b(?:or|nor)\b")
_SENTENCE = re.compile(r"[.!?](?!\d)|\n|\r")
_BOUNDARY = re.compile(r"[.!?](?!\d)|[\n\r;:]")
_SIDE_RE = re.compile(
    r"\b(?:(?P<left>left|lt|lll|lul|lingula|lingular|retrocardiac)|(?P<right>right|rt|rll|rml|rul)|"
    r"(?P<both>bilateral|bilaterally|bibasilar|bibasal|bibasally|both))\b"
)
_PREPOSITION_BEFORE = re.compile(r"\b(?:on|in|at|of|within|involving|along|over|to|from|into)\s+(?:the\s+)?$")

_COMPARISON_LANGUAGE = re.compile(
    r"\b(?:unchanged|stable|stably|again|re-?demonstrat\w*|compared (?:with|to)|comparison (?:with|to)|"
    r"in comparison|(?:from|than|to|on|with|since) (?:the |a )?(?:prior|previous|earlier|outside|last)|"
    r"interval(?:ly)? (?:\w+ )?(?:change|increase|decrease|improvement|worsening|development|resolution|"
    r"removal|placement|growth|progression|enlargement|clearing|appearance|resolved|improved|increased|"
    r"decreased|worsened|developed|removed|placed|clearing)|"
    r"no (?:significant |appreciable )?change|previously (?:seen|noted|described|demonstrated|identified)|"
    r"persist\w*|improv(?:ed|ing|ement)|worsen\w*|progress(?:ed|ion|ing)|"
    r"(?:prior|previous|earlier) (?:study|studies|exam|examination|films?|radiographs?|x-?rays?))\b"
)
# a sentence that only wishes for a comparison ("comparison with prior films would be helpful") makes none
_WISHED_COMPARISON = re.compile(
    r"\b(?:would|may be (?:useful|helpful)|recommend\w*|useful|helpful|if (?:available|obtained)|"
    r"not available|unavailable|consider)\b"
)
_NO_COMPARISON = re.compile(
    r"^\W*(?:none|no|n/?a|nil|not available|unavailable)\b|^\W*$",
)


@dataclass(frozen=True, slots=True)
class Mention:
    """An observation mentioned in a text: its status, the sides stated for it, and whether (in findings)
    it is critical."""

    observation: str
    status: Status
    sides: frozenset[Side]
    critical: bool = False

    @property
    def positive(self) -> bool:
        """Asserted or raised as possible."""
        return self.status in ("present", "possible")

    @property
    def negated(self) -> bool:
        return self.status == "absent"


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    observation: str
    absent: bool


def _compile_mentions() -> list[tuple[re.Pattern[str], str, bool]]:
    compiled = []
    for observation in OBSERVATIONS:
        for phrases, absent in ((observation.phrases, False), (observation.absent_phrases, True)):
            if phrases:
                alternatives = "|".join(f"(?:{p})" for p in phrases)
                compiled.append((re.compile(rf"\b(?:{alternatives})\b"), observation.name, absent))
    return compiled


_MENTION_PATTERNS = _compile_mentions()


_Match = tuple[int, int, _T]


def _clauses(lower: str) -> list[tuple[int, int]]:
    """The (start, end) of each clause of ``lower``: sentences (``.`` not before a digit, ``!``, ``?``,
    line ends) cut at ``;`` and ``:``."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(lower):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(lower)))
    return bounds


def _per_clause(matches: Iterable[_Match[_T]], clauses: list[tuple[int, int]]) -> list[list[_Match[_T]]]:
    """Matches over the whole text, by clause, offsets made clause-relative; a match across clauses is
    dropped. Matching the whole text once per pattern (not each clause) keeps a report to ~100 scans."""
    starts = [start for start, _ in clauses]
    grouped: list[list[_Match[_T]]] = [[] for _ in clauses]
    for start, end, value in matches:
        index = bisect_right(starts, start) - 1
        clause_start, clause_end = clauses[index]
        if end <= clause_end:
            grouped[index].append((start - clause_start, end - clause_start, value))
    return grouped


def _spans(found: list[_Match[tuple[str, bool]]]) -> list[_Span]:
    """The longest non-overlapping observation phrases among ``found`` (one clause's), in order."""
    chosen: list[_Span] = []
    for start, end, (name, absent) in sorted(found, key=lambda m: (m[0] - m[1], m[0])):  # longest first
        if all(end <= other.start or start >= other.end for other in chosen):
            chosen.append(_Span(start, end, name, absent))
    return sorted(chosen, key=lambda s: s.start)


def _triggers(
    clause: str, found: list[_Match[_TriggerKind]], spans: list[_Span]
) -> list[tuple[int, int, _TriggerKind]]:
    """The longest non-overlapping triggers among ``found`` (one clause's) that overlap no mention, in order,
    with the commas that end a negation's scope."""
    chosen: list[tuple[int, int, _TriggerKind]] = []
    for trigger in sorted(found, key=lambda t: (t[0] - t[1], t[0])):  # longest first, then leftmost
        start, end, _ = trigger
        clear = all(end <= s.start or start >= s.end for s in spans)
        if clear and all(end <= other[0] or start >= other[1] for other in chosen):
            chosen.append(trigger)
    chosen.extend(
        (m.start(), m.start() + 1, "term")
        for m in _COMMA_ITEM.finditer(clause)
        if _LIST_GOES_ON.search(clause, m.end()) is None  # a list "..., large effusion, or ..." goes on
    )
    return sorted(chosen)


_TRIGGER_STATUS: Mapping[_TriggerKind, Status] = {
    "pseudo": "present",
    "neg_pre": "absent",
    "neg_post": "absent",
    "poss_pre": "possible",
    "poss_post": "possible",
    "hyp_pre": "hypothetical",
}


def _status(span: _Span, triggers: list[tuple[int, int, _TriggerKind]], clause: str) -> Status:
    """The status set by the nearest trigger whose scope reaches ``span``; present when none does."""
    if span.absent:
        return "absent"
    best: tuple[int, Status] | None = None
    for start, end, kind in triggers:
        if kind in ("term", "neutral"):
            continue
        if end <= span.start and kind in ("pseudo", "neg_pre", "poss_pre", "hyp_pre"):
            between = (t for t in triggers if t[2] == "term" and t[0] >= end and t[1] <= span.start)
            if next(between, None) is not None:
                continue
            distance = span.start - end
        elif start >= span.end and kind in ("neg_post", "poss_post"):
            if "," in clause[span.end : start]:
                continue
            distance = start - span.end
        else:
            continue
        status = _TRIGGER_STATUS[kind]
        if best is None or distance < best[0]:
            best = (distance, status)
    return "present" if best is None else best[1]


def _sides(clause: str, spans: list[_Span]) -> list[set[Side]]:
    """The sides attached to each span of ``clause`` (see the module docstring)."""
    sides: list[set[Side]] = [set() for _ in spans]
    for match in _SIDE_RE.finditer(clause):
        group = match.lastgroup
        named: set[Side] = (
            {"left"} if group == "left" else {"right"} if group == "right" else {"left", "right"}
        )
        inside = [i for i, s in enumerate(spans) if s.start <= match.start() and match.end() <= s.end]
        before = [i for i, s in enumerate(spans) if s.end <= match.start()]
        after = [i for i, s in enumerate(spans) if s.start >= match.end()]
        if inside:
            target = inside[0]
        elif before and _PREPOSITION_BEFORE.search(clause, 0, match.start()):
            target = before[-1]
        elif after:
            target = after[0]
        elif before:
            target = before[-1]
        else:
            continue
        sides[target] |= named
    return sides


def _critical(name: str, window: str) -> bool:
    rule = CRITICAL.get(name)
    if rule is None:
        return False
    if rule.requires is not None and rule.requires.search(window) is None:
        return False
    return rule.excludes is None or rule.excludes.search(window) is None


@lru_cache(maxsize=8192)
def find_mentions(text: str) -> tuple[Mention, ...]:
    """The observations ``text`` mentions, in order, each with its status and sides; a mention of an
    observation that implies another (tension pneumothorax) also yields the implied one.

    Line breaks are soft (:func:`~radimpress.language.normalise.reflow`): "No pleural effusion or /
    pneumothorax" negates both, however the sender wrapped it."""
    lower = reflow(text).lower()
    clauses = _clauses(lower)
    phrases = _per_clause(
        (
            (match.start(), match.end(), (name, absent))
            for pattern, name, absent in _MENTION_PATTERNS
            for match in pattern.finditer(lower)
        ),
        clauses,
    )
    cues = _per_clause(
        (
            (match.start(), match.end(), kind)
            for pattern, kind in _TRIGGER_PATTERNS
            for match in pattern.finditer(lower)
            if match.end() > match.start()
        ),
        clauses,
    )
    mentions: list[Mention] = []
    for (start, end), found, triggered in zip(clauses, phrases, cues, strict=True):
        if not found:
            continue
        clause = lower[start:end]
        spans = _spans(found)
        triggers = _triggers(clause, triggered, spans)
        sides = _sides(clause, spans)
        for index, span in enumerate(spans):
            left = spans[index - 1].end if index > 0 else 0
            right = spans[index + 1].start if index + 1 < len(spans) else len(clause)
            comma = clause.rfind(",", left, span.start)
            window = clause[max(left, comma + 1) : right]
            status = _status(span, triggers, clause)
            side = frozenset(sides[index])
            for name in (span.observation, *BY_NAME[span.observation].implies):
                critical = status in ("present", "possible") and _critical(name, window)
                mentions.append(Mention(name, status, side, critical))
    return tuple(mentions)


def mentions_comparison(text: str) -> bool:
    """Whether ``text`` compares with a prior study ("unchanged", "stable", "compared with prior", ...);
    a sentence that only wishes for one ("comparison with prior films would be helpful") does not."""
    return any(
        _COMPARISON_LANGUAGE.search(sentence) is not None and _WISHED_COMPARISON.search(sentence) is None
        for sentence in _SENTENCE.split(reflow(text).lower())
    )


def has_comparison(comparison: str | None, findings: str) -> bool:
    """Whether the report has a prior to compare with: a comparison section that does not say none
    ("None.", "No prior", "N/A"), or findings that themselves compare. ``None`` means no section."""
    if comparison is not None and _NO_COMPARISON.search(comparison.lower()) is None:
        return True
    return mentions_comparison(findings)
