"""ROUGE between a drafted impression and the radiologist's, with the study's settings.

Scores come from Google's ``rouge_score`` package, the implementation the study's evaluation used:
ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures, its default tokenizer (lowercase, ASCII letters and
digits), no stemmer unless asked. ROUGE-Lsum treats each line as a sentence, ``rouge_score``'s own
convention; texts are scored as given, so a caller wanting sentence-level Lsum splits lines itself.

``rouge_score`` (and nltk behind it) is imported on the first score, not with this module, so a Lambda
that never scores does not pay for it at cold start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Protocol

__all__ = ["ROUGE_TYPES", "RougeScores", "score_pair", "score_pairs"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@dataclass(frozen=True, slots=True)
class RougeScores:
    """The F-measures of one (prediction, reference) pair, each in [0, 1]."""

    rouge1: float
    rouge2: float
    rougeL: float  # the metrics' own names, as rouge_score and the study spell them
    rougeLsum: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class _Score(Protocol):
    @property
    def fmeasure(self) -> float: ...


class _Scorer(Protocol):
    def score(self, target: str, prediction: str) -> Mapping[str, _Score]: ...


@lru_cache(maxsize=2)
def _scorer(use_stemmer: bool) -> _Scorer:
    """One ``RougeScorer`` per setting, built on first use (building it loads the tokenizer, nltk)."""
    from rouge_score import rouge_scorer  # type: ignore[import-untyped]  # noqa: PLC0415 - kept lazy

    scorer: _Scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    return scorer


def score_pair(prediction: str, reference: str, *, use_stemmer: bool = False) -> RougeScores:
    """ROUGE F-measures of ``prediction`` (the draft) against ``reference`` (the radiologist's impression).

    Symmetric for F, but the order matters for precision and recall inside ``rouge_score``: the reference
    is its ``target``.
    """
    scores = _scorer(use_stemmer).score(reference, prediction)
    return RougeScores(
        rouge1=float(scores["rouge1"].fmeasure),
        rouge2=float(scores["rouge2"].fmeasure),
        rougeL=float(scores["rougeL"].fmeasure),
        rougeLsum=float(scores["rougeLsum"].fmeasure),
    )


def score_pairs(pairs: Iterable[tuple[str, str]], *, use_stemmer: bool = False) -> list[RougeScores]:
    """:func:`score_pair` over (prediction, reference) pairs, in order."""
    return [score_pair(prediction, reference, use_stemmer=use_stemmer) for prediction, reference in pairs]
