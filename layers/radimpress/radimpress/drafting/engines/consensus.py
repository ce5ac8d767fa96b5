"""The embedded CPU engine: a consensus of similar reports, re-grounded in the current findings.

What the IU reports teach, and what the engine does with it:

1. **Most impressions are a normal template, and which template is the radiologist's style.** Normal
   studies (two thirds) get one of a few dozen sentences ("No acute cardiopulmonary abnormality.", "No
   active disease.", "Normal chest x-XXXX."), and the findings text betrays who wrote it. So the engine
   retrieves the ``k_reports`` most similar indexed reports (TF-IDF cosine over findings, weighted as the
   retrieval engine weighs them) and weighs each by ``similarity ** similarity_power``, more when it
   shares the exam type (OBR-4) or the radiologist (OBR-32) of the current report, when both are known
   (``procedure_boost``, ``interpreter_boost``; the IU reports carry neither). Among their
   impressions it prefers the **consensus** one: the candidate with the highest weighted ROUGE-L against
   all the others (a minimum-Bayes-risk choice, which is what maximises expected ROUGE).
2. **Abnormal impressions restate the salient findings.** Findings sentences that assert something
   (words outside a negation that are not a normal statement) are scored for **salience**: how often the
   most similar findings sentences in the index were carried into their report's impression (aligned
   through shared words and word associations learned from the index, e.g. "enlarged" ~ "cardiomegaly").
   Candidates are composed from the (up to three) most salient sentences: as written (trimmed of "There
   is", "is noted"), cut to their first clause in impression word order ("The heart is mildly enlarged"
   -> "Mild cardiomegaly"), or as the impression phrase aligned with their nearest indexed sentences;
   each alone, after or before the neighbours' consensus normal sentence, plain or numbered.
3. **One scorer picks among all candidates.** Each candidate (neighbour impressions and compositions)
   gets features (consensus, votes, similarity, how much of it the findings support, salience and
   coverage of the salient sentences, how abnormal the neighbours' impressions are, length, numbering)
   and a linear score. :data:`DEFAULT_WEIGHTS` were fitted by :func:`fit_weights` on the train part of
   the IU split (:func:`radimpress.datasets.split.load_split`), never on its dev part: each train report left
   out in turn, least squares on every candidate's ROUGE-L, then coordinate ascent on the ROUGE-L of the
   candidate actually chosen, overall plus on the abnormal impressions (where drafts matter most).
4. **Never contradict the findings.** The best-scoring candidate that survives re-grounding is drafted:
   a sentence naming a side the matching findings do not (left for right) has its side replaced when the
   findings name exactly one side, and the candidate is skipped otherwise; a candidate asserting a
   finding the findings only negate ("small effusion" for "no pleural effusion"), or negating one they
   assert, is skipped. Compositions copy the findings, so one always survives.

Measured by ``bench/engine.py`` on the IU dev split, the index being its train part: ROUGE-L 0.6583 over
all dev reports (1-NN retrieval 0.6057, the constant sentence 0.4537) and 0.3538 on the abnormal subset
(1-NN 0.2610, constant 0.1250); about 7 ms a draft on one core.

The engine abstains when the findings are empty, when no indexed report shares a term, and when the best
neighbour is less similar than ``min_similarity`` while no findings sentence is salient. Deterministic:
every tie goes to the earlier report in the index, then to the text.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.drafting.engines.base import Draft
from radimpress.drafting.engines.retrieval import ABSTAIN_EMPTY_FINDINGS, ABSTAIN_NO_SIMILAR_REPORT
from radimpress.errors import ConfigurationError
from radimpress.language.normal import NORMAL_WORDS, is_normal_impression
from radimpress.language.normalise import normalise_findings
from radimpress.language.statements import finding_concepts, sides, split_sentences, state
from radimpress.reading.model import DraftContext

__all__ = [
    "ABSTAIN_LOW_CONFIDENCE",
    "ABSTAIN_NO_CONSISTENT_DRAFT",
    "DEFAULT_WEIGHTS",
    "FEATURES",
    "Candidate",
    "ConsensusEngine",
    "fit_weights",
    "rouge_l",
]

ABSTAIN_LOW_CONFIDENCE = "low_confidence"  # nothing similar enough and nothing salient in the findings
ABSTAIN_NO_CONSISTENT_DRAFT = "no_consistent_draft"  # every candidate contradicted the findings

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

# fit_weights(load_split().train): every train report left out in turn, abnormal_weight 1.0; reproduce with
# `python -m radimpress.drafting.engines.consensus` (about a minute and a half on one core).
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

_TOKEN = re.compile(r"[a-z0-9]+")  # rouge_score's tokenizer: lowercase ASCII letters and digits
_NUMBERED = re.compile(r"^\s*1\s*[.)]")
_LEADING = re.compile(
    r"^(?:there\s+(?:is|are|has\s+been|have\s+been|was|were)|the|again|also|however,?|otherwise,?"
    r"|overall|in\s+addition,?|additionally,?)\s+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"\s+(?:is|are)\s+(?:again\s+)?(?:noted|seen|present|identified|demonstrated|visualized)\s*$",
    re.IGNORECASE,
)
_CLAUSE_CUT = re.compile(
    r",|\s(?:which|that|consistent with|compatible with|measuring|likely|possibly|probably|suggesting|"
    r"representing|XXXX representing|may represent|could represent)\s",
    re.IGNORECASE,
)
_ENLARGED_HEART = re.compile(
    r"^(?:heart(?:\s+size)?|cardiac\s+(?:silhouette|size)|cardiomediastinal\s+silhouette)\s+(?:is|appears|remains)"
    r"\s+(?:(?P<degree>mildly|moderately|markedly|severely|slightly|borderline)\s+)?enlarged$",
    re.IGNORECASE,
)
_DEGREE = {
    "mildly": "Mild",
    "slightly": "Mild",
    "moderately": "Moderate",
    "markedly": "Marked",
    "severely": "Severe",
    "borderline": "Borderline",
}
_PREDICATE = re.compile(
    r"^(?P<subject>[A-Za-z][A-Za-z -]{2,40}?)\s+(?:is|are|remains|remain|appears|appear)\s+(?:again\s+)?"
    r"(?:(?P<degree>mildly|moderately|markedly|severely|slightly|minimally)\s+)?"
    r"(?P<state>hyperexpanded|hyperinflated|hypoinflated|hypoexpanded|elevated|low|enlarged|tortuous|prominent"
    r"|calcified|blunted|widened|ectatic|flattened|atherosclerotic|unfolded)$",
    re.IGNORECASE,
)
_SIDE_WORD = re.compile(r"\b(left|right)\b", re.IGNORECASE)
_FALLBACK_TAIL = "No acute cardiopulmonary abnormality."

# Words a findings sentence reporting nothing is made of, besides those of a normal impression
# ("heart size is within normal limits", "visualized osseous structures are intact").
_FINDINGS_NORMAL_TEXT = """
    size within limits silhouette cardiomediastinal vascularity vasculature caliber contour contours intact
    osseous structures visualized focal airspace air space consolidation pneumothorax effusion effusions
    mediastinum hilar hila heart top mildly well expanded inflated volumes normally pulmonary bony remain
    remains again is are has have unremarkable grossly aorta
