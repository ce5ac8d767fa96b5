"""What the engine learns from the indexed reports: similarity, word associations, neighbours.

:class:`Index` finds the reports (and the findings sentences) most similar to a query; :class:`Cooccurrence`
counts which findings words and impression words the reports assert together; :class:`Prior` is one indexed
report as a neighbour and :class:`SentenceStats` how often one findings sentence reached its impression.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from radimpress.datasets.corpus import ReportPair
from radimpress.drafting.engines.consensus.text import content_words, reports_something
from radimpress.language.normal import is_normal_impression
from radimpress.language.statements import split_sentences, state

__all__ = ["Contribution", "Cooccurrence", "Index", "Prior", "SentenceStats"]


class Index:
    """TF-IDF cosine over distinct normalised texts, weighted as the retrieval engine weighs findings (word
    unigrams and bigrams, sublinear tf, smoothed idf, unit rows); exact top-k by accumulating postings.

    Postings are numpy arrays so that a query adds each of its terms to every document in one vector
    operation; the additions happen in the same order as a Python loop would do them, so the floats are
    the same."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        counts = [self._terms(key) for key in self.keys]
        frequency: Counter[str] = Counter()
        for terms in counts:
            frequency.update(terms.keys())
        n = len(self.keys)
        self._idf = {term: math.log((1 + n) / (1 + df)) + 1.0 for term, df in frequency.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for document, terms in enumerate(counts):
            weights = self._weights(terms)
            norm = math.sqrt(math.fsum(w * w for w in weights.values()))
            for term, weight in weights.items():
                documents, values = postings.setdefault(term, ([], []))
                documents.append(document)
                values.append(weight / norm)
        self._postings = {
            term: (np.array(d, dtype=np.intp), np.array(v, dtype=np.float64))
            for term, (d, v) in postings.items()
        }
        self._position = {key: document for document, key in enumerate(self.keys)}

    @staticmethod
    def _terms(normalised: str) -> Counter[str]:
        tokens = normalised.split()
        return Counter([*tokens, *map(" ".join, pairwise(tokens))])

    def _weights(self, terms: Counter[str]) -> dict[str, float]:
        return {t: (1.0 + math.log(tf)) * self._idf[t] for t, tf in terms.items() if t in self._idf}

    def nearest(self, normalised: str, k: int, *, exclude: str | None = None) -> list[tuple[str, float]]:
        """Up to ``k`` (key, cosine) pairs with a positive cosine, best first; ties: the earlier key."""
        query = self._weights(self._terms(normalised))
        norm = math.sqrt(math.fsum(w * w for w in query.values()))
        if not norm:
            return []
        scores = np.zeros(len(self.keys), dtype=np.float64)
        for term in sorted(query):  # a fixed order: the same floats whatever the dict order
            documents, values = self._postings[term]
            scores[documents] += (query[term] / norm) * values  # a term lists each document once
        skipped = self._position.get(exclude) if exclude is not None else None
        if skipped is not None:
            scores[skipped] = 0.0
        best = np.argsort(-scores, kind="stable")[:k]  # stable: ties keep key order
        return [
            (self.keys[document], min(1.0, float(scores[document])))
            for document in best.tolist()
            if scores[document] > 0.0
        ]


@dataclass(frozen=True, slots=True)
class Cooccurrence:
    """Which findings words and impression words the indexed reports assert together.

    Counted over the findings sentences that report something and the impression sentences that are not
    normal statements. A (findings word, impression word) pair is associated when it co-occurs in at least
    3 reports with Dice >= 0.15; :meth:`dice` can leave one report out, so a report held out while fitting
    is explained without its own words.
    """

    findings: Counter[str]
    impression: Counter[str]
    pairs: Counter[tuple[str, str]]
    reports: tuple[tuple[frozenset[str], frozenset[str]], ...]  # per report: (findings, impression) words

    @classmethod
    def count(cls, reports: Sequence[ReportPair]) -> Cooccurrence:
        findings: Counter[str] = Counter()
        impression: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        words: list[tuple[frozenset[str], frozenset[str]]] = []
        for report in reports:
            findings_words: set[str] = set()
            for sentence in split_sentences(report.findings):
                if reports_something(sentence):
                    findings_words |= content_words(state(sentence).asserted)
            impression_words: set[str] = set()
            for sentence in split_sentences(report.impression):
                if not is_normal_impression(sentence):
                    impression_words |= content_words(state(sentence).asserted)
            findings.update(findings_words)
            impression.update(impression_words)
            pairs.update((f, i) for f in findings_words for i in impression_words if f != i)
            words.append((frozenset(findings_words), frozenset(impression_words)))
        return cls(findings, impression, pairs, tuple(words))

    def dice(self, finding: str, impression: str, *, without: int | None = None) -> float:
        """The pair's Dice coefficient, 0 if not associated; ``without``: as if that report were not there."""
        n, total = (
            self.pairs.get((finding, impression), 0),
            self.findings[finding] + self.impression[impression],
        )
        if without is not None:
            own_findings, own_impression = self.reports[without]
            n -= finding in own_findings and impression in own_impression
            total -= (finding in own_findings) + (impression in own_impression)
        if n < 3:
            return 0.0
        dice = 2.0 * n / total
        return dice if dice >= 0.15 else 0.0

    def associations(self) -> dict[str, dict[str, float]]:
        """impression word -> {findings word: Dice} for every associated pair."""
        associated: dict[str, dict[str, float]] = defaultdict(dict)
        for finding, impression in sorted(self.pairs):
            if (dice := self.dice(finding, impression)) > 0.0:
                associated[impression][finding] = dice
        return dict(associated)


@dataclass(slots=True)
class SentenceStats:
    text: str
    count: int = 0
    reflected: int = 0
    phrases: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Prior:
    """One indexed report, as a neighbour: its impression and who wrote it for which exam."""

    impression: str
    procedure: str | None
    interpreter: str | None
    normal: bool


# One indexed report's contribution to the sentence statistics: (sentence key, reflected, aligned phrase).
Contribution = tuple[str, bool, str | None]
