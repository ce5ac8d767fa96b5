"""Fitting the consensus scorer: one weight per feature (:data:`.candidates.FEATURES`), fitted offline.

:data:`~radimpress.drafting.engines.consensus.engine.DEFAULT_WEIGHTS` come from :func:`fit_weights` on the
train part of the IU split, never on its dev part: each train report left out in turn, least squares on
every candidate's ROUGE-L, then coordinate ascent on the ROUGE-L of the candidate actually chosen. Run
``python -m radimpress.drafting.engines.consensus.fit`` to print them again.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from radimpress.datasets.corpus import ReportPair
from radimpress.drafting.engines.consensus.candidates import FEATURES
from radimpress.drafting.engines.consensus.engine import ConsensusEngine
from radimpress.drafting.engines.consensus.overlap import rouge_l, tokenise
from radimpress.errors import ConfigurationError
from radimpress.language.normal import is_normal_impression

__all__ = ["fit_weights"]


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
        reference = tokenise(report.impression)
        kept = [(c, text) for c in candidates if (text := engine._reground(c.text, facts)) is not None]
        if kept:
            examples.append(
                _Example(
                    not is_normal_impression(report.impression),
                    tuple(c.features for c, _ in kept),
                    tuple(rouge_l(tokenise(text), reference) for _, text in kept),
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