"""
_FINDINGS_NORMAL_WORDS = NORMAL_WORDS | frozenset(_FINDINGS_NORMAL_TEXT.split())
# Words that carry no finding: a candidate's content is what is left.
_HEDGES = (
    "the a an of and or is are there in to with on at be as by this that which may could likely possibly"
)
_FUNCTION_WORDS = _FINDINGS_NORMAL_WORDS | frozenset([*_HEDGES.split(), "probably"])


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.lower()))


class _Pattern:
    """A token sequence prepared for bit-parallel LCS against many others (one big-int step per token)."""

    __slots__ = ("full", "length", "masks")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.masks: dict[str, int] = {}
        for position, token in enumerate(tokens):
            self.masks[token] = self.masks.get(token, 0) | (1 << position)
        self.length = len(tokens)
        self.full = (1 << self.length) - 1

    def lcs(self, other: Sequence[str]) -> int:
        """Length of the longest common subsequence with ``other``."""
        row, full, masks = self.full, self.full, self.masks
        for token in other:
            match = masks.get(token)
            if match:
                low = row & match
                row = ((row + low) | (row - low)) & full
        return self.length - row.bit_count()

    def rouge_l(self, other: Sequence[str]) -> float:
        common = self.lcs(other) if self.length and other else 0
        return 0.0 if common == 0 else 2.0 * common / (self.length + len(other))


def rouge_l(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F-measure of two token sequences (``rouge_score``'s, for its tokens: ``2 lcs / (m + n)``)."""
    return _Pattern(prediction).rouge_l(reference)


