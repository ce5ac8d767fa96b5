"""Benchmark: the embedded engines on the IU dev split, quality and cost side by side in one run.

The split is :func:`radimpress.datasets.split.load_split` (the dev part's normalised findings never occur in
the train part); every engine's index is the train part only. Three engines draft every dev report:

* constant:  the sentence "No acute cardiopulmonary abnormality." for every report
* 1-NN:      ``RetrievalEngine`` (the first nearest-neighbour engine), the baseline
* consensus: ``ConsensusEngine``, the default engine

For each: ROUGE-1/2/L/Lsum means (``radimpress.scoring.rouge``, the study's settings) over all dev reports and
over the abnormal subset (reference impression not a normal statement, :func:`is_normal_impression`),
abstentions (scored as an empty draft, 0, as ``radimpress evaluate`` does), index build time, drafts/s,
p50/p99 latency of one draft and the peak RSS of the process (``resource.getrusage``). Each engine runs in
its own child process so its peak RSS is its own. Targets (issue 4): consensus ROUGE-L mean >= 0.60 over
all dev reports and >= 0.40 over the abnormal subset.

Run: ``make bench`` or ``.venv/bin/python bench/engine.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar

from radimpress.datasets.split import Split, load_split
from radimpress.drafting.engines import Draft, Engine
from radimpress.drafting.engines.consensus.engine import ConsensusEngine
from radimpress.drafting.engines.retrieval import RetrievalEngine
from radimpress.language.normal import is_normal_impression
from radimpress.reading.model import DraftContext
from radimpress.scoring.rouge import ROUGE_TYPES, score_pairs

CONSTANT = "No acute cardiopulmonary abnormality."
TARGETS = {"overall": 0.60, "abnormal": 0.40}  # ROUGE-L means, consensus
ENGINES = ("constant", "1-NN", "consensus")


class ConstantEngine:
    """The constant-sentence baseline behind the Engine interface."""

    name: ClassVar[str] = "constant"
    model_id: ClassVar[str] = "constant"

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        return Draft(CONSTANT, self.name, self.model_id, 0.0)


def _builders(split: Split) -> dict[str, Callable[[], Engine]]:
    return {
        "constant": ConstantEngine,
        "1-NN": lambda: RetrievalEngine((p.findings, p.impression) for p in split.train),
        "consensus": lambda: ConsensusEngine(split.train),
    }


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_one(name: str) -> dict[str, Any]:
    """Build engine ``name`` over the train part, draft every dev report, score; in this process."""
    split = load_split()
    started = time.perf_counter()
    engine = _builders(split)[name]()
    build_s = time.perf_counter() - started
    drafts: list[str] = []
    latencies: list[float] = []
    abstained = 0
    started = time.perf_counter()
    for pair in split.dev:
        began = time.perf_counter()
        draft = engine.draft(pair.findings, pair.context)
        latencies.append((time.perf_counter() - began) * 1000.0)
        abstained += draft.text is None
        drafts.append(draft.text or "")
    elapsed = time.perf_counter() - started
    scores = score_pairs(zip(drafts, (p.impression for p in split.dev), strict=True))
    abnormal = [not is_normal_impression(p.impression) for p in split.dev]

    def means(keep: list[bool]) -> dict[str, float]:
        return {
            metric: statistics.fmean(getattr(s, metric) for s, k in zip(scores, keep, strict=True) if k)
            for metric in ROUGE_TYPES
        }

    return {
        "engine": name,
        "model_id": engine.model_id,
        "train": len(split.train),
        "dev": len(split.dev),
        "abnormal": sum(abnormal),
        "overall": means([True] * len(scores)),
        "abnormal_scores": means(abnormal),
        "abstained": abstained,
        "build_s": build_s,
        "drafts_per_s": len(split.dev) / elapsed,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child(name: str) -> dict[str, Any]:
    done = subprocess.run(  # the same interpreter and script, one engine: its own peak RSS
        [sys.executable, __file__, "--one", name], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _table(results: list[dict[str, Any]]) -> str:
    first = results[0]
    lines = [
        f"IU dev split: {first['dev']} reports ({first['abnormal']} abnormal), index = train part "
        f"({first['train']} reports); python {platform.python_version()} on {platform.machine()}",
        "",
        f"{'engine':<10} {'subset':<9} " + " ".join(f"{m:>9}" for m in ROUGE_TYPES),
    ]
    for r in results:
        for subset, key in (("overall", "overall"), ("abnormal", "abnormal_scores")):
            cells = " ".join(f"{r[key][m]:>9.4f}" for m in ROUGE_TYPES)
            lines.append(f"{r['engine']:<10} {subset:<9} {cells}")
    lines += [
        "",
        f"{'engine':<10} {'build s':>8} {'drafts/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12} "
        f"{'abstained':>9}",
    ]
    lines += [
        f"{r['engine']:<10} {r['build_s']:>8.2f} {r['drafts_per_s']:>9.1f} {r['p50_ms']:>8.2f} "
        f"{r['p99_ms']:>8.2f} {r['peak_rss_mb']:>12.1f} {r['abstained']:>9}"
        for r in results
    ]
    consensus = next(r for r in results if r["engine"] == "consensus")
    lines.append("")
    for subset, key in (("overall", "overall"), ("abnormal", "abnormal_scores")):
        value, target = consensus[key]["rougeL"], TARGETS[subset]
        verdict = "met" if value >= target else "NOT met"
        lines.append(f"target consensus ROUGE-L {subset} >= {target:.2f}: {value:.4f} ({verdict})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--one", choices=ENGINES, help=argparse.SUPPRESS)  # child mode: one engine, JSON
    parser.add_argument("--json", action="store_true", help="print the results as one JSON list")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    results = [_child(name) for name in ENGINES]
    print(json.dumps(results, indent=2) if args.json else _table(results))


if __name__ == "__main__":
    main()
