"""Benchmark: ROUGE pairs/s of ``rouge_score`` and of the fast path (``rouge-score-rs``), in the same run.

The pairs are what ``radimpress evaluate`` and the nightly evaluation score: each IU impression against
another report's impression (three pairings), each report's findings against its impression (long
texts), plus generated drafts with punctuation, numbers, non-ASCII and empty sides. Both backends go
through :func:`radimpress.scoring.score_pairs` (so our per-pair overhead counts), on one core: the fast
path's native thread pool is capped with ``RAYON_NUM_THREADS=1`` before it starts (``--threads`` to
change). Each backend scores the pairs round after round until ``--seconds`` have passed; every pair
``rouge_score`` scored is compared with the fast path's floats and the mismatches are printed.

Target: >= 100,000 pairs/s for the fast path on one core (a million pairs in <= 10 s). The machine may
be shared: the load average is printed with the figures.

Run: ``make bench`` or ``.venv/bin/python bench/rouge.py [--seconds 3] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Sequence

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
    from radimpress.corpus import load_pairs

    impressions = [r.impression for r in load_pairs()]
    n = len(impressions)
    return [(impressions[(i * step + 1) % n], impressions[i]) for step in (3, 7, 11) for i in range(n)]


def build_pairs(rng: random.Random) -> list[tuple[str, str]]:
    """(prediction, reference) pairs: IU impressions, findings and generated texts (see the docstring)."""
    from radimpress.corpus import load_pairs

    reports = load_pairs()
    impressions = [r.impression for r in reports]
    pairs = impression_pairs()
    pairs += [(r.findings, r.impression) for r in reports]
    for _ in range(len(reports)):
        words = [rng.choice(_WORDS) + rng.choice(_DECORATIONS) for _ in range(rng.randint(0, 20))]
        pairs.append((" ".join(words), rng.choice(impressions)))
    pairs += [("", impressions[0]), (impressions[0], ""), ("", ""), ("...", "!!"), ("é à ü", "é à ü")]
    return pairs


def _rate(backend: str, pairs: list[tuple[str, str]], seconds: float) -> tuple[float, list[object]]:
    """Pairs/s of ``score_pairs(backend=...)`` over rounds of ``pairs``, and the first round's scores."""
    from radimpress.scoring import score_pairs

    scored = 0
    first: list[object] = []
    started = time.perf_counter()
    while True:
        scores = score_pairs(pairs, backend=backend)  # type: ignore[arg-type]
        if not first:
            first = list(scores)
        scored += len(pairs)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return scored / elapsed, first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per backend (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="native threads of the fast path (default 1)")
    parser.add_argument("--reference-pairs", type=int, default=3_000, help="pairs per rouge_score round")
    args = parser.parse_args(argv)
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # before the fast path's first batch

    from radimpress.scoring import fast_path_available

    if not fast_path_available():
        print("rouge-score-rs is not installed: no fast path to measure", file=sys.stderr)
        return 1
    pairs = build_pairs(random.Random(20240611))
    rng = random.Random(7)
    sample = rng.sample(pairs, min(args.reference_pairs, len(pairs)))

    reference_rate, reference_scores = _rate("rouge_score", sample, args.seconds)
    fast_rate, _ = _rate("rouge_score_rs", pairs, args.seconds)
    impressions = impression_pairs()
    impression_rate, _ = _rate("rouge_score_rs", impressions, args.seconds)
    _, fast_scores = _rate("rouge_score_rs", sample, 0.0)
    mismatches = sum(a != b for a, b in zip(reference_scores, fast_scores, strict=True))

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus, load {load}")
    print(f"pairs: {len(pairs):,} (IU impressions, findings, generated); rouge_score on {len(sample):,}")
    print(f"rouge_score:      {reference_rate:>12,.0f} pairs/s")
    print(f"rouge-score-rs:   {fast_rate:>12,.0f} pairs/s  ({args.threads} native thread(s))")
    print(f"  impressions only: {impression_rate:>10,.0f} pairs/s  ({len(impressions):,} pairs, no findings)")
    print(f"ratio: the fast path is {fast_rate / reference_rate:.1f}x rouge_score")
    print(f"mismatches: {mismatches} of {len(sample):,} pairs (any float differing)")
    met = fast_rate >= TARGET_RATE and mismatches == 0
    print(f"target >= {TARGET_RATE:,} pairs/s on one core, 0 mismatches: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
