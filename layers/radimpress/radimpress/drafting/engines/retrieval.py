"""The embedded CPU engine: the impression of the most similar report already written.

Nearest-neighbour retrieval over (findings, impression) pairs. Findings are normalised (lowercase, the IU
de-identification mark ``XXXX`` removed, punctuation as spaces), turned into word unigrams and bigrams and
weighted by TF-IDF (sublinear tf ``1 + ln tf``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``, rows L2
normalised), and compared by cosine similarity through an inverted index in plain Python: no numpy or
scikit-learn to import. The index of the 2,491 bundled IU pairs builds in well under a second; a draft
takes a millisecond or two, as the search is exact but prunes (see ``_top``).

Reports whose normalised findings are identical form one document (boilerplate normal studies repeat
word for word); its impression is the most frequent among them, the first written on a tie. Ties between
documents go to the one first seen in the file. The same inputs always give the same draft.

Leave-one-out: the demo and the tests feed the very IU reports this index holds. Without
``exclude_identical_findings`` the engine would find each report itself (similarity 1) and read back the
radiologist's impression, and the ROUGE table would measure nothing. With it, documents whose normalised
findings equal the query's are skipped, so every draft comes from a different report.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, compress, pairwise
from pathlib import Path
from typing import ClassVar, NamedTuple, TypeGuard

from radimpress.drafting.engines.base import Draft
from radimpress.errors import ConfigurationError
from radimpress.language.fluency import polish
from radimpress.language.normalise import normalise_findings
from radimpress.reading.model import DraftContext

__all__ = [
    "ABSTAIN_EMPTY_FINDINGS",
    "ABSTAIN_NO_SIMILAR_REPORT",
    "Neighbour",
    "RetrievalEngine",
    "read_pairs",
]

ABSTAIN_EMPTY_FINDINGS = "empty_findings"  # nothing left after normalisation
ABSTAIN_NO_SIMILAR_REPORT = "no_similar_report"  # no indexed report shares a single term

_ROUNDING = 1e-9  # relative slack on score bounds, so float rounding never prunes a true neighbour


def _term_counts(normalised: str) -> Counter[str]:
    """Word unigrams and bigrams (joined by a space, so they cannot collide with a unigram)."""
    words = normalised.split()
    return Counter(chain(words, map(" ".join, pairwise(words))))


def read_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """(findings, impression) from a reports JSONL file (``events/iu/reports.jsonl`` format), in file order.

    Rows without a non-blank findings or impression are skipped; a line that is not a JSON object raises
    :class:`ConfigurationError` naming the line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the reports file: {exc.strerror}", where=str(path)) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError("not a JSON line", where=f"{path.name}:{number}") from exc
        if not isinstance(row, dict):
            raise ConfigurationError("not a JSON object", where=f"{path.name}:{number}")
        findings, impression = row.get("findings"), row.get("impression")
        if _text(findings) and _text(impression):
            yield findings, impression


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An indexed document and its cosine similarity to a query.

    ``findings`` is the text of the first report with these normalised findings, ``reports`` how many of
    the indexed reports share them, ``impression`` the one the engine drafts from this document.
    """

    document: int
    similarity: float
    findings: str
    impression: str
    reports: int


class _Postings(NamedTuple):
    """The documents holding a term, in file order, with the term's weight in each."""

    documents: tuple[int, ...]
    weights: tuple[float, ...]
    max_weight: float


@dataclass(frozen=True, slots=True)
class _Document:
    findings: str
    impression: str
    reports: int


