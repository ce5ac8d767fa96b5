"""The candidates for one report and their features: the neighbours' impressions and compositions.

Besides the neighbours' impressions, candidates are composed from the (up to three) most salient findings
sentences: as written (trimmed), cut to their first clause in impression word order, or as the impression
phrase aligned with their nearest indexed sentences; each alone, after or before the neighbours' consensus
normal sentence, plain or numbered. Every candidate gets the features named in :data:`FEATURES` and a
linear score; :class:`Sentence` and :class:`Findings` are what the engine read in the current findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from radimpress.drafting.engines.consensus.overlap import Pattern, mbr, tokenise
from radimpress.drafting.engines.consensus.text import (
    content_words,
    first_clause,
    impression_order,
    normal_first,
    trim,
)
from radimpress.language.statements import finding_concepts, state

__all__ = ["FEATURES", "Candidate", "Findings", "Sentence", "build_candidates"]

FEATURES = (
    "bias",
    "neighbour",
    "composed",
    "short",
    "aligned",
    "consensus",
    "votes",
    "similarity",
    "support",
    "unsupported",
    "conflicts",
    "coverage",
    "normal",
    "neighbours_abnormal",
    "neighbours_abnormal*normal",
    "max_salience",
    "max_salience*normal",
    "included_salience",
    "included_sentences",
    "tail",
    "tail_first",
    "tail_first*neighbours_tail_first",
    "length",
    "length^2",
    "consensus*neighbours_normal",
    "coverage*neighbours_abnormal",
    "included_salience*composed",
    "max_salience*composed",
    "neighbours_abnormal*composed",
    "numbered*neighbours_numbered",
    "numbered*neighbours_unnumbered",
    "coverage*max_salience",
    "salient_sentences*normal",
    "salient_sentences",
    "coverage*salient_sentences",
    "abnormal_consensus",
    "abnormal_consensus*composed",
    # how much to trust a neighbour's impression, and how the choice shifts when the findings are abnormal
    "similarity*neighbour",
    "similarity^3*neighbour",
    "votes*neighbour",
    "similarity*max_salience*neighbour",
    "consensus*max_salience",
    "abnormal_consensus*max_salience",
    "length*max_salience",
    "included_sentences*max_salience",
    "tail*max_salience",
    "tail_first*max_salience",
    "coverage*composed",
    "support*max_salience",
)

_NUMBERED = re.compile(r"^\s*1\s*[.)]")
_FALLBACK_TAIL = "No acute cardiopulmonary abnormality."

_NEIGHBOUR, _COMPOSED, _SHORT, _ALIGNED = 0, 1, 2, 3
_NO_TAIL, _TAIL_AFTER, _TAIL_BEFORE = 0, 1, 2
_KINDS = ("neighbour", "composed", "short", "aligned")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One findings sentence that reports something, as the engine sees it."""

    text: str
    content: frozenset[str]
    sides: frozenset[str]
    salience: float
    phrase: str | None  # the impression phrase aligned with its nearest indexed sentences


@dataclass(frozen=True, slots=True)
class Findings:
    sentences: tuple[Sentence, ...]
    asserted_content: frozenset[str]
    asserted_sides: frozenset[str]
    asserted_concepts: frozenset[str]
    negated_concepts: frozenset[str]  # negated and never asserted


@dataclass(frozen=True, slots=True)
class Candidate:
    """A draft the engine considered, its features (in :data:`FEATURES` order) and its score."""

    text: str
    kind: str  # "neighbour", "composed" (findings sentences), "short" (their first clause) or "aligned"
    features: tuple[float, ...]
    score: float


def _phrase(sentence: Sentence, kind: int) -> str:
    """How a composed candidate words one findings sentence."""
    if kind == _ALIGNED and sentence.phrase is not None:
        return trim(sentence.phrase)
    if kind == _SHORT:
        return impression_order(trim(first_clause(sentence.text)))
    return trim(sentence.text)


