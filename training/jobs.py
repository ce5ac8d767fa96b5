"""``status``: where a fine-tuning job is, as a progress bar over the metrics the job tracks.

The job's ``DescribeTrainingJob`` answer holds its state, the hyperparameters it was started with and the
latest value of every metric its regexes matched (``FinalMetricDataList``, updated while it runs). The
progress is the tracked ``epoch`` metric over the ``epoch`` hyperparameter; before the first epoch is
logged (or for a job that tracks none) it falls back to the share of the maximum runtime elapsed, and says
so. Losses are shown as last seen. ``--watch`` polls until the job stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from radimpress.errors import RadimpressError

__all__ = ["TERMINAL_STATES", "JobProgress", "SageMakerJobs", "format_progress", "job_progress", "main"]

TERMINAL_STATES = frozenset({"Completed", "Failed", "Stopped"})


class SageMakerJobs(Protocol):
    def describe_training_job(self, **request: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class JobProgress:
    name: str
    status: str
    secondary_status: str | None
    fraction: float
    basis: str  # "epoch" or "runtime"
    metrics: Mapping[str, float]
    elapsed_seconds: float
    failure_reason: str | None = None


def _hyperparameter(value: object) -> str | None:
    # the SDK JSON-encodes hyperparameter values ('"3"'), boto3 callers send them bare ('3')
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        return value
    return str(decoded)


def _short(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def job_progress(description: Mapping[str, Any], *, now: datetime) -> JobProgress:
    """The progress of a described job at ``now``."""
    metrics = {
        _short(str(m["MetricName"])): float(m["Value"]) for m in description.get("FinalMetricDataList", ())
    }
    started = description.get("TrainingStartTime") or description.get("CreationTime")
    ended = description.get("TrainingEndTime")
    status = str(description["TrainingJobStatus"])
    until = ended if ended is not None and status in TERMINAL_STATES else now
    elapsed = max(0.0, (until - started).total_seconds()) if isinstance(started, datetime) else 0.0
    epochs_text = _hyperparameter(description.get("HyperParameters", {}).get("epoch"))
    epochs = float(epochs_text) if epochs_text and epochs_text.replace(".", "", 1).isdigit() else None
    if "epoch" in metrics and epochs:
        fraction, basis = metrics["epoch"] / epochs, "epoch"
    else:
        limit = float(description.get("StoppingCondition", {}).get("MaxRuntimeInSeconds") or 0)
        fraction, basis = (elapsed / limit if limit else 0.0), "runtime"
    if status == "Completed":
        fraction = 1.0
    return JobProgress(
        name=str(description["TrainingJobName"]),
        status=status,
        secondary_status=description.get("SecondaryStatus"),
        fraction=min(1.0, max(0.0, fraction)),
        basis=basis,
        metrics=metrics,
        elapsed_seconds=elapsed,
        failure_reason=description.get("FailureReason"),
    )


def format_progress(progress: JobProgress, *, width: int = 30) -> str:
    """``name  [#######.....]  42%  InProgress/Training  train-loss 0.81  eval-loss 0.77  1h02m``."""
    filled = round(progress.fraction * width)
    bar = "#" * filled + "." * (width - filled)
    minutes = int(progress.elapsed_seconds // 60)
    state = progress.status + (f"/{progress.secondary_status}" if progress.secondary_status else "")
    shown = "  ".join(f"{name} {value:.4g}" for name, value in sorted(progress.metrics.items()))
    basis = "" if progress.basis == "epoch" else " (by runtime)"
    line = (
        f"{progress.name}  [{bar}] {progress.fraction:4.0%}{basis}  {state}"
        f"{'  ' + shown if shown else ''}  {minutes // 60}h{minutes % 60:02d}m"
    )
    if progress.failure_reason:
        line += f"\n  failure: {progress.failure_reason}"
    return line


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "radimpress-train status",
    client_factory: Callable[[], SageMakerJobs] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("job_name", help="the training job's name (finetune prints it)")
    parser.add_argument("--watch", action="store_true", help="poll until the job stops")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls (--watch)")
    parser.add_argument("--json", action="store_true", help="print the progress as JSON")
    args = parser.parse_args(argv)
    if client_factory is None:
        from training.aws import client  # noqa: PLC0415 - boto3 only when asked

        client_factory = lambda: client("sagemaker")  # noqa: E731
    sagemaker = client_factory()
    try:
        while True:
            progress = job_progress(
                sagemaker.describe_training_job(TrainingJobName=args.job_name), now=clock()
            )
            if args.json:
                print(json.dumps(_as_json(progress), sort_keys=True))
            else:
                print(format_progress(progress), flush=True)
            if not args.watch or progress.status in TERMINAL_STATES:
                break
            sleep(args.interval)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if progress.status == "Failed" else 0


def _as_json(progress: JobProgress) -> dict[str, Any]:
    return {
        "name": progress.name,
        "status": progress.status,
        "secondary_status": progress.secondary_status,
        "fraction": round(progress.fraction, 4),
        "basis": progress.basis,
        "metrics": dict(progress.metrics),
        "elapsed_seconds": round(progress.elapsed_seconds, 1),
        "failure_reason": progress.failure_reason,
    }