def _content(asserted: Iterable[str]) -> frozenset[str]:
    return frozenset(word for word in asserted if word not in _FUNCTION_WORDS)


def _reports_something(sentence: str) -> bool:
    """Whether a findings sentence asserts a word that no normal findings sentence is made of."""
    return any(word not in _FINDINGS_NORMAL_WORDS for word in state(sentence).asserted)


def _trim(sentence: str) -> str:
    """A findings sentence as an impression phrase: leading "There is", "The" and trailing "is noted" off."""
    text = sentence.strip().rstrip(".,; ")
    for _ in range(3):
        text = _LEADING.sub("", text)
    text = _TRAILING.sub("", text)
    return text[:1].upper() + text[1:]


def _first_clause(sentence: str) -> str:
    """A sentence up to its first comma or relative clause ("Stable cardiomegaly, with ..." -> "Stable
    cardiomegaly")."""
    return _CLAUSE_CUT.split(sentence, maxsplit=1)[0]


@lru_cache(maxsize=8192)
def _normal_first(impression: str) -> bool:
    """Whether an impression opens with a normal statement and reports something after it."""
    sentences = split_sentences(impression)
    return (
        len(sentences) > 1
        and is_normal_impression(sentences[0])
        and not all(is_normal_impression(s) for s in sentences[1:])
    )


def _impression_order(phrase: str) -> str:
    """A findings statement in impression word order: "Heart is mildly enlarged" -> "Mild cardiomegaly",
    "Lungs are hyperexpanded" -> "Hyperexpanded lungs", "Left hemidiaphragm remains elevated" -> "Elevated
    left hemidiaphragm". Anything else is returned as is."""
    if (found := _ENLARGED_HEART.match(phrase)) is not None:
        degree = _DEGREE.get((found.group("degree") or "").lower())
        return f"{degree} cardiomegaly" if degree else "Cardiomegaly"
    if (found := _PREDICATE.match(phrase)) is not None:
        subject = found.group("subject")
        subject = subject if subject[:2].isupper() else subject[:1].lower() + subject[1:]
        described = " ".join(part for part in (found.group("degree"), found.group("state").lower()) if part)
        return f"{described[:1].upper()}{described[1:]} {subject}"
    return phrase


def _side_as(side: str, found: re.Match[str]) -> str:
    """``side`` in the case of the side word it replaces."""
    return side.capitalize() if found.group(1)[0].isupper() else side


def _normalise_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = " ".join(value.lower().split())
    return key or None


def _mbr(weights: Mapping[str, float]) -> str:
    """The text with the highest weighted ROUGE-L against all the texts; ties: more weight, then text."""
    tokens = {text: _tokens(text) for text in weights}

    def utility(text: str) -> tuple[float, float, str]:
        mine = _Pattern(tokens[text])
        gain = math.fsum(weight * mine.rouge_l(tokens[other]) for other, weight in weights.items())
        return (gain, weights[text], text)

    return max(weights, key=utility)


# --- similarity --------------------------------------------------------------------------------------------


class _Index:
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


# --- what the current findings say ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One findings sentence that reports something, as the engine sees it."""

    text: str
    content: frozenset[str]
    sides: frozenset[str]
    salience: float
    phrase: str | None  # the impression phrase aligned with its nearest indexed sentences


@dataclass(frozen=True, slots=True)
class _Findings:
    sentences: tuple[_Sentence, ...]
    asserted_content: frozenset[str]
    asserted_sides: frozenset[str]
    asserted_concepts: frozenset[str]
    negated_concepts: frozenset[str]  # negated and never asserted


_HEART_WORDS = frozenset({"heart", "cardiac", "cardiomediastinal"})
_NORMAL_SIZE = frozenset({"normal", "unremarkable"})
_BORDERLINE = frozenset({"upper", "top", "borderline", "high", "near", "mildly", "mild"})


