"""The consensus engine itself: it indexes reports, reads the findings, drafts and re-grounds the draft.

:class:`ConsensusEngine` learns from its reports (neighbour groups, sentence statistics, word associations),
reads the current findings (salience and the phrase of each sentence that reports something), weighs the
neighbours, asks :func:`~radimpress.drafting.engines.consensus.candidates.build_candidates` for the scored
candidates and drafts the best one that survives re-grounding. :data:`DEFAULT_WEIGHTS` is the scorer it
uses unless given one.

The engine abstains when the findings are empty, when no indexed report shares a term, and when the best
neighbour is less similar than ``min_similarity`` while no findings sentence is salient. Deterministic:
every tie goes to the earlier report in the index, then to the text.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.drafting.engines.base import Draft
from radimpress.drafting.engines.consensus.candidates import (
    FEATURES,
    Candidate,
    Findings,
    Sentence,
    build_candidates,
)
from radimpress.drafting.engines.consensus.index import (
    Contribution,
    Cooccurrence,
    Index,
    Prior,
    SentenceStats,
)
from radimpress.drafting.engines.consensus.overlap import mbr
from radimpress.drafting.engines.consensus.text import (
    concepts,
    content_words,
    reports_something,
    sentence_concepts,
)
from radimpress.drafting.engines.retrieval import ABSTAIN_EMPTY_FINDINGS, ABSTAIN_NO_SIMILAR_REPORT
from radimpress.errors import ConfigurationError
from radimpress.language.fluency import FluencyKind, fluency_problems, polish
from radimpress.language.normal import is_normal_impression
from radimpress.language.normalise import normalise_findings, reflow
from radimpress.language.statements import sides, split_sentences, state
from radimpress.reading.model import DraftContext

__all__ = ["ABSTAIN_LOW_CONFIDENCE", "ABSTAIN_NO_CONSISTENT_DRAFT", "DEFAULT_WEIGHTS", "ConsensusEngine"]

ABSTAIN_LOW_CONFIDENCE = "low_confidence"  # nothing similar enough and nothing salient in the findings
ABSTAIN_NO_CONSISTENT_DRAFT = "no_consistent_draft"  # every candidate contradicted the findings

# fit_weights(load_split().train): every train report left out in turn, abnormal_weight 1.0; reproduce with
# `python -m radimpress.drafting.engines.consensus.fit` (about a minute and a half on one core).
DEFAULT_WEIGHTS: tuple[float, ...] = (
    -0.041571,  # bias
    -0.111928,  # neighbour
    0.025808,  # composed
    0.016718,  # short
    0.011522,  # aligned
    0.769573,  # consensus
    -0.086788,  # votes
    0.157237,  # similarity
    0.061474,  # support
    -0.001718,  # unsupported
    0.000000,  # conflicts
    0.019059,  # coverage
    0.017709,  # normal
    0.107180,  # neighbours_abnormal
    -0.039667,  # neighbours_abnormal*normal
    0.087750,  # max_salience
    0.040529,  # max_salience*normal
    0.036858,  # included_salience
    -0.007196,  # included_sentences
    -0.002228,  # tail
    -0.007486,  # tail_first
    0.021697,  # tail_first*neighbours_tail_first
    0.011378,  # length
    -0.001173,  # length^2
    0.198996,  # consensus*neighbours_normal
    -0.026769,  # coverage*neighbours_abnormal
    0.036858,  # included_salience*composed
    0.074897,  # max_salience*composed
    -0.094979,  # neighbours_abnormal*composed
    0.015407,  # numbered*neighbours_numbered
    0.001731,  # numbered*neighbours_unnumbered
    -0.027430,  # coverage*max_salience
    0.001160,  # salient_sentences*normal
    -0.034344,  # salient_sentences
    0.023344,  # coverage*salient_sentences
    -0.074819,  # abnormal_consensus
    0.032795,  # abnormal_consensus*composed
    0.154154,  # similarity*neighbour
    -0.131489,  # similarity^3*neighbour
    -0.054966,  # votes*neighbour
    -0.038364,  # similarity*max_salience*neighbour
    -1.168565,  # consensus*max_salience
    0.772724,  # abnormal_consensus*max_salience
    0.013492,  # length*max_salience
    -0.036948,  # included_sentences*max_salience
    -0.055333,  # tail*max_salience
    -0.000852,  # tail_first*max_salience
    -0.006652,  # coverage*composed
    0.062752,  # support*max_salience
)

_SIDE_WORD = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def _side_as(side: str, found: re.Match[str]) -> str:
    """``side`` in the case of the side word it replaces."""
    return side.capitalize() if found.group(1)[0].isupper() else side


def _normalise_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = " ".join(value.lower().split())
    return key or None


class ConsensusEngine:
    """Drafts the best-scoring consensus or composed impression that does not contradict the findings."""

    name: ClassVar[str] = "consensus"

    def __init__(
        self,
        pairs: Iterable[ReportPair | tuple[str, str]],
        *,
        exclude_identical_findings: bool = False,
        weights: Sequence[float] | None = None,
        k_reports: int = 30,
        k_sentences: int = 8,
        similarity_power: float = 3.0,
        interpreter_boost: float = 1.0,
        procedure_boost: float = 1.0,
        min_similarity: float = 0.05,
        composition_bonus: float = 0.0,
    ) -> None:
        """Index ``pairs`` (:class:`ReportPair` or ``(findings, impression)``); see the package docstring.

        ``exclude_identical_findings`` makes the engine skip indexed reports whose normalised findings
        equal the query's (leave-one-out, for feeding the very reports the index holds).
        ``composition_bonus`` is added to the score of candidates composed from the findings.
        """
        self.weights = tuple(DEFAULT_WEIGHTS if weights is None else weights)
        if len(self.weights) != len(FEATURES):
            raise ConfigurationError(f"the consensus engine takes {len(FEATURES)} weights", where="weights")
        if k_reports < 1 or k_sentences < 1:
            raise ConfigurationError("k_reports and k_sentences must be at least 1", where="engine")
        self.exclude_identical_findings = exclude_identical_findings
        self.k_reports, self.k_sentences = k_reports, k_sentences
        self.similarity_power = similarity_power
        self.interpreter_boost, self.procedure_boost = interpreter_boost, procedure_boost
        self.min_similarity, self.composition_bonus = min_similarity, composition_bonus

        digest = hashlib.sha256()
        reports: list[ReportPair] = []
        for pair in pairs:
            report = pair if isinstance(pair, ReportPair) else ReportPair(str(len(reports)), *pair)
            if not normalise_findings(report.findings) or not report.impression.strip():
                continue
            reports.append(report)
            digest.update(json.dumps([report.findings, report.impression]).encode())
            digest.update(b"\n")
        if not reports:
            raise ConfigurationError("the consensus index needs at least one report with findings")
        self._reports = tuple(reports)
        self.pairs = len(reports)

        normal_cache: dict[str, bool] = {}
        self._groups: dict[str, list[tuple[int, Prior]]] = defaultdict(list)
        for number, report in enumerate(reports):
            impression = report.impression.strip()
            normal = normal_cache.get(impression)
            if normal is None:
                normal = normal_cache[impression] = is_normal_impression(impression)
            prior = Prior(
                impression,
                _normalise_key(report.procedure_code or report.procedure_text),
                _normalise_key(report.interpreter),
                normal,
            )
            self._groups[normalise_findings(report.findings)].append((number, prior))
        self._report_index = Index(list(self._groups))
        self._cooccurrence = Cooccurrence.count(reports)
        self._associations = self._cooccurrence.associations()
        self._sentences, self._contributions = self._learn_sentences(reports)
        self._sentence_index = Index(list(self._sentences))

        suffix = ":leave-one-out" if exclude_identical_findings else ""
        self.model_id = f"consensus:{digest.hexdigest()[:12]}{suffix}"

    @classmethod
    def from_path(cls, path: str | Path | None = None, **options: Any) -> ConsensusEngine:
        """An engine over a JSONL or MEDIQA-2021 JSON file (:mod:`radimpress.datasets.corpus`; default: IU
        reports), with the keyword ``options`` of the constructor."""
        return cls(load_pairs(path), **options)

    def __repr__(self) -> str:
        return f"ConsensusEngine(model_id={self.model_id!r}, pairs={self.pairs})"

    # --- what the index teaches ---------------------------------------------------------------------------

    def _explained(self, words_: frozenset[str], by: frozenset[str], holdout: int | None = None) -> float:
        """How much of ``words_`` ``by`` accounts for: 1 per shared word, else the word's best association
        (learned without report ``holdout``'s own words when one is held out, as while fitting)."""
        if not words_:
            return 0.0
        total = 0.0
        own = self._cooccurrence.reports[holdout] if holdout is not None else None
        for word in words_:
            if word in by:
                total += 1.0
            elif own is not None and (word in own[1] or not own[0].isdisjoint(by)):
                total += max(
                    (self._cooccurrence.dice(other, word, without=holdout) for other in by), default=0.0
                )
            elif (associated := self._associations.get(word)) is not None:
                total += max((associated.get(other, 0.0) for other in by), default=0.0)
        return total / len(words_)

    def _learn_sentences(
        self, reports: Sequence[ReportPair]
    ) -> tuple[dict[str, SentenceStats], dict[int, list[Contribution]]]:
        """Per normalised findings sentence that reports something: how often its report's impression
        carried it (an abnormal impression sentence it explains at least 0.3 of) and the phrases it became.
        """
        stats: dict[str, SentenceStats] = {}
        contributions: dict[int, list[Contribution]] = defaultdict(list)
        for number, report in enumerate(reports):
            abnormal = [
                (sentence, content_words(state(sentence).asserted))
                for sentence in split_sentences(report.impression)
                if not is_normal_impression(sentence)
            ]
            reporting = [
                (sentence, content_words(state(sentence).asserted))
                for sentence in split_sentences(report.findings)
                if reports_something(sentence)
            ]
            aligned: dict[int, tuple[str, float]] = {}
            for phrase, phrase_words in abnormal:
                best, best_score = -1, 0.0
                for index, (_, sentence_words) in enumerate(reporting):
                    score = self._explained(phrase_words, sentence_words)
                    if score > best_score:
                        best, best_score = index, score
                if best >= 0 and best_score >= 0.3 and best_score > aligned.get(best, ("", 0.0))[1]:
                    aligned[best] = (phrase, best_score)
            for index, (sentence, _) in enumerate(reporting):
                key = normalise_findings(sentence)
                if not key:
                    continue
                entry = stats.setdefault(key, SentenceStats(sentence))
                phrase_found = aligned.get(index)
                entry.count += 1
                if phrase_found is not None:
                    entry.reflected += 1
                    entry.phrases[phrase_found[0]] += 1
                carried = phrase_found[0] if phrase_found is not None else None
                contributions[number].append((key, carried is not None, carried))
        return stats, dict(contributions)

    # --- drafting -------------------------------------------------------------------------------------------

    def _salience(self, sentence: str, holdout: int | None) -> tuple[float, str | None]:
        """How often sentences like ``sentence`` reached their impression, and the consensus phrase."""
        own_counts: Counter[tuple[str, bool]] = Counter()
        own_phrases: dict[str, Counter[str]] = defaultdict(Counter)
        for key, reflected, phrase in self._contributions.get(holdout, []) if holdout is not None else []:
            own_counts[key, False] += 1
            own_counts[key, True] += reflected
            if phrase is not None:
                own_phrases[key][phrase] += 1
        sentence_words = content_words(state(sentence).asserted)
        total = reflected_total = 0.0
        phrases: dict[str, float] = defaultdict(float)
        for key, similarity in self._sentence_index.nearest(normalise_findings(sentence), self.k_sentences):
            entry = self._sentences[key]
            count = entry.count - own_counts[key, False]
            if count <= 0:
                continue
            weight = similarity**2
            total += weight * count
            reflected_total += weight * (entry.reflected - own_counts[key, True])
            for phrase, times in entry.phrases.items():
                left = times - own_phrases[key][phrase]
                if (
                    left > 0
                    and self._explained(content_words(state(phrase).asserted), sentence_words, holdout) >= 0.5
                ):
                    phrases[phrase] += weight * left
        salience = reflected_total / total if total else 0.0
        return salience, (mbr(phrases) if phrases else None)

    def _read_findings(self, findings: str, holdout: int | None) -> Findings:
        sentences: list[Sentence] = []
        asserted_content: set[str] = set()
        asserted_sides: set[str] = set()
        asserted_concepts: set[str] = set()
        negated_concepts: set[str] = set()
        for sentence in split_sentences(findings):
            statement = state(sentence)
            yes, no = sentence_concepts(sentence)
            asserted_concepts |= yes
            negated_concepts |= no
            asserted_content |= content_words(statement.asserted)
            asserted_sides |= sides(statement.asserted)
            if reports_something(sentence):
                salience, phrase = self._salience(sentence, holdout)
                sentences.append(
                    Sentence(
                        sentence,
                        content_words(statement.asserted),
                        sides(statement.asserted),
                        salience,
                        phrase,
                    )
                )
        return Findings(
            tuple(sentences),
            frozenset(asserted_content),
            frozenset(asserted_sides),
            frozenset(asserted_concepts),
            frozenset(negated_concepts - asserted_concepts),
        )

    def _neighbours(
        self, findings: str, context: DraftContext | None, leave_out: bool
    ) -> tuple[dict[str, float], dict[str, float], dict[str, bool], float]:
        """Per neighbour impression its summed weight, best similarity and normality; the best similarity."""
        procedure = interpreter = None
        if context is not None:
            procedure = _normalise_key(context.procedure_code or context.procedure_text)
            interpreter = _normalise_key(context.interpreter)
        weights: dict[str, float] = {}
        similarity: dict[str, float] = {}
        normal: dict[str, bool] = {}
        best = 0.0
        key = normalise_findings(findings)
        exclude = key if leave_out or self.exclude_identical_findings else None
        for neighbour, cosine in self._report_index.nearest(key, self.k_reports, exclude=exclude):
            best = max(best, cosine)
            base = cosine**self.similarity_power
            for _, prior in self._groups[neighbour]:
                weight = base
                if interpreter is not None and prior.interpreter == interpreter:
                    weight *= 1.0 + self.interpreter_boost
                if procedure is not None and prior.procedure == procedure:
                    weight *= 1.0 + self.procedure_boost
                weights[prior.impression] = weights.get(prior.impression, 0.0) + weight
                similarity[prior.impression] = max(similarity.get(prior.impression, 0.0), cosine)
                normal[prior.impression] = prior.normal
        return weights, similarity, normal, best

    def _candidates(
        self,
        findings: str,
        context: DraftContext | None,
        *,
        holdout: int | None = None,
    ) -> tuple[list[Candidate], Findings, float]:
        weights, similarity, normal, best = self._neighbours(findings, context, holdout is not None)
        facts = self._read_findings(findings, holdout)
        if not weights:
            return [], facts, best
        explained = partial(self._explained, holdout=holdout)
        candidates = build_candidates(
            weights,
            similarity,
            normal,
            facts,
            explained=explained,
            scorer=self.weights,
            composition_bonus=self.composition_bonus,
        )
        return candidates, facts, best

    def _reground(self, text: str, facts: Findings) -> str | None:
        """``text`` with its sides and negations consistent with the findings, or ``None`` if it cannot be.

        A sentence naming a side its best-matching findings sentence (or, without one, the findings) does
        not name is rewritten to the findings' side when they name exactly one of left and right; otherwise
        the text is rejected. A text asserting a finding the findings only negate, or negating one they
        assert, is rejected.
        """
        asserted, negated = concepts(text)
        if asserted & facts.negated_concepts or negated & facts.asserted_concepts:
            return None
        sentences = split_sentences(text)
        rewritten = text
        for sentence in sentences:
            statement = state(sentence)
            named = sides(statement.asserted)
            if not named:
                continue
            content = content_words(statement.asserted)
            match, match_score = None, 0.0
            for candidate in facts.sentences:
                score = self._explained(content, candidate.content)
                if score > match_score:
                    match, match_score = candidate, score
            allowed = match.sides if match is not None and match.sides else facts.asserted_sides
            if named <= allowed:
                continue
            if len(allowed) == 1 and allowed <= {"left", "right"} and "bilateral" not in named:
                fixed = _SIDE_WORD.sub(partial(_side_as, next(iter(allowed))), sentence)
                rewritten = rewritten.replace(sentence, fixed, 1)
            else:
                return None
        return rewritten

    def rank(self, findings: str, context: DraftContext | None = None) -> list[Candidate]:
        """Every candidate for ``findings``, best first (before re-grounding); empty without neighbours."""
        candidates, _, _ = self._candidates(findings, context)
        return candidates

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        """The best-scoring candidate that agrees with the findings (see the package docstring)."""
        started = time.perf_counter()
        text, reason = self._choose(findings, context)
        latency_ms = (time.perf_counter() - started) * 1000.0
        return Draft(text, self.name, self.model_id, latency_ms, abstained_reason=reason)

    def _choose(
        self,
        findings: str,
        context: DraftContext | None,
        *,
        holdout: int | None = None,
    ) -> tuple[str | None, str | None]:
        # line breaks are soft (a feed's wrapping is not the radiologist's sentence structure), and the
        # chosen text is polished, so a wrapped report drafts exactly as its one-line form
        findings = reflow(findings)
        if not normalise_findings(findings):
            return None, ABSTAIN_EMPTY_FINDINGS
        candidates, facts, best = self._candidates(findings, context, holdout=holdout)
        if not candidates:
            return None, ABSTAIN_NO_SIMILAR_REPORT
        if best < self.min_similarity and not any(s.salience >= 0.3 for s in facts.sentences):
            return None, ABSTAIN_LOW_CONFIDENCE
        fallback: str | None = None
        for candidate in candidates:
            text = self._reground(candidate.text, facts)
            if text is None or not (polished := polish(text)):
                continue
            # a sentence cut on a function word ("may reside within.", where the IU mask took the noun)
            # reads broken to a radiologist: the next consistent candidate is drafted instead
            if not any(p.kind is FluencyKind.CUT_SENTENCE for p in fluency_problems(polished)):
                return polished, None
            fallback = fallback or polished
        if fallback is not None:
            return fallback, None
        return None, ABSTAIN_NO_CONSISTENT_DRAFT
