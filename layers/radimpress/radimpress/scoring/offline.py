"""Offline evaluation of an engine on reports with known impressions: ROUGE, the normal/abnormal split,
safety flags beside the radiologists' own, abstentions and latency. ``radimpress evaluate`` runs it.

**What is evaluated against what.** :func:`plan_evaluation` turns the command's options into the pairs to
draft and the index the engine retrieves from:

- ``reports`` (our JSONL or the MEDIQA-2021 JSON list, :mod:`radimpress.datasets.corpus`) and ``index`` (the
same
  formats; default: the bundled IU reports, the engines' own default). When both are the same file the
  engine would find every report in its index and read the radiologist's impression back, so the run is
  **leave-one-out**: the engine is built with ``exclude_identical_findings=True`` and skips indexed reports
  whose normalised findings equal the query's.
- ``split="dev"``: the dev part of ``reports`` (default the bundled IU reports) against its train part
  (:func:`radimpress.datasets.split.load_split`: no dev findings occur in train). No leave-one-out is needed.

An index the engine cannot read as is (the MEDIQA list, or the train part of a split) is handed to the
engine as a temporary JSONL file for the length of the run (:func:`open_engine`).

**Scoring.** Every pair is scored, through :func:`radimpress.scoring.rouge.score_pairs` (one batch, the fast
path when installed: the floats are ``rouge_score``'s). An abstention scores as an empty draft (0): an
engine cannot raise its ROUGE by abstaining on the hard reports. Abstentions are counted, and have no
flags. A report is *normal* when its reference impression is a normal statement
(:func:`radimpress.datasets.split.is_normal_impression`); the abnormal subset is where drafting is
informative.

**Flags.** :func:`radimpress.drafting.safety.flag_draft` on each draft, and on each radiologist's impression
(findings vs reference impression, with the report's comparison section) as the baseline rate.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.datasets.split import load_split
from radimpress.drafting.engines import Draft, Engine, build_engine
from radimpress.drafting.safety import Flag, FlagKind, flag_draft
from radimpress.errors import ConfigurationError
from radimpress.language.fluency import FluencyKind, FluencyProblem, fluency_problems
from radimpress.language.normal import is_normal_impression
from radimpress.scoring.observations import ObservationSummary, observation_f1, observation_summary
from radimpress.scoring.rouge import RougeScores, score_pairs
from radimpress.scoring.study_table import (
    MetricSummary,
    StudyTable,
    study_table,
    summarize,
)

__all__ = [
    "Evaluation",
    "EvaluationPlan",
    "FlagSummary",
    "FluencySummary",
    "PairResult",
    "ProgressBar",
    "evaluate",
    "open_engine",
    "open_index_engine",
    "plan_evaluation",
]

Progress = Callable[[int, int], None]


# --- what to evaluate -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvaluationPlan:
    """The pairs to draft, the index to draft from and how the two relate.

    ``index_path`` is a file the engine reads (``None``: the engine's default, the bundled IU reports);
    ``index_pairs`` an in-memory index (the train part of a split, or a MEDIQA file) that
    :func:`open_engine` hands over as a temporary JSONL file. At most one of the two is set.
    """

    pairs: tuple[ReportPair, ...]
    index_path: Path | None
    index_pairs: tuple[ReportPair, ...] | None
    leave_one_out: bool
    description: str


def _bundled() -> Path:
    from radimpress.datasets.samplefeed.reports import iu_reports_path  # noqa: PLC0415 - only when a default is needed

    return iu_reports_path()


def _is_json_list(path: Path) -> bool:
    """Whether ``path`` holds the MEDIQA JSON list (first non-blank character ``[``) rather than JSONL."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    return line.lstrip().startswith("[")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the reports file: {exc}", where=str(path)) from exc
    return False


def plan_evaluation(
    *,
    reports: str | Path | None = None,
    index: str | Path | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> EvaluationPlan:
    """The plan for ``radimpress evaluate`` (see the module docstring); ``limit`` keeps the first pairs.

    Raises :class:`ConfigurationError` for a missing ``reports`` without a split, ``index`` with a split,
    an unknown split or a file without usable pairs.
    """
    if limit is not None and limit < 1:
        raise ConfigurationError("limit must be at least 1", where="limit")
    if split is not None:
        if split != "dev":
            raise ConfigurationError(f"unknown split {split!r}; known: dev", where="split")
        if index is not None:
            raise ConfigurationError(
                "a split evaluates dev against its own train part: no index", where="index"
            )
        source = Path(reports) if reports is not None else _bundled()
        parts = load_split(source)
        dev = parts.dev[:limit] if limit else parts.dev
        description = (
            f"dev split of {source.name} ({len(parts.dev):,} pairs) against its train part "
            f"({len(parts.train):,} pairs; no dev findings occur in train)"
        )
        plan = EvaluationPlan(dev, None, parts.train, False, description)
    else:
        if reports is None:
            raise ConfigurationError("give the reports to evaluate (or a split)", where="reports")
        reports_path = Path(reports)
        index_path = Path(index) if index is not None else _bundled()
        every = load_pairs(reports_path)
        pairs = every[:limit] if limit else every
        leave_one_out = reports_path.resolve() == index_path.resolve()
        index_pairs = tuple(load_pairs(index_path)) if _is_json_list(index_path) else None
        index_name = "the bundled IU reports" if index is None else index_path.name
        description = f"{reports_path.name} ({len(every):,} pairs) against {index_name}" + (
            " (leave-one-out: indexed reports with the same normalised findings are skipped)"
            if leave_one_out
            else ""
        )
        explicit = None if index is None or index_pairs is not None else index_path
        plan = EvaluationPlan(tuple(pairs), explicit, index_pairs, leave_one_out, description)
    if not plan.pairs:
        raise ConfigurationError(
            "no report with both findings and an impression to evaluate", where="reports"
        )
    return plan


def _pair_row(pair: ReportPair) -> dict[str, str]:
    row = {"id": pair.id, "findings": pair.findings, "impression": pair.impression}
    optional = {
        "indication": pair.indication,
        "comparison": pair.comparison,
        "procedure_code": pair.procedure_code,
        "procedure_text": pair.procedure_text,
        "interpreter": pair.interpreter,
    }
    row.update({key: value for key, value in optional.items() if value is not None})
    return row


@contextlib.contextmanager
def open_engine(
    plan: EvaluationPlan, name: str | None = None, options: Mapping[str, Any] | None = None
) -> Iterator[Engine]:
    """The engine ``name`` (default: :func:`~radimpress.drafting.engines.build_engine`'s) over the plan's
    index, leave-one-out when the plan says so, with any further engine ``options`` (e.g. a checkpoint). The
    index reaches the engine as the options ``path`` and ``exclude_identical_findings``: an engine that
    takes neither (a seq2seq model) is evaluated on reports other than the bundled ones, without
    ``index``. An in-memory index lives in a temporary file until exit."""
    options = dict(options or {})
    if plan.leave_one_out:
        options["exclude_identical_findings"] = True
    with tempfile.TemporaryDirectory(prefix="radimpress-index-") as directory:
        if plan.index_pairs is not None:
            path = Path(directory) / "index.jsonl"
            lines = (json.dumps(_pair_row(pair), ensure_ascii=False) + "\n" for pair in plan.index_pairs)
            path.write_text("".join(lines), encoding="utf-8")
            options["path"] = path
        elif plan.index_path is not None:
            options["path"] = plan.index_path
        yield build_engine(**options) if name is None else build_engine(name, **options)


def open_index_engine(
    index: str | Path | None = None, name: str | None = None, options: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[Engine]:
    """The engine ``name`` over ``index`` (JSONL or MEDIQA JSON; default the engine's own), as
    :func:`open_engine` builds it: for ``radimpress draft``."""
    path = Path(index) if index is not None else None
    pairs = tuple(load_pairs(path)) if path is not None and _is_json_list(path) else None
    plan = EvaluationPlan((), None if pairs is not None else path, pairs, False, "")
    return open_engine(plan, name, options)


# --- the run ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairResult:
    """One evaluated report: the draft, its scores (0 for an abstention), both sets of flags, the
    observation F1 of the draft against the reference and the draft's fluency problems. ``findings`` are
    as the engine read them (re-wrapped when the run wraps)."""

    id: str
    draft: Draft
    reference: str
    scores: RougeScores
    normal: bool
    draft_flags: tuple[Flag, ...]
    reference_flags: tuple[Flag, ...]
    findings: str = ""
    observation_f1: float = 1.0
    draft_fluency: tuple[FluencyProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class FlagSummary:
    """Flags over a set of texts: how many of each kind, and how many texts had at least one."""

    counts: Mapping[str, int]
    flagged: int
    checked: int

    @property
    def rate(self) -> float | None:
        """The share of checked texts with a flag; ``None`` when none was checked."""
        return self.flagged / self.checked if self.checked else None

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "flagged": self.flagged, "checked": self.checked, "rate": self.rate}


@dataclass(frozen=True, slots=True)
class FluencySummary:
    """Fluency problems over a set of texts: per kind, and how many texts had at least one."""

    counts: Mapping[str, int]
    affected: int
    checked: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "affected": self.affected, "checked": self.checked}


def _fluency_summary(problem_sets: Sequence[tuple[FluencyProblem, ...]]) -> FluencySummary:
    counts = Counter(problem.kind.value for problems in problem_sets for problem in problems)
    return FluencySummary(
        counts={kind.value: counts.get(kind.value, 0) for kind in FluencyKind},
        affected=sum(1 for problems in problem_sets if problems),
        checked=len(problem_sets),
    )


def _flag_summary(flag_sets: Sequence[tuple[Flag, ...]]) -> FlagSummary:
    counts = Counter(flag.kind.value for flags in flag_sets for flag in flags)
    return FlagSummary(
        counts={kind.value: counts.get(kind.value, 0) for kind in FlagKind},
        flagged=sum(1 for flags in flag_sets if flags),
        checked=len(flag_sets),
    )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything ``radimpress evaluate`` prints, computed once."""

    engine: str
    model_id: str
    description: str
    results: tuple[PairResult, ...] = field(repr=False)
    table: StudyTable
    normal: StudyTable
    abnormal: StudyTable
    draft_flags: FlagSummary
    reference_flags: FlagSummary
    observations: ObservationSummary
    abnormal_observations: ObservationSummary
    draft_fluency: FluencySummary
    reference_fluency: FluencySummary
    abstained: int
    abstention_reasons: Mapping[str, int]
    latency_ms: MetricSummary
    seconds: float
    peak_rss_mb: float | None = None


def evaluate(
    pairs: Sequence[ReportPair],
    engine: Engine,
    *,
    use_stemmer: bool = False,
    progress: Progress | None = None,
    description: str = "",
    wrap: int | None = None,
) -> Evaluation:
    """Draft every pair's findings with ``engine``, then score and flag (see the module docstring).

    ``wrap``: the findings are first wrapped at that many columns with ``\\n``, as a feed that sends one
    line per OBX or a text report at a fixed width does (the drafts should not change). ``progress(done,
    total)`` is called after each draft. Deterministic for a deterministic engine.
    """
    started = time.perf_counter()
    if wrap is not None:
        if wrap < 10:
            raise ConfigurationError("wrap must be at least 10 columns", where="wrap")
        pairs = [replace(pair, findings=_wrapped(pair.findings, wrap)) for pair in pairs]
    drafts: list[Draft] = []
    for done, pair in enumerate(pairs, start=1):
        drafts.append(engine.draft(pair.findings, pair.context))
        if progress is not None:
            progress(done, len(pairs))
    scores = score_pairs(
        ((draft.text or "", pair.impression) for draft, pair in zip(drafts, pairs, strict=True)),
        use_stemmer=use_stemmer,
    )
    results = tuple(
        PairResult(
            id=pair.id,
            draft=draft,
            reference=pair.impression,
            scores=score,
            normal=is_normal_impression(pair.impression),
            draft_flags=()
            if draft.text is None
            else flag_draft(pair.findings, draft.text, comparison=pair.comparison),
            reference_flags=flag_draft(pair.findings, pair.impression, comparison=pair.comparison),
            findings=pair.findings,
            observation_f1=observation_f1(draft.text or "", pair.impression),
            draft_fluency=() if draft.text is None else fluency_problems(draft.text),
        )
        for pair, draft, score in zip(pairs, drafts, scores, strict=True)
    )
    answered = [r for r in results if not r.draft.abstained]
    reasons = Counter(r.draft.abstained_reason for r in results if r.draft.abstained_reason is not None)
    return Evaluation(
        engine=engine.name,
        model_id=engine.model_id,
        description=description,
        results=results,
        table=study_table([r.scores for r in results]),
        normal=study_table([r.scores for r in results if r.normal]),
        abnormal=study_table([r.scores for r in results if not r.normal]),
        draft_flags=_flag_summary([r.draft_flags for r in answered]),
        reference_flags=_flag_summary([r.reference_flags for r in results]),
        observations=observation_summary((r.draft.text or "", r.reference) for r in results),
        abnormal_observations=observation_summary(
            (r.draft.text or "", r.reference) for r in results if not r.normal
        ),
        draft_fluency=_fluency_summary([r.draft_fluency for r in answered]),
        reference_fluency=_fluency_summary([fluency_problems(r.reference) for r in results]),
        abstained=len(results) - len(answered),
        abstention_reasons=dict(sorted(reasons.items())),
        latency_ms=summarize([r.draft.latency_ms for r in results]),
        seconds=time.perf_counter() - started,
        peak_rss_mb=_peak_rss_mb(),
    )


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), width=width, break_long_words=False))


def _peak_rss_mb() -> float | None:
    """The process' peak resident memory so far (index, engine, run), in MiB; ``None`` off Unix."""
    try:
        import resource  # noqa: PLC0415 - Unix only
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


class ProgressBar:
    """A one-line progress bar on a terminal stream (stderr), redrawn at most every ``interval`` seconds
    and at the end, where it ends the line. Call it as a ``progress(done, total)`` callback."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        label: str = "drafting",
        width: int = 30,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._label = label
        self._width = width
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._drawn = -math.inf

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        finished = done >= total
        if not finished and now - self._drawn < self._interval:
            return
        self._drawn = now
        share = done / total if total else 1.0
        filled = int(share * self._width)
        elapsed = now - self._started
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{self._label} {done:>{len(str(total))}}/{total} [{bar}] {share:4.0%} {rate}")
        if finished:
            self._stream.write("\n")
        self._stream.flush()
