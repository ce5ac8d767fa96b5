"""Benchmark: ROUGE pairs/s of ``rouge_score`` and of the fast path (``rouge-score-rs``), in the same run.

The pairs are what ``radimpress evaluate`` and the nightly evaluation score: each IU impression against
another report's impression (three pairings), each report's findings against its impression (long
texts), plus generated drafts with punctuation, numbers, non-ASCII and empty sides. Both backends go
through :func:`radimpress.scoring.rouge.score_pairs` (so our per-pair overhead counts), on one core: the fast
path's native thread pool is capped with ``RAYON_NUM_THREADS=1`` before it starts (``--threads`` to
change). Each backend scores the pairs round after round until ``--seconds`` have passed; every pair
``rouge_score`` scored is compared with the fast path's floats and the mismatches are printed. The
package's own ``score_batch`` is timed the same way, so what ``score_pairs`` adds is visible.

Rates are per round: the median (judged against the target), and the slowest and fastest round. On a
shared machine single rounds vary by half (other tenants, frequency scaling); the median is what a long
job sees when the machine is not starved, the slowest round what it sees when it is.

Target: >= 100,000 pairs/s for the fast path on one core (a million pairs in <= 10 s). The load average
is printed with the figures.

Run: ``make bench`` or ``.venv/bin/python bench/rouge.py [--seconds 3] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TARGET_RATE = 100_000
_VOCABULARY = (
    "no acute cardiopulmonary abnormality disease process heart size normal mild cardiomegaly stable "
    "small left right pleural effusion pneumothorax focal consolidation atelectasis bibasilar opacity "
    "degenerative changes thoracic spine granuloma calcified nodule 2.5 cm 12th rib fracture"
)
_WORDS = tuple(_VOCABULARY.split())
_DECORATIONS = ("", ".", ",", "!!", " -", "...", "é", "°", "–", "\n", " 3", "XXXX")


def impression_pairs() -> list[tuple[str, str]]:
    """Each IU impression against three other reports' impressions: what ``evaluate`` scores."""
    from radimpress.datasets.corpus import load_pairs

    impressions = [r.impression for r in load_pairs()]
    n = len(impressions)
    return [(impressions[(i * step + 1) % n], impressions[i]) for step in (3, 7, 11) for i in range(n)]


def build_pairs(rng: random.Random) -> list[tuple[str, str]]:
    """(prediction, reference) pairs: IU impressions, findings and generated texts (see the docstring)."""
    from radimpress.datasets.corpus import load_pairs

    reports = load_pairs()
    impressions = [r.impression for r in reports]
    pairs = impression_pairs()
    pairs += [(r.findings, r.impression) for r in reports]
    for _ in range(len(reports)):
        words = [rng.choice(_WORDS) + rng.choice(_DECORATIONS) for _ in range(rng.randint(0, 20))]
        pairs.append((" ".join(words), rng.choice(impressions)))
    pairs += [("", impressions[0]), (impressions[0], ""), ("", ""), ("...", "!!"), ("é à ü", "é à ü")]
    return pairs


@dataclass(frozen=True)
class Rate:
    """Pairs/s per round of one backend: median, slowest and fastest round."""

    median: float
    slowest: float
    fastest: float

    def __str__(self) -> str:
        return f"{self.median:>10,.0f} pairs/s (rounds {self.slowest:,.0f} to {self.fastest:,.0f})"


def _rounds(score: Callable[[], object], size: int, seconds: float) -> Rate:
    """Call ``score`` (which scores ``size`` pairs) round after round for ``seconds``, at least 3 times."""
    rates: list[float] = []
    started = time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - started < seconds:
        begun = time.perf_counter()
        scored = score()
        del scored  # freeing the results is part of the cost
        rates.append(size / (time.perf_counter() - begun))
    return Rate(statistics.median(rates), min(rates), max(rates))


def _rate(backend: str, pairs: list[tuple[str, str]], seconds: float) -> Rate:
    """Pairs/s of ``score_pairs(backend=...)`` over rounds of ``pairs``."""
    from radimpress.scoring.rouge import score_pairs

    return _rounds(lambda: score_pairs(pairs, backend=backend), len(pairs), seconds)  # type: ignore[arg-type]


def _package_rate(pairs: list[tuple[str, str]], seconds: float) -> Rate:
    """Pairs/s of ``rouge_score_rs``'s own ``score_batch`` (no conversion to :class:`RougeScores`)."""
    import gc

    from rouge_score_rs import RougeScorer

    from radimpress.scoring.rouge import ROUGE_TYPES

    scorer: Any = RougeScorer(list(ROUGE_TYPES), use_stemmer=False)  # type: ignore[no-untyped-call]
    targets, predictions = [r for _, r in pairs], [p for p, _ in pairs]
    gc.disable()  # as score_pairs does around its batch
    try:
        return _rounds(lambda: scorer.score_batch(targets, predictions), len(pairs), seconds)
    finally:
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per backend (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="native threads of the fast path (default 1)")
    parser.add_argument("--reference-pairs", type=int, default=3_000, help="pairs per rouge_score round")
    args = parser.parse_args(argv)
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # before the fast path's first batch

    from radimpress.scoring.rouge import fast_path_available

    if not fast_path_available():
        print("rouge-score-rs is not installed: no fast path to measure", file=sys.stderr)
        return 1
    pairs = build_pairs(random.Random(20240611))
    rng = random.Random(7)
    sample = rng.sample(pairs, min(args.reference_pairs, len(pairs)))

    from radimpress.scoring.rouge import score_pairs

    reference_scores = score_pairs(sample, backend="rouge_score")
    fast_scores = score_pairs(sample, backend="rouge_score_rs")
    mismatches = sum(a != b for a, b in zip(reference_scores, fast_scores, strict=True))
    reference_rate = _rate("rouge_score", sample, args.seconds)
    fast_rate = _rate("rouge_score_rs", pairs, args.seconds)
    package_rate = _package_rate(pairs, args.seconds)
    impressions = impression_pairs()
    impression_rate = _rate("rouge_score_rs", impressions, args.seconds)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus, load {load}")
    print(f"pairs: {len(pairs):,} (IU impressions, findings, generated); rouge_score on {len(sample):,}")
    print(f"rouge_score:            {reference_rate}")
    print(f"rouge-score-rs:         {fast_rate}  ({args.threads} native thread(s))")
    print(f"  its score_batch alone: {package_rate}")
    print(f"  impressions only:     {impression_rate}  ({len(impressions):,} pairs, no findings)")
    print(f"ratio (medians): the fast path is {fast_rate.median / reference_rate.median:.1f}x rouge_score")
    print(f"mismatches: {mismatches} of {len(sample):,} pairs (any float differing)")
    met = fast_rate.median >= TARGET_RATE and mismatches == 0
    verdict = "met" if met else "NOT met"
    print(f"target >= {TARGET_RATE:,} pairs/s on one core (median round), 0 mismatches: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
