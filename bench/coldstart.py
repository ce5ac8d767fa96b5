"""Benchmark: the import time of each Lambda handler module, the part of a cold start our code controls.

Each measurement is a fresh interpreter (``python -c ...``) that sets the function's environment (the
variables the template gives it), then times ``import`` of ``functions/<name>/app.py`` with
``time.perf_counter``; the median of ``--runs`` (default 5) is printed against the target (0.30 s for the
ingest handler, which must keep ROUGE and pyarrow off its import path: the heavy modules each handler
pulls in are listed). ``import boto3`` is measured the same way in the same run, as the baseline every
Python Lambda that talks to AWS pays, and each handler is printed as a ratio of it.

A last line measures the ingest handler again with no bytecode at all (an empty ``PYTHONPYCACHEPREFIX``,
nothing written): what every cold start would pay for a layer shipped without ``__pycache__``, since Lambda
cannot write bytecode to the read-only ``/opt``. It is why the layer's Makefile precompiles the packages the
handlers import. (It overstates a little: here the standard library is recompiled too.)

Run: ``make bench`` or ``.venv/bin/python bench/coldstart.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
TARGETS = {"ingest_function": 0.30}  # seconds; the other handlers are printed without a target
HEAVY = ("pyarrow", "rouge_score", "nltk", "numpy", "boto3", "aws_xray_sdk", "pydantic", "hl7apy")

#: What the template sets (Globals + each function), with placeholder values of the right shape.
COMMON_ENV = {
    "POWERTOOLS_SERVICE_NAME": "radimpress",
    "POWERTOOLS_METRICS_NAMESPACE": "Radimpress",
    "LOG_LEVEL": "INFO",
    "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "BUCKET_NAME": "radimpress-bench-databucket-000000000000",
}
FUNCTION_ENV = {
    "ingest_function": {
        "IDEMPOTENCY_TABLE": "radimpress-bench-IdempotencyTable-0000000000000",
        "ENDPOINT_NAME": "radimpress-bench-endpoint",
        "MODEL_CONTRACT": "jumpstart-v1",
        "PROMPT_TEMPLATE": (
            "Generate radiology report impressions based on the following findings. Findings: {findings}"
        ),
        "PSEUDONYM_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:Key-abcdef",
    },
    "completion_function": {"MODEL_CONTRACT": "jumpstart-v1", "MODEL_ID": "flan-t5-xl-radiology-impressions"},
    "nightly_evaluation_function": {"SCHEDULE_TIME_ZONE": "UTC"},
    # answers the interface engine synchronously: its cold start is the sender's wait
    "https_ingest_function": {"INGEST_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ingest"},
}

_PROBE = """
import importlib.util, json, sys, time
heavy = {heavy!r}
started = time.perf_counter()
{statement}
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "heavy": [m for m in heavy if m in sys.modules]}}))
"""

_IMPORT_HANDLER = """
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
"""


_BYTECODE = tempfile.TemporaryDirectory(prefix="coldstart-bytecode-")


def probe_environment(env: dict[str, str]) -> dict[str, str]:
    """The probe's environment: ours without ``PYTHONDONTWRITEBYTECODE``, bytecode under ``_BYTECODE``.

    A deployed layer ships bytecode (see the layer Makefile), so the probes must run with it too, whatever
    this shell says; a private cache directory keeps them from writing into the source tree.
    """
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**inherited, "PYTHONPYCACHEPREFIX": _BYTECODE.name, **env}


def measure(statement: str, env: dict[str, str]) -> tuple[float, list[str]]:
    """Seconds ``statement`` takes in a fresh interpreter, and which heavy modules it left imported."""
    code = _PROBE.format(heavy=HEAVY, statement=statement)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=probe_environment(env),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"probe failed: {last}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), list(result["heavy"])


def top_packages(statement: str, env: dict[str, str], count: int = 8) -> list[tuple[str, float]]:
    """The packages whose modules take longest to import in ``statement`` (``-X importtime`` self times)."""
    code = _PROBE.format(heavy=HEAVY, statement=statement)
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=probe_environment(env),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    totals: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _cumulative, raw = line.removeprefix("import time:").split("|")
        if not own.strip().isdigit():
            continue  # the header line
        package = raw.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(own) / 1e6
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def median_of(runs: int, statement: str, env: dict[str, str]) -> tuple[float, list[str]]:
    measure(statement, env)  # warm-up: writes the bytecode, and the page cache holds the files
    samples: list[float] = []
    heavy: list[str] = []
    for _ in range(runs):
        seconds, heavy = measure(statement, env)
        samples.append(seconds)
    return statistics.median(samples), heavy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per module (median)")
    args = parser.parse_args(argv)

    print(
        f"cold-start imports: median of {args.runs} fresh interpreters each ({platform.python_version()}, "
        f"{os.cpu_count()} cores)"
    )
    baseline, _ = median_of(args.runs, "import boto3", COMMON_ENV)
    print(f"{'module':<32}{'median s':>10}{'target s':>10}{'x boto3':>9}   heavy modules imported")
    print(f"{'import boto3 (baseline)':<32}{baseline:>10.3f}{'':>10}{1.0:>9.2f}")
    failed = False
    measured: dict[str, float] = {}
    for name in sorted(FUNCTION_ENV):
        path = FUNCTIONS / name / "app.py"
        if not path.is_file():
            print(f"{name:<32}{'missing':>10}")
            failed = True
            continue
        env = {**COMMON_ENV, **FUNCTION_ENV[name]}
        try:
            seconds, heavy = median_of(args.runs, _IMPORT_HANDLER.format(path=str(path)), env)
        except RuntimeError as exc:
            print(f"{name:<32}{'error':>10}   {exc}")
            failed = True
            continue
        measured[name] = seconds
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = "  OK" if seconds <= target else "  OVER TARGET"
        target_text = f"{target:.2f}" if target is not None else "-"
        print(
            f"{name + '/app.py':<32}{seconds:>10.3f}{target_text:>10}{seconds / baseline:>9.2f}   "
            f"{', '.join(heavy) or 'none'}{verdict}"
        )
        if target is not None and seconds > target:
            parts = top_packages(_IMPORT_HANDLER.format(path=str(path)), env)
            print(
                f"{'':<4}where it goes (-X importtime, self time by package): "
                + ", ".join(f"{package} {t:.2f}s" for package, t in parts)
            )
    compiled = measured.get("ingest_function")
    if compiled is not None:
        env = {**COMMON_ENV, **FUNCTION_ENV["ingest_function"]}
        statement = _IMPORT_HANDLER.format(path=str(FUNCTIONS / "ingest_function" / "app.py"))
        with tempfile.TemporaryDirectory() as empty:
            no_bytecode = {**env, "PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
            uncompiled, _ = median_of(args.runs, statement, no_bytecode)
        print(
            f"{'ingest, no bytecode':<32}{uncompiled:>10.3f}{'':>10}{uncompiled / baseline:>9.2f}   "
            f"{uncompiled / compiled:.1f}x the same import with bytecode (above)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