def _sentence_concepts(sentence: str) -> tuple[frozenset[str], frozenset[str]]:
    """(asserted, negated) finding concepts of one sentence. A heart said to be normal ("the heart is normal
    in size", "normal cardiomediastinal silhouette") or not enlarged negates cardiomegaly; one at the upper
    limits of normal does not."""
    statement = state(sentence)
    asserted_words, negated_words = set(statement.asserted), set(statement.negated)
    asserted = finding_concepts(statement.asserted)
    negated = set(finding_concepts(statement.negated))
    if _HEART_WORDS & asserted_words and "cardiomegaly" not in asserted:
        not_enlarged = bool({"enlarged", "enlargement"} & negated_words)
        normal_size = bool(_NORMAL_SIZE & asserted_words) and not _BORDERLINE & asserted_words
        if not_enlarged or normal_size:
            negated.add("cardiomegaly")
    return asserted, frozenset(negated)


def _concepts(text: str) -> tuple[frozenset[str], frozenset[str]]:
    asserted: set[str] = set()
    negated: set[str] = set()
    for sentence in split_sentences(text):
        yes, no = _sentence_concepts(sentence)
        asserted |= yes
        negated |= no
    return frozenset(asserted), frozenset(negated)


# --- candidates -------------------------------------------------------------------------------------------

_NEIGHBOUR, _COMPOSED, _SHORT, _ALIGNED = 0, 1, 2, 3
_NO_TAIL, _TAIL_AFTER, _TAIL_BEFORE = 0, 1, 2
_KINDS = ("neighbour", "composed", "short", "aligned")


@dataclass(frozen=True, slots=True)
class _Cooccurrence:
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
    def count(cls, reports: Sequence[ReportPair]) -> _Cooccurrence:
        findings: Counter[str] = Counter()
        impression: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        words: list[tuple[frozenset[str], frozenset[str]]] = []
        for report in reports:
            findings_words: set[str] = set()
            for sentence in split_sentences(report.findings):
                if _reports_something(sentence):
                    findings_words |= _content(state(sentence).asserted)
            impression_words: set[str] = set()
            for sentence in split_sentences(report.impression):
                if not is_normal_impression(sentence):
                    impression_words |= _content(state(sentence).asserted)
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


@dataclass(frozen=True, slots=True)
class Candidate:
    """A draft the engine considered, its features (in :data:`FEATURES` order) and its score."""

    text: str
    kind: str  # "neighbour", "composed" (findings sentences), "short" (their first clause) or "aligned"
    features: tuple[float, ...]
    score: float


@dataclass(slots=True)
class _SentenceStats:
    text: str
    count: int = 0
    reflected: int = 0
    phrases: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Prior:
    """One indexed report, as a neighbour: its impression and who wrote it for which exam."""

    impression: str
    procedure: str | None
    interpreter: str | None
    normal: bool


