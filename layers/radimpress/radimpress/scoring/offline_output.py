"""What ``radimpress evaluate`` prints and writes: the JSON object, the text tables, the drafts file.

The figures are computed once by :func:`radimpress.scoring.offline.evaluate`; this module only lays them
out. ``--drafts FILE`` writes one JSON line per report (:func:`write_drafts`) so a reviewer can read each
draft beside the findings and the radiologist's impression with its scores and flags.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, TextIO

from radimpress.drafting.safety import FlagKind
from radimpress.language.fluency import FluencyKind
from radimpress.scoring.offline import Evaluation, FlagSummary
from radimpress.scoring.rouge import ROUGE_TYPES
from radimpress.scoring.study_table import StudyTable, format_table, text_grid

__all__ = ["evaluation_to_json", "format_evaluation", "write_drafts"]


def _subset(table: StudyTable, metrics: Sequence[str]) -> dict[str, Any]:
    return {"count": table.count, **{name: table.metric(name).as_dict() for name in metrics}}


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    """One JSON-ready object: ``count``, per metric pandas' describe() labels, ``abnormal`` and ``normal``
    (count and ROUGE-L), ``flags`` (``draft`` and ``radiologist``: per kind, flagged, checked, rate),
    ``observations`` (``all`` and ``abnormal``: micro and per-observation CheXpert F1 of the drafts against
    the radiologists'), ``fluency`` (``draft`` and ``radiologist``: problems per kind, texts affected),
    ``abstained`` and more (engine, model_id, abstention reasons, latency)."""
    table = evaluation.table
    return {
        "count": table.count,
        **{name: table.metric(name).as_dict() for name in ROUGE_TYPES},
        "abnormal": _subset(evaluation.abnormal, ("rougeL",)),
        "normal": _subset(evaluation.normal, ("rougeL",)),
        "flags": {
            "draft": evaluation.draft_flags.as_dict(),
            "radiologist": evaluation.reference_flags.as_dict(),
        },
        "observations": {
            "all": evaluation.observations.as_dict(),
            "abnormal": evaluation.abnormal_observations.as_dict(),
        },
        "fluency": {
            "draft": evaluation.draft_fluency.as_dict(),
            "radiologist": evaluation.reference_fluency.as_dict(),
        },
        "abstained": evaluation.abstained,
        "abstention_reasons": dict(evaluation.abstention_reasons),
        "engine": evaluation.engine,
        "model_id": evaluation.model_id,
        "evaluated": evaluation.description,
        "latency_ms": evaluation.latency_ms.as_dict(),
        "peak_rss_mb": evaluation.peak_rss_mb,
        "seconds": evaluation.seconds,
    }


def _number(value: float | None) -> str:
    return "NaN" if value is None or math.isnan(value) else f"{value:.4f}"


def _ms(value: float | None) -> str:
    return "NaN" if value is None else f"{value:.2f} ms"


def _rate(summary: FlagSummary) -> str:
    rate = summary.rate
    return f"{summary.flagged} ({'NaN' if rate is None else f'{rate:.1%}'})"


def format_evaluation(evaluation: Evaluation) -> str:
    """The text ``radimpress evaluate`` prints: the study's table, the split, the flags, the rest."""
    split = [["subset", "count", *(f"{name} mean" for name in ROUGE_TYPES)]]
    for label, table in (
        ("all", evaluation.table),
        ("normal", evaluation.normal),
        ("abnormal", evaluation.abnormal),
    ):
        split.append([label, str(table.count), *(_number(table.metric(n).mean) for n in ROUGE_TYPES)])
    flags = [["safety flags", "draft", "radiologist"]]
    for kind in FlagKind:
        flags.append(
            [
                kind.value,
                str(evaluation.draft_flags.counts[kind.value]),
                str(evaluation.reference_flags.counts[kind.value]),
            ]
        )
    flags.append(["texts flagged", _rate(evaluation.draft_flags), _rate(evaluation.reference_flags)])
    flags.append(
        ["texts checked", str(evaluation.draft_flags.checked), str(evaluation.reference_flags.checked)]
    )
    every, abnormal = evaluation.observations.overall, evaluation.abnormal_observations.overall
    observations = [
        ["observation F1", "all", "abnormal"],
        ["precision", _number(every.precision), _number(abnormal.precision)],
        ["recall", _number(every.recall), _number(abnormal.recall)],
        ["F1", _number(every.f1), _number(abnormal.f1)],
    ]
    fluency = [["fluency problems", "draft", "radiologist"]]
    for problem in FluencyKind:
        fluency.append(
            [
                problem.value,
                str(evaluation.draft_fluency.counts[problem.value]),
                str(evaluation.reference_fluency.counts[problem.value]),
            ]
        )
    fluency.append(
        ["texts affected", str(evaluation.draft_fluency.affected), str(evaluation.reference_fluency.affected)]
    )
    reasons = ", ".join(f"{reason} {count}" for reason, count in evaluation.abstention_reasons.items())
    latency = evaluation.latency_ms
    lines = [
        f"engine: {evaluation.engine} ({evaluation.model_id})",
        f"evaluated: {evaluation.description}" if evaluation.description else "",
        "",
        format_table(evaluation.table).rstrip("\n"),
        "",
        *text_grid(split),
        "",
        *text_grid(flags),
        "",
        *text_grid(observations),
        "",
        *text_grid(fluency),
        "",
        f"abstained: {evaluation.abstained}" + (f" ({reasons})" if reasons else ""),
        f"latency per draft: mean {_ms(latency.mean)}, p50 {_ms(latency.p50)}, p75 {_ms(latency.p75)}, "
        f"max {_ms(latency.max)}; whole run {evaluation.seconds:.1f} s"
        + ("" if evaluation.peak_rss_mb is None else f", peak RSS {evaluation.peak_rss_mb:,.0f} MiB"),
    ]
    return "\n".join(line for i, line in enumerate(lines) if line or i != 1) + "\n"


def write_drafts(evaluation: Evaluation, out: TextIO) -> int:
    """One JSON line per evaluated report: id, findings (as drafted from), draft (``null`` when the engine
    abstained, with its reason), reference, ROUGE, observation F1, flag codes of the draft and of the
    reference, and fluency problems. Returns the number of lines written."""
    for result in evaluation.results:
        row = {
            "id": result.id,
            "findings": result.findings,
            "draft": result.draft.text,
            "abstained_reason": result.draft.abstained_reason,
            "reference": result.reference,
            "normal": result.normal,
            "rouge": {name: round(value, 4) for name, value in result.scores.as_dict().items()},
            "observation_f1": round(result.observation_f1, 4),
            "flags": [flag.code for flag in result.draft_flags],
            "reference_flags": [flag.code for flag in result.reference_flags],
            "fluency": [f"{problem.kind.value}:{problem.word}" for problem in result.draft_fluency],
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(evaluation.results)
