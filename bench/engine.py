"""Benchmark: the embedded engines on the IU reports, quality and cost side by side in one run.

Two evaluation sets. **dev**: :func:`radimpress.datasets.split.load_split` (the dev part's normalised
findings never occur in the train part); every engine's index is the train part only. **study**: the
study's format, 2,000 IU reports (the bundled pairs with the lowest sha256 of their id) drafted from an index
of the other bundled pairs. Three engines draft every report:

* constant:  the sentence "No acute cardiopulmonary abnormality." for every report
* 1-NN:      ``RetrievalEngine`` (the first nearest-neighbour engine), the baseline
* consensus: ``ConsensusEngine``, the default engine

For each: ROUGE-1/2/L/Lsum means (``radimpress.scoring.rouge``, the study's settings) over all dev reports and
over the abnormal subset (reference impression not a normal statement, :func:`is_normal_impression`),
abstentions (scored as an empty draft, 0, as ``radimpress evaluate`` does), index build time, drafts/s,
p50/p99 latency of one draft and the peak RSS of the process (``resource.getrusage``). Each engine runs in
its own child process so its peak RSS is its own. Beside ROUGE, per engine: CheXpert observation F1 of the
drafts against the radiologists' impressions (``radimpress.scoring.observations``, all and abnormal), the
ROUGE-L of the same reports with their findings wrapped at 60 columns (as a line-per-OBX feed sends them),
the drafts with a fluency problem (cut sentence, "..", dangling numbering) and the drafts with a safety
flag, next to the radiologists' own impressions flagged the same way.

Targets (issue 10), consensus: ROUGE-L >= 0.66 overall and >= 0.42 on the abnormal subset; wrapped within
0.005 of flat; observation F1 on the abnormal subset >= 1-NN's + 0.10; no fluency problem; a draft flag rate
no higher than the radiologists'; >= 100 drafts/s on one core.

Run: ``make bench`` or ``.venv/bin/python bench/engine.py [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.datasets.samplefeed.reports import iu_reports_path
from radimpress.datasets.split import load_split
from radimpress.drafting.engines import Draft, Engine
from radimpress.drafting.engines.consensus.engine import ConsensusEngine
from radimpress.drafting.engines.retrieval import RetrievalEngine
from radimpress.drafting.safety import flag_draft
from radimpress.language.fluency import fluency_problems
from radimpress.language.normal import is_normal_impression
from radimpress.reading.model import DraftContext
from radimpress.scoring.observations import observation_summary
from radimpress.scoring.rouge import ROUGE_TYPES, RougeScores, score_pairs

CONSTANT = "No acute cardiopulmonary abnormality."
TARGETS = {"overall": 0.66, "abnormal": 0.42}  # ROUGE-L means, consensus
ENGINES = ("constant", "1-NN", "consensus")
SETS = ("dev", "study")
STUDY_REPORTS = 2000
WRAP = 60


class ConstantEngine:
    """The constant-sentence baseline behind the Engine interface."""

    name: ClassVar[str] = "constant"
    model_id: ClassVar[str] = "constant"

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        return Draft(CONSTANT, self.name, self.model_id, 0.0)


def _builders(index: Sequence[ReportPair]) -> dict[str, Callable[[], Engine]]:
    return {
        "constant": ConstantEngine,
        "1-NN": lambda: RetrievalEngine((p.findings, p.impression) for p in index),
        "consensus": lambda: ConsensusEngine(index),
    }


def evaluation_set(name: str) -> tuple[list[ReportPair], list[ReportPair]]:
    """(reports to draft, index) of the set ``name``."""
    if name == "dev":
        split = load_split()
        return list(split.dev), list(split.train)
    pairs = sorted(load_pairs(iu_reports_path()), key=lambda p: hashlib.sha256(p.id.encode()).hexdigest())
    return pairs[:STUDY_REPORTS], pairs[STUDY_REPORTS:]


def _wrapped(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), width=WRAP, break_long_words=False))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_one(name: str, set_name: str = "dev") -> dict[str, Any]:
    """Build engine ``name`` over the set's index, draft every report (flat and wrapped), score."""
    reports, index = evaluation_set(set_name)
    started = time.perf_counter()
    engine = _builders(index)[name]()
    build_s = time.perf_counter() - started
    drafts: list[str] = []
    latencies: list[float] = []
    abstained = 0
    started = time.perf_counter()
    for pair in reports:
        began = time.perf_counter()
        draft = engine.draft(pair.findings, pair.context)
        latencies.append((time.perf_counter() - began) * 1000.0)
        abstained += draft.text is None
        drafts.append(draft.text or "")
    elapsed = time.perf_counter() - started
    wrapped = [engine.draft(_wrapped(pair.findings), pair.context).text or "" for pair in reports]
    references = [p.impression for p in reports]
    scores = score_pairs(zip(drafts, references, strict=True))
    wrapped_scores = score_pairs(zip(wrapped, references, strict=True))
    abnormal = [not is_normal_impression(p.impression) for p in reports]

    def means(keep: list[bool], of: list[RougeScores] = scores) -> dict[str, float]:
        return {
            metric: statistics.fmean(getattr(s, metric) for s, k in zip(of, keep, strict=True) if k)
            for metric in ROUGE_TYPES
        }

    def observed(keep: list[bool]) -> float:
        pairs = [(d, r) for d, r, k in zip(drafts, references, keep, strict=True) if k]
        return observation_summary(pairs).overall.f1

    every = [True] * len(reports)
    return {
        "engine": name,
        "set": set_name,
        "model_id": engine.model_id,
        "index": len(index),
        "reports": len(reports),
        "abnormal": sum(abnormal),
        "overall": means(every),
        "abnormal_scores": means(abnormal),
        "wrapped_rougeL": {
            "overall": means(every, wrapped_scores)["rougeL"],
            "abnormal": means(abnormal, wrapped_scores)["rougeL"],
        },
        "changed_when_wrapped": sum(a != b for a, b in zip(drafts, wrapped, strict=True)),
        "observation_f1": {"overall": observed(every), "abnormal": observed(abnormal)},
        "fluency_problems": sum(1 for d in drafts if d and fluency_problems(d)),
        "flagged": sum(
            1
            for d, p in zip(drafts, reports, strict=True)
            if d and flag_draft(p.findings, d, comparison=p.comparison)
        ),
        "radiologists_flagged": sum(
            1 for p in reports if flag_draft(p.findings, p.impression, comparison=p.comparison)
        ),
        "radiologists_fluency_problems": sum(1 for p in reports if fluency_problems(p.impression)),
        "abstained": abstained,
        "build_s": build_s,
        "drafts_per_s": len(reports) / elapsed,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child(name: str, set_name: str) -> dict[str, Any]:
    done = subprocess.run(  # the same interpreter and script, one engine: its own peak RSS
        [sys.executable, __file__, "--one", name, "--set", set_name],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _table(results: list[dict[str, Any]]) -> str:
    first = results[0]
    title = (
        f"IU dev split: {first['reports']} reports ({first['abnormal']} abnormal), index = train part "
        f"({first['index']} reports)"
        if first["set"] == "dev"
        else f"study format: {first['reports']} IU reports ({first['abnormal']} abnormal), index = the other "
        f"{first['index']} bundled reports"
    )
    lines = [
        f"{title}; python {platform.python_version()} on {platform.machine()}",
        "",
        f"{'engine':<10} {'subset':<9} "
        + " ".join(f"{m:>9}" for m in ROUGE_TYPES)
        + f" {'wrapped L':>9} {'obs F1':>7}",
    ]
    for r in results:
        for subset, key in (("overall", "overall"), ("abnormal", "abnormal_scores")):
            cells = " ".join(f"{r[key][m]:>9.4f}" for m in ROUGE_TYPES)
            lines.append(
                f"{r['engine']:<10} {subset:<9} {cells} {r['wrapped_rougeL'][subset]:>9.4f} "
                f"{r['observation_f1'][subset]:>7.4f}"
            )
    lines += [
        "",
        f"{'engine':<10} {'build s':>8} {'drafts/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12} "
        f"{'abstained':>9} {'wrap-changed':>12} {'fluency':>8} {'flagged':>8}",
    ]
    lines += [
        f"{r['engine']:<10} {r['build_s']:>8.2f} {r['drafts_per_s']:>9.1f} {r['p50_ms']:>8.2f} "
        f"{r['p99_ms']:>8.2f} {r['peak_rss_mb']:>12.1f} {r['abstained']:>9} {r['changed_when_wrapped']:>12} "
        f"{r['fluency_problems']:>8} {r['flagged']:>8}"
        for r in results
    ]
    lines.append(
        f"{'radiologists':<10} (their own impressions) {'':>48} "
        f"{first['radiologists_fluency_problems']:>8} {first['radiologists_flagged']:>8}"
    )
    consensus = next(r for r in results if r["engine"] == "consensus")
    nearest = next(r for r in results if r["engine"] == "1-NN")
    lines.append("")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for subset, key in (("overall", "overall"), ("abnormal", "abnormal_scores")):
        value, target = consensus[key]["rougeL"], TARGETS[subset]
        lines.append(
            f"target consensus ROUGE-L {subset} >= {target:.2f}: {value:.4f} ({verdict(value >= target)})"
        )
    gap = max(
        abs(consensus["wrapped_rougeL"][s] - consensus[k]["rougeL"])
        for s, k in (("overall", "overall"), ("abnormal", "abnormal_scores"))
    )
    lines.append(f"target wrapped within 0.005 of flat: largest gap {gap:.4f} ({verdict(gap <= 0.005)})")
    obs, base = consensus["observation_f1"]["abnormal"], nearest["observation_f1"]["abnormal"]
    lines.append(
        f"target observation F1 abnormal >= 1-NN + 0.10: {obs:.4f} vs {base:.4f} + 0.10 "
        f"({verdict(obs >= base + 0.10)})"
    )
    lines.append(
        f"target no fluency problem: {consensus['fluency_problems']} drafts "
        f"({verdict(consensus['fluency_problems'] == 0)})"
    )
    flagged, own = consensus["flagged"], consensus["radiologists_flagged"]
    lines.append(f"target draft flag rate <= radiologists': {flagged} vs {own} ({verdict(flagged <= own)})")
    rate = consensus["drafts_per_s"]
    lines.append(f"target >= 100 drafts/s on one core: {rate:.1f} ({verdict(rate >= 100)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--one", choices=ENGINES, help=argparse.SUPPRESS)  # child mode: one engine, JSON
    parser.add_argument("--set", choices=SETS, help="only this evaluation set (default: both)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON list")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.set or "dev")))
        return
    sets = [args.set] if args.set else list(SETS)
    results = {name: [_child(engine, name) for engine in ENGINES] for name in sets}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("\n\n".join(_table(rows) for rows in results.values()))


if __name__ == "__main__":
    main()