# One indexed report's contribution to the sentence statistics: (sentence key, reflected, aligned phrase).
_Contribution = tuple[str, bool, str | None]


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
        """Index ``pairs`` (:class:`ReportPair` or ``(findings, impression)``); see the module docstring.

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
        self._groups: dict[str, list[tuple[int, _Prior]]] = defaultdict(list)
        for number, report in enumerate(reports):
            impression = report.impression.strip()
            normal = normal_cache.get(impression)
            if normal is None:
                normal = normal_cache[impression] = is_normal_impression(impression)
            prior = _Prior(
                impression,
                _normalise_key(report.procedure_code or report.procedure_text),
                _normalise_key(report.interpreter),
                normal,
            )
            self._groups[normalise_findings(report.findings)].append((number, prior))
        self._report_index = _Index(list(self._groups))
        self._cooccurrence = _Cooccurrence.count(reports)
        self._associations = self._cooccurrence.associations()
        self._sentences, self._contributions = self._learn_sentences(reports)
        self._sentence_index = _Index(list(self._sentences))

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
    ) -> tuple[dict[str, _SentenceStats], dict[int, list[_Contribution]]]:
        """Per normalised findings sentence that reports something: how often its report's impression
        carried it (an abnormal impression sentence it explains at least 0.3 of) and the phrases it became.
        """
        stats: dict[str, _SentenceStats] = {}
        contributions: dict[int, list[_Contribution]] = defaultdict(list)
        for number, report in enumerate(reports):
            abnormal = [
                (sentence, _content(state(sentence).asserted))
                for sentence in split_sentences(report.impression)
                if not is_normal_impression(sentence)
            ]
            reporting = [
                (sentence, _content(state(sentence).asserted))
                for sentence in split_sentences(report.findings)
                if _reports_something(sentence)
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
                entry = stats.setdefault(key, _SentenceStats(sentence))
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
        sentence_words = _content(state(sentence).asserted)
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
                    and self._explained(_content(state(phrase).asserted), sentence_words, holdout) >= 0.5
                ):
                    phrases[phrase] += weight * left
        salience = reflected_total / total if total else 0.0
        return salience, (_mbr(phrases) if phrases else None)

    def _read_findings(self, findings: str, holdout: int | None) -> _Findings:
        sentences: list[_Sentence] = []
        asserted_content: set[str] = set()
        asserted_sides: set[str] = set()
        asserted_concepts: set[str] = set()
        negated_concepts: set[str] = set()
        for sentence in split_sentences(findings):
            statement = state(sentence)
            yes, no = _sentence_concepts(sentence)
            asserted_concepts |= yes
            negated_concepts |= no
            asserted_content |= _content(statement.asserted)
            asserted_sides |= sides(statement.asserted)
            if _reports_something(sentence):
                salience, phrase = self._salience(sentence, holdout)
                sentences.append(
                    _Sentence(
                        sentence, _content(statement.asserted), sides(statement.asserted), salience, phrase
                    )
                )
        return _Findings(
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

    @staticmethod
    def _phrase(sentence: _Sentence, kind: int) -> str:
        """How a composed candidate words one findings sentence."""
        if kind == _ALIGNED and sentence.phrase is not None:
            return _trim(sentence.phrase)
        if kind == _SHORT:
            return _impression_order(_trim(_first_clause(sentence.text)))
        return _trim(sentence.text)

    def _candidates(
        self,
        findings: str,
        context: DraftContext | None,
        *,
        holdout: int | None = None,
    ) -> tuple[list[Candidate], _Findings, float]:
        weights, similarity, normal, best = self._neighbours(findings, context, holdout is not None)
        facts = self._read_findings(findings, holdout)
        if not weights:
            return [], facts, best
        total = math.fsum(weights.values())
        abnormal_share = math.fsum(w for text, w in weights.items() if not normal[text]) / total
        numbered_share = math.fsum(w for text, w in weights.items() if _NUMBERED.match(text)) / total
        before_share = math.fsum(w for text, w in weights.items() if _normal_first(text)) / total
        normals = {text: w for text, w in weights.items() if normal[text]}
        tail = _NUMBERED.sub("", _mbr(normals) if normals else _FALLBACK_TAIL).strip()

        # text -> (kind, included sentences, included salience, tail position); the first shape wins
        shapes: dict[str, tuple[int, int, float, int]] = {text: (_NEIGHBOUR, 0, 0.0, 0) for text in weights}
        ranked = sorted(range(len(facts.sentences)), key=lambda i: -facts.sentences[i].salience)[:3]
        bare_tail = tail.rstrip(". ")
        for size in range(1, len(ranked) + 1):
            chosen = [facts.sentences[i] for i in sorted(ranked[:size])]
            included = math.fsum(s.salience for s in chosen)
            for kind in (_COMPOSED, _SHORT, _ALIGNED):
                parts = [part for part in (self._phrase(s, kind) for s in chosen) if part]
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

        tokens = {text: _tokens(text) for text in shapes}
        neighbour_tokens = [(tokens[text], w) for text, w in weights.items()]
        abnormal_tokens = [(tokens[text], w) for text, w in weights.items() if not normal[text]]
        abnormal_total = math.fsum(w for _, w in abnormal_tokens)
        salient = [s.content for s in facts.sentences if s.salience >= 0.3]
        max_salience = max((s.salience for s in facts.sentences), default=0.0)
        candidates: list[Candidate] = []
        for text, (kind, size, included, tail_position) in shapes.items():
            mine = _Pattern(tokens[text])
            consensus = math.fsum(w * mine.rouge_l(other) for other, w in neighbour_tokens) / total
            abnormal_consensus = (
                math.fsum(w * mine.rouge_l(other) for other, w in abnormal_tokens) / abnormal_total
                if abnormal_total
                else 0.0
            )
            statement = state(text)
            content = _content(statement.asserted)
            support = self._explained(content, facts.asserted_content, holdout)
            conflicts = len(finding_concepts(statement.asserted) & facts.negated_concepts)
            coverage = (
                sum(
                    1
                    for words_ in salient
                    if words_ & content or self._explained(words_, content, holdout) > 0
                )
                / len(salient)
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
            score = math.fsum(w * x for w, x in zip(self.weights, features, strict=True))
            score += self.composition_bonus * composed
            candidates.append(Candidate(text, _KINDS[kind], features, score))
        candidates.sort(key=lambda c: (-c.score, c.text))
        return candidates, facts, best

    def _reground(self, text: str, facts: _Findings) -> str | None:
        """``text`` with its sides and negations consistent with the findings, or ``None`` if it cannot be.

        A sentence naming a side its best-matching findings sentence (or, without one, the findings) does
        not name is rewritten to the findings' side when they name exactly one of left and right; otherwise
        the text is rejected. A text asserting a finding the findings only negate, or negating one they
        assert, is rejected.
        """
        asserted, negated = _concepts(text)
        if asserted & facts.negated_concepts or negated & facts.asserted_concepts:
            return None
        sentences = split_sentences(text)
        rewritten = text
        for sentence in sentences:
            statement = state(sentence)
            named = sides(statement.asserted)
            if not named:
                continue
            content = _content(statement.asserted)
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
        """The best-scoring candidate that agrees with the findings (see the module docstring)."""
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
        if not normalise_findings(findings):
            return None, ABSTAIN_EMPTY_FINDINGS
        candidates, facts, best = self._candidates(findings, context, holdout=holdout)
        if not candidates:
            return None, ABSTAIN_NO_SIMILAR_REPORT
        if best < self.min_similarity and not any(s.salience >= 0.3 for s in facts.sentences):
            return None, ABSTAIN_LOW_CONFIDENCE
        for candidate in candidates:
            text = self._reground(candidate.text, facts)
            if text is not None:
                return text, None
        return None, ABSTAIN_NO_CONSISTENT_DRAFT


# --- fitting the scorer -----------------------------------------------------------------------------------


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """``matrix @ x = vector`` for a symmetric positive definite ``matrix`` (Gaussian elimination)."""
    size = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        head = rows[column][column]
        for r in range(column + 1, size):
            factor = rows[r][column] / head
            if factor:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        known = math.fsum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution


@dataclass(frozen=True, slots=True)
class _Example:
    """One held-out report: whether its impression is abnormal, and per consistent candidate its
    features and ROUGE-L against the impression, in the engine's order."""

    abnormal: bool
    features: tuple[tuple[float, ...], ...]
    targets: tuple[float, ...]


