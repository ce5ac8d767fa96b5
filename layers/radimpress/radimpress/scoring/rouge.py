"""ROUGE between a drafted impression and the radiologist's, with the study's settings.

Scores come from Google's ``rouge_score`` package, the implementation the study's evaluation used:
ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures, its default tokenizer (lowercase, ASCII letters and
digits), no stemmer unless asked. ROUGE-Lsum treats each line as a sentence, ``rouge_score``'s own
convention; texts are scored as given, so a caller wanting sentence-level Lsum splits lines itself.

``rouge_score`` (and nltk behind it) is imported on the first score, not with this module, so a Lambda
that never scores does not pay for it at cold start.

**Fast path.** When the package ``rouge-score-rs`` is installed (it is a core dependency), scores come from
it instead: an independent Rust port of ``rouge_score`` whose floats are bit-identical (tokenizer, Porter
stemmer and the line-based ROUGE-Lsum included) and some 30x faster; ``tests/unit/test_rouge_fast.py``
pins it to ``rouge_score`` on more than 10,000 pairs. :func:`score_pairs` hands a whole list to its
``score_batch``, which scores in native threads without the GIL (``RAYON_NUM_THREADS`` caps them).
``backend="rouge_score"`` forces the reference implementation, ``"rouge_score_rs"`` the fast one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Literal, Protocol

from radimpress.errors import ConfigurationError

__all__ = ["ROUGE_TYPES", "Backend", "RougeScores", "fast_path_available", "score_pair", "score_pairs"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")

Backend = Literal["auto", "rouge_score", "rouge_score_rs"]


@dataclass(slots=True)
class RougeScores:
    """The F-measures of one (prediction, reference) pair, each in [0, 1].

    Not frozen, though nothing should change one: a frozen dataclass's ``__init__`` costs more than the fast
    path takes to score a short pair, and a nightly evaluation builds one per result.
    """

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


class _BatchScorer(_Scorer, Protocol):
    def score_batch(self, targets: list[str], predictions: list[str]) -> list[Mapping[str, _Score]]: ...


@lru_cache(maxsize=2)
def _scorer(use_stemmer: bool) -> _Scorer:
    """One ``RougeScorer`` per setting, built on first use (building it loads the tokenizer, nltk)."""
    from rouge_score import rouge_scorer  # type: ignore[import-untyped]  # noqa: PLC0415 - kept lazy

    scorer: _Scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    return scorer


@lru_cache(maxsize=2)
def _fast_scorer(use_stemmer: bool) -> _BatchScorer | None:
    """``rouge_score_rs``'s scorer for this setting, or ``None`` when the package is not installed."""
    try:
        from rouge_score_rs import RougeScorer  # noqa: PLC0415 - kept lazy, like rouge_score
    except ImportError:
        return None
    scorer: _BatchScorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)  # type: ignore[no-untyped-call]
    return scorer


def fast_path_available() -> bool:
    """Whether ``rouge-score-rs`` is installed, so ``backend="auto"`` scores with it."""
    return _fast_scorer(False) is not None


def _pick(backend: Backend, use_stemmer: bool) -> _Scorer:
    if backend == "rouge_score":
        return _scorer(use_stemmer)
    fast = _fast_scorer(use_stemmer)
    if fast is not None:
        return fast
    if backend == "rouge_score_rs":
        raise ConfigurationError("rouge-score-rs is not installed", where="scoring")
    return _scorer(use_stemmer)


_METRICS = itemgetter(*ROUGE_TYPES)


def _scores(scores: Mapping[str, _Score]) -> RougeScores:
    """The F-measures of one pair's scores (both backends give Python floats); on the fast path's hot loop."""
    one, two, lcs, lcs_sum = _METRICS(scores)
    return RougeScores(one.fmeasure, two.fmeasure, lcs.fmeasure, lcs_sum.fmeasure)


def score_pair(
    prediction: str, reference: str, *, use_stemmer: bool = False, backend: Backend = "auto"
) -> RougeScores:
    """ROUGE F-measures of ``prediction`` (the draft) against ``reference`` (the radiologist's impression).

    Symmetric for F, but the order matters for precision and recall inside ``rouge_score``: the reference
    is its ``target``. ``backend``: see the module docstring; every backend gives the same floats.
    """
    return _scores(_pick(backend, use_stemmer).score(reference, prediction))


def score_pairs(
    pairs: Iterable[tuple[str, str]], *, use_stemmer: bool = False, backend: Backend = "auto"
) -> list[RougeScores]:
    """:func:`score_pair` over (prediction, reference) pairs, in order (on the fast path, as one batch)."""
    scorer = _pick(backend, use_stemmer)
    listed = list(pairs)
    batch = getattr(scorer, "score_batch", None)
    if batch is None:
        return [_scores(scorer.score(reference, prediction)) for prediction, reference in listed]
    # Several small objects per pair (a dict and four named tuples from the fast path, one RougeScores),
    # none of them in a reference cycle: the cyclic collector, which the allocations would otherwise set off
    # again and again over everything the process holds, has nothing to find in them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        results: list[Mapping[str, _Score]] = batch(
            [reference for _, reference in listed], [prediction for prediction, _ in listed]
        )
        return [_scores(scores) for scores in results]
    finally:
        if collecting:
            gc.enable()