def build_candidates(
    weights: dict[str, float],
    similarity: dict[str, float],
    normal: dict[str, bool],
    facts: Findings,
    *,
    explained: Callable[[frozenset[str], frozenset[str]], float],
    scorer: Sequence[float],
    composition_bonus: float,
) -> list[Candidate]:
    """Every candidate, best first: the neighbour impressions and the compositions of ``facts``.

    ``weights``, ``similarity`` and ``normal`` give per neighbour impression its summed weight, best
    similarity and normality; ``explained(words, by)`` is how much of ``words`` ``by`` accounts for (the
    engine's word associations); the score is ``scorer`` times the features, plus ``composition_bonus`` for
    a candidate composed from the findings.
    """
    total = math.fsum(weights.values())
    abnormal_share = math.fsum(w for text, w in weights.items() if not normal[text]) / total
    numbered_share = math.fsum(w for text, w in weights.items() if _NUMBERED.match(text)) / total
    before_share = math.fsum(w for text, w in weights.items() if normal_first(text)) / total
    normals = {text: w for text, w in weights.items() if normal[text]}
    tail = _NUMBERED.sub("", mbr(normals) if normals else _FALLBACK_TAIL).strip()

    # text -> (kind, included sentences, included salience, tail position); the first shape wins
    shapes: dict[str, tuple[int, int, float, int]] = {text: (_NEIGHBOUR, 0, 0.0, 0) for text in weights}
    ranked = sorted(range(len(facts.sentences)), key=lambda i: -facts.sentences[i].salience)[:3]
    bare_tail = tail.rstrip(". ")
    for size in range(1, len(ranked) + 1):
        chosen = [facts.sentences[i] for i in sorted(ranked[:size])]
        included = math.fsum(s.salience for s in chosen)
        for kind in (_COMPOSED, _SHORT, _ALIGNED):
            parts = [part for part in (_phrase(s, kind) for s in chosen) if part]
            if not parts:
                continue
            body = ". ".join(parts) + "."
            shapes.setdefault(body, (kind, size, included, _NO_TAIL))
            shapes.setdefault(f"{body} {tail}", (kind, size, included, _TAIL_AFTER))
            shapes.setdefault(f"{tail} {body}", (kind, size, included, _TAIL_BEFORE))
            after = " ".join(f"{n}. {part}." for n, part in enumerate([*parts, bare_tail], 1))
            shapes.setdefault(after, (kind, size, included, _TAIL_AFTER))
            before = " ".join(f"{n}. {part}." for n, part in enumerate([bare_tail, *parts], 1))
            shapes.setdefault(before, (kind, size, included, _TAIL_BEFORE))

    tokens = {text: tokenise(text) for text in shapes}
    neighbour_tokens = [(tokens[text], w) for text, w in weights.items()]
    abnormal_tokens = [(tokens[text], w) for text, w in weights.items() if not normal[text]]
    abnormal_total = math.fsum(w for _, w in abnormal_tokens)
    salient = [s.content for s in facts.sentences if s.salience >= 0.3]
    max_salience = max((s.salience for s in facts.sentences), default=0.0)
    candidates: list[Candidate] = []
    for text, (kind, size, included, tail_position) in shapes.items():
        mine = Pattern(tokens[text])
        consensus = math.fsum(w * mine.rouge_l(other) for other, w in neighbour_tokens) / total
        abnormal_consensus = (
            math.fsum(w * mine.rouge_l(other) for other, w in abnormal_tokens) / abnormal_total
            if abnormal_total
            else 0.0
        )
        statement = state(text)
        content = content_words(statement.asserted)
        support = explained(content, facts.asserted_content)
        conflicts = len(finding_concepts(statement.asserted) & facts.negated_concepts)
        coverage = (
            sum(1 for words_ in salient if words_ & content or explained(words_, content) > 0) / len(salient)
            if salient
            else 0.0
        )
        is_normal = float(kind == _NEIGHBOUR and normal[text])
        composed = float(kind != _NEIGHBOUR)
        length = mine.length / 10.0
        is_numbered = float(bool(_NUMBERED.match(text)))
        neighbour = float(kind == _NEIGHBOUR)
        nearness = similarity.get(text, 0.0)
        votes = weights.get(text, 0.0) / total
        has_tail = float(tail_position != _NO_TAIL)
        tail_first = float(tail_position == _TAIL_BEFORE)
        features = (
            1.0,
            neighbour,
            float(kind == _COMPOSED),
            float(kind == _SHORT),
            float(kind == _ALIGNED),
            consensus,
            votes,
            nearness,
            support,
            len(content) * (1.0 - support),
            float(conflicts),
            coverage,
            is_normal,
            abnormal_share,
            abnormal_share * is_normal,
            max_salience,
            max_salience * is_normal,
            included,
            float(size),
            has_tail,
            tail_first,
            tail_first * before_share,
            length,
            length * length,
            consensus * (1.0 - abnormal_share),
            coverage * abnormal_share,
            included * composed,
            max_salience * composed,
            abnormal_share * composed,
            is_numbered * numbered_share,
            is_numbered * (1.0 - numbered_share),
            coverage * max_salience,
            len(salient) * is_normal,
            float(len(salient)),
            coverage * len(salient),
            abnormal_consensus,
            abnormal_consensus * composed,
            nearness * neighbour,
            nearness**3 * neighbour,
            votes * neighbour,
            nearness * max_salience * neighbour,
            consensus * max_salience,
            abnormal_consensus * max_salience,
            length * max_salience,
            float(size) * max_salience,
            has_tail * max_salience,
            tail_first * max_salience,
            coverage * composed,
            support * max_salience,
        )
        score = math.fsum(w * x for w, x in zip(scorer, features, strict=True))
        score += composition_bonus * composed
        candidates.append(Candidate(text, _KINDS[kind], features, score))
    candidates.sort(key=lambda c: (-c.score, c.text))
    return candidates