def _examples(engine: ConsensusEngine, numbers: Sequence[int]) -> list[_Example]:
    reports = engine._reports  # the fit reads the engine it built
    examples: list[_Example] = []
    for number in numbers:
        report = reports[number]
        candidates, facts, _ = engine._candidates(report.findings, report.context, holdout=number)
        reference = _tokens(report.impression)
        kept = [(c, text) for c in candidates if (text := engine._reground(c.text, facts)) is not None]
        if kept:
            examples.append(
                _Example(
                    not is_normal_impression(report.impression),
                    tuple(c.features for c, _ in kept),
                    tuple(rouge_l(_tokens(text), reference) for _, text in kept),
                )
            )
    return examples


def _least_squares(examples: Sequence[_Example], ridge: float) -> list[float]:
    size = len(FEATURES)
    gram = [[0.0] * size for _ in range(size)]
    moment = [0.0] * size
    for example in examples:
        for x, target in zip(example.features, example.targets, strict=True):
            for i, xi in enumerate(x):
                if xi:
                    moment[i] += xi * target
                    row = gram[i]
                    for j, xj in enumerate(x):
                        row[j] += xi * xj
    for i in range(size):
        gram[i][i] += ridge
    return _solve(gram, moment)


def _selected(scores: Sequence[float], column: Sequence[float], step: float) -> int:
    """The candidate with the best ``score + step * feature``; the first one on a tie."""
    best, best_score = 0, -math.inf
    for index, (score, value) in enumerate(zip(scores, column, strict=True)):
        total = score + step * value
        if total > best_score:
            best, best_score = index, total
    return best