class RetrievalEngine:
    """Drafts the impression of the indexed report whose findings are most similar (TF-IDF cosine)."""

    name: ClassVar[str] = "retrieval"

    def __init__(self, pairs: Iterable[tuple[str, str]], *, exclude_identical_findings: bool = False) -> None:
        """Index ``pairs`` of (findings, impression); :class:`ConfigurationError` when none has findings."""
        self.exclude_identical_findings = exclude_identical_findings
        digest = hashlib.sha256()
        groups: dict[str, tuple[str, Counter[str]]] = {}  # normalised findings -> first text, impressions
        for findings, impression in pairs:
            digest.update(json.dumps([findings, impression]).encode())
            digest.update(b"\n")
            key = normalise_findings(findings)
            if key:
                groups.setdefault(key, (findings, Counter()))[1][impression.strip()] += 1
        if not groups:
            raise ConfigurationError("the retrieval index needs at least one report with findings")

        self.pairs = sum(sum(impressions.values()) for _, impressions in groups.values())
        self._documents: list[_Document] = []
        self._by_findings: dict[str, int] = {}
        vectors: list[Counter[str]] = []
        document_frequency: Counter[str] = Counter()
        for key, (findings, impressions) in groups.items():
            # most_common keeps first-seen order among equal counts: the tie-break is the file order
            impression = impressions.most_common(1)[0][0]
            self._by_findings[key] = len(self._documents)
            self._documents.append(_Document(findings, impression, sum(impressions.values())))
            counts = _term_counts(key)
            vectors.append(counts)
            document_frequency.update(counts.keys())

        n = len(self._documents)
        self._idf = {term: math.log((1 + n) / (1 + df)) + 1.0 for term, df in document_frequency.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        self._vectors: list[dict[str, float]] = []  # document -> {term: weight}, unit length
        for document, counts in enumerate(vectors):
            weights = {term: (1.0 + math.log(tf)) * self._idf[term] for term, tf in counts.items()}
            norm = math.sqrt(math.fsum(w * w for w in weights.values()))
            unit = {term: weight / norm for term, weight in weights.items()}
            self._vectors.append(unit)
            for term, weight in unit.items():
                documents, term_weights = postings.setdefault(term, ([], []))
                documents.append(document)
                term_weights.append(weight)
        self._postings = {
            term: _Postings(tuple(documents), tuple(weights), max(weights))
            for term, (documents, weights) in postings.items()
        }

        suffix = ":leave-one-out" if exclude_identical_findings else ""
        self.model_id = f"retrieval-tfidf:{digest.hexdigest()[:12]}{suffix}"

    @classmethod
    def from_jsonl(
        cls, path: Path | None = None, *, exclude_identical_findings: bool = False
    ) -> RetrievalEngine:
        """An engine over a reports JSONL file; by default the bundled IU reports."""
        if path is None:
            from radimpress.datasets.samplefeed.reports import iu_reports_path  # noqa: PLC0415 - only for the default

            path = iu_reports_path()
        return cls(read_pairs(path), exclude_identical_findings=exclude_identical_findings)

    @property
    def documents(self) -> int:
        """How many distinct normalised findings the index holds (``pairs`` counts the reports)."""
        return len(self._documents)

    def __repr__(self) -> str:
        return f"RetrievalEngine(model_id={self.model_id!r}, pairs={self.pairs}, documents={self.documents})"

    def _top(self, normalised: str, k: int) -> tuple[list[tuple[int, float]], float]:
        """The ``k`` best (document, dot product) pairs with a positive score, best first, and the query norm.

        Exact, without scoring every document (MaxScore, term at a time). Query terms are taken rarest
        first, each adding to every document it occurs in, until the terms left could not lift a document
        to the k-th best score so far. Then only documents whose partial score can still make it are
        finished, through their own vectors, best partial first, each dropped as soon as it cannot. Every
        score is summed in the same term order, so the floats (and with them the ties, which go to the
        earlier document) are those of scoring everything.
        """
        query = sorted(
            (len(postings.documents), term, (1.0 + math.log(tf)) * self._idf[term], postings)
            for term, tf in _term_counts(normalised).items()
            # a term no indexed report has carries no weight (as in scikit-learn)
            if (postings := self._postings.get(term)) is not None
        )
        if not query:
            return [], 0.0
        # left[i]: the most the terms from position i on can add to any score: the sum of their largest
        # products, or (Cauchy-Schwarz: document vectors have unit length) the norm of their weights.
        left = [0.0] * (len(query) + 1)
        bound_sum = square_sum = 0.0
        for i in range(len(query) - 1, -1, -1):
            _, _, weight, postings = query[i]
            bound_sum += weight * postings.max_weight
            square_sum += weight * weight
            left[i] = min(bound_sum, math.sqrt(square_sum))
        norm = math.sqrt(square_sum)

        scores = [0.0] * len(self._documents)
        if self.exclude_identical_findings and (same := self._by_findings.get(normalised)) is not None:
            scores[same] = -math.inf
        floor = best = 0.0  # floor: the k-th best score so far less the rounding slack; best: the best
        done = 0
        for _, _, weight, postings in query:  # 1) the rarest terms, into every document they occur in
            if left[done] < floor:
                break  # a document not reached yet can no longer make the top k
            for document, document_weight in zip(postings.documents, postings.weights, strict=True):
                scores[document] += weight * document_weight
            done += 1
            if k == 1:  # scores only grow: the best is the old best or one just raised
                best = max(best, *map(scores.__getitem__, postings.documents))
                floor = best * (1.0 - _ROUNDING)
            elif k < len(scores):
                floor = heapq.nlargest(k, scores)[-1] * (1.0 - _ROUNDING)

        rest = [(term, weight, left[position]) for position, (_, term, weight, _) in enumerate(query)][done:]
        reach = floor - left[done]
        found: list[tuple[float, int]] = []  # (score, -document), the k best finished so far, worst first
        partial = list(compress(range(len(scores)), map(reach.__le__, scores)))
        partial.sort(key=scores.__getitem__, reverse=True)  # stable: equal scores stay in file order
        for document in partial:  # 2) finish the best partial scores while they can make the top k
            score = scores[document]
            if score + left[done] < floor:
                break  # sorted by partial score: no later document can make it either
            vector = self._vectors[document]
            for term, weight, still in rest:
                if score + still < floor:
                    break  # this one can no longer make it
                shared = vector.get(term)
                if shared is not None:
                    score += weight * shared
            else:
                heapq.heappush(found, (score, -document))
                if len(found) > k:
                    heapq.heappop(found)  # the lowest score; on a tie the later document
                if len(found) == k:
                    floor = max(floor, found[0][0] * (1.0 - _ROUNDING))
        ranked = sorted(found, reverse=True)  # best first; on a tie the earlier document
        return [(-negated, score) for score, negated in ranked if score > 0.0], norm

    def nearest(self, findings: str, k: int = 5) -> tuple[Neighbour, ...]:
        """Up to ``k`` most similar documents, best first (ties: file order); none that share no term."""
        if k < 1:
            return ()
        top, norm = self._top(normalise_findings(findings), k)
        return tuple(
            Neighbour(
                document=index,
                similarity=min(1.0, score / norm),
                findings=self._documents[index].findings,
                impression=self._documents[index].impression,
                reports=self._documents[index].reports,
            )
            for index, score in top
        )

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        """The impression of the most similar document; abstains when no indexed report shares a term.

        ``context`` is accepted for the :class:`~radimpress.drafting.engines.base.Engine` interface and not
        used.
        """
        started = time.perf_counter()
        normalised = normalise_findings(findings)
        text: str | None = None
        reason: str | None = ABSTAIN_EMPTY_FINDINGS
        if normalised:
            top, _ = self._top(normalised, 1)
            if top:
                # the impression as written, punctuation cleaned ("No active disease.." -> one period)
                impression = self._documents[top[0][0]].impression
                text, reason = polish(impression) or impression, None
            else:
                reason = ABSTAIN_NO_SIMILAR_REPORT
        latency_ms = (time.perf_counter() - started) * 1000.0
        return Draft(text, self.name, self.model_id, latency_ms, abstained_reason=reason)