_STEPS = (-1.0, -0.5, -0.2, -0.1, -0.05, -0.02, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def _coordinate_ascent(
    examples: Sequence[_Example], weights: list[float], abnormal_weight: float, rounds: int
) -> list[float]:
    """Weights that maximise the ROUGE-L of the *chosen* candidate (not of every candidate), one weight at
    a time over a fixed grid of relative steps, as minimum-error-rate training does for translation."""
    abnormal = sum(e.abnormal for e in examples)
    per_example = [
        (1.0 / len(examples)) + (abnormal_weight / abnormal if e.abnormal and abnormal else 0.0)
        for e in examples
    ]
    columns = [[tuple(x[i] for x in e.features) for e in examples] for i in range(len(FEATURES))]
    scores = [
        [math.fsum(w * v for w, v in zip(weights, x, strict=True)) for x in e.features] for e in examples
    ]

    def objective(i: int, step: float) -> float:
        return math.fsum(
            weight * e.targets[_selected(s, columns[i][n], step)]
            for n, (e, s, weight) in enumerate(zip(examples, scores, per_example, strict=True))
        )

    best = objective(0, 0.0)
    for _ in range(rounds):
        improved = False
        for i in range(len(FEATURES)):
            scale = max(abs(weights[i]), 0.05)
            step_best, value_best = 0.0, best
            for relative in _STEPS:
                value = objective(i, relative * scale)
                if value > value_best + 1e-9:
                    step_best, value_best = relative * scale, value
            if step_best:
                weights[i] += step_best
                best, improved = value_best, True
                for e_scores, column in zip(scores, columns[i], strict=True):
                    for index, value in enumerate(column):
                        e_scores[index] += step_best * value
        if not improved:
            break
    return weights


def fit_weights(
    pairs: Iterable[ReportPair | tuple[str, str]],
    *,
    sample: int | None = None,
    seed: int = 0,
    ridge: float = 1.0,
    abnormal_weight: float = 1.0,
    rounds: int = 3,
) -> tuple[float, ...]:
    """Scorer weights learned from ``pairs`` by leave-one-out, never from the reports drafted later.

    Each report (or ``sample`` of them, drawn with ``random.Random(seed)``) is drafted by an engine over
    all of ``pairs`` that skips the reports with the same normalised findings, the report's own sentence
    statistics and its own words in the findings-impression associations (so the features seen while
    fitting are those a new report gets; only re-grounding still uses the full associations). The weights
    start from least
    squares on every candidate's ROUGE-L (``ridge`` on the diagonal), then :func:`_coordinate_ascent`
    maximises the mean ROUGE-L of the chosen drafts plus ``abnormal_weight`` times that mean on the
    abnormal impressions (the drafts that matter most; 0 optimises the overall mean alone).
    """
    engine = ConsensusEngine(pairs, weights=(0.0,) * len(FEATURES))
    numbers: Sequence[int] = range(engine.pairs)
    if sample is not None and sample < engine.pairs:
        numbers = sorted(random.Random(seed).sample(range(engine.pairs), sample))  # noqa: S311 - not crypto
    examples = _examples(engine, numbers)
    if not examples:
        raise ConfigurationError("no report to fit the consensus scorer on")
    weights = _least_squares(examples, ridge)
    return tuple(_coordinate_ascent(examples, weights, abnormal_weight, rounds))


def main() -> None:  # pragma: no cover - an offline tool: prints DEFAULT_WEIGHTS for the IU train split
    from radimpress.datasets.split import load_split  # noqa: PLC0415

    weights = fit_weights(load_split().train)
    print("DEFAULT_WEIGHTS: tuple[float, ...] = (")
    for name, weight in zip(FEATURES, weights, strict=True):
        print(f"    {weight:.6f},  # {name}")
    print(")")


if __name__ == "__main__":  # pragma: no cover
    main()
