"""``make demo``: the whole pipeline on one machine, from the sample feed to the study's ROUGE table.

1. Start moto (S3, SQS, SNS, DynamoDB, Secrets Manager, KMS, Glue, Athena) on 127.0.0.1 and create every
   resource of ``template.yaml`` in it, or stand in for it (:mod:`radimpress.local.resources`).
2. Start the local SageMaker async endpoint serving the default embedded engine (leave-one-out: the feed
   is drawn from the very IU reports the engine indexes, so a report never finds itself).
3. Send the sample feed (N report messages, plus malformed payloads and redeliveries) to the IngestQueue as
   an interface engine would, while the ingest and completion functions run under their SQS event source
   mappings, until every message is a result, an error record or in a dead-letter queue.
4. Run the nightly evaluation through the schedule's target for today, download ``results/``,
   ``errors/`` and ``evaluations/``, query them with DuckDB using the Athena SQL under ``sql/``, and print
   the counts (``in`` must equal results + error records + deduplicated + DLQ; exit status 1 otherwise),
   the throughput and the study-style ROUGE table beside the published figures.
5. Write the operations dashboard from the same tables (:mod:`radimpress.dashboard`) to
   ``<workdir>/dashboard.html`` and print its path.

The functions' output (Powertools JSON logs, EMF metrics) goes to ``<workdir>/logs/functions.log``, as
CloudWatch Logs would receive it; the progress bar goes to stderr. Nothing printed carries patient
identity: the reports hold none and the examples are the de-identified IU texts.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from radimpress.datasets.samplefeed.feed import iter_feed
from radimpress.datasets.samplefeed.reports import load_reports
from radimpress.scoring.study_table import STUDY_REFERENCE, format_table, table_from_json

__all__ = ["DemoOptions", "DemoReport", "format_report", "main", "run_demo"]

_EXAMPLES = 3
_SQL = ("daily_summary.sql", "errors_by_type.sql")


@dataclass
class DemoOptions:
    count: int = 2000
    seed: int = 0
    reports: Path | None = None
    workdir: Path = Path(".demo")
    parameters: dict[str, str] = field(default_factory=dict)
    #: seconds; the template's 240/400 s would hold a failed record back for minutes
    visibility_timeout: int = 30
    #: seconds; the template's 5 s / 10 s windows would hold the last partial batch
    batching_window: float = 1.0
    claim_check_over: int = 256 * 1024
    #: every n-th payload is POSTed to the HTTPS entry point's stand-in instead of SQS (0: none)
    https_every: int = 10
    #: every n-th report payload goes through the MLLP listener (radimpress mllp) instead (0: none)
    mllp_every: int = 10
    #: concurrent executions per function (each its own handler module instance and poller thread)
    concurrency: int = 2
    timeout: float = 900.0
    progress: bool = True
    capture_logs: bool = True


@dataclass
class DemoReport:
    """Everything the summary prints (also written as ``<workdir>/summary.json``)."""

    count: int
    seed: int
    messages: int
    by_kind: dict[str, int]
    by_encoding: dict[str, int]
    refused: dict[str, int]
    https_answers: dict[str, int]
    mllp_answers: dict[str, int]
    units: int
    results: int
    result_rows: int  # Parquet rows; above results when a redelivered batch wrote its results again
    errors: int
    errors_by_type: list[dict[str, Any]]
    deduplicated: int
    identical_reports: int
    dlq: dict[str, int]
    settled: bool
    seconds: float
    send_seconds: float
    cpu_seconds: dict[str, float]
    startup: dict[str, float]
    adjustments: list[dict[str, str]]
    created: int
    stood_in: int
    endpoint: dict[str, Any]
    functions: dict[str, dict[str, Any]]
    daily_summary: list[dict[str, Any]]
    nightly_day: str
    nightly_key: str | None
    nightly_error: str | None
    nightly: dict[str, Any] | None
    examples: list[dict[str, str]]
    workdir: str
    log_path: str | None
    # the drafts sent back as ORU^R01 over MLLP to a local receiver (radimpress.local.hl7_return)
    drafts_back: dict[str, int] = field(default_factory=dict)
    dashboard: str | None = None  # <workdir>/dashboard.html

    @property
    def dlq_total(self) -> int:
        return sum(self.dlq.values())

    @property
    def accounted(self) -> int:
        return self.results + self.errors + self.deduplicated + self.dlq_total

    @property
    def balanced(self) -> bool:
        return self.settled and self.units == self.accounted


# ---------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise)."""

    def __init__(self, stream: TextIO, total: int, enabled: bool) -> None:
        self.stream = stream
        self.total = max(1, total)
        self.enabled = enabled
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self._last_decile = -1

    def show(self, done: int, detail: str) -> None:
        if not self.enabled:
            return
        fraction = min(1.0, done / self.total)
        elapsed = time.monotonic() - self.started
        bar = "#" * int(fraction * 30)
        line = f"[{bar:<30}] {fraction:4.0%} {detail} {elapsed:5.1f}s"
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(150))
        elif int(fraction * 10) > self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def _captured(log_path: Path | None) -> Iterator[None]:
    """Send everything written to stdout/stderr (the functions' logs and metrics) to ``log_path``."""
    if log_path is None:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_path.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        yield


# ---------------------------------------------------------------------- the run


def run_demo(options: DemoOptions, *, status: TextIO | None = None) -> DemoReport:
    """Run the pipeline end to end; see the module docstring."""
    terminal = status or sys.stderr
    workdir = options.workdir.resolve()
    log_path = workdir / "logs" / "functions.log" if options.capture_logs else None
    items = list(iter_feed(load_reports(options.reports), count=options.count, seed=options.seed))
    with _captured(log_path):
        return _run(options, items, workdir, log_path, terminal)


def _run(
    options: DemoOptions, items: list[Any], workdir: Path, log_path: Path | None, terminal: TextIO
) -> DemoReport:
    from radimpress.local.hl7_return import DraftReceiver, OutboundForwarder  # noqa: PLC0415
    from radimpress.local.query import connect, run_sql_file  # noqa: PLC0415 - duckdb and boto3 only here
    from radimpress.local.runtime import LocalRuntime  # noqa: PLC0415
    from radimpress.local.runtime_options import RuntimeOptions  # noqa: PLC0415
    from radimpress.transports.mllp_client import MllpSender  # noqa: PLC0415

    runtime_options = RuntimeOptions(
        workdir=workdir,
        parameters=options.parameters,
        visibility_timeout=options.visibility_timeout,
        batching_window=options.batching_window,
        claim_check_over=options.claim_check_over,
        https_every=options.https_every,
        mllp_every=options.mllp_every,
        concurrency=options.concurrency,
        moto_log=workdir / "logs" / "moto.log",
    )
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    progress = Progress(terminal, len(items), options.progress)
    with LocalRuntime(runtime_options) as runtime:
        endpoint = runtime.endpoint
        assert endpoint is not None

        def tick() -> None:
            ingest, completion = runtime.stats_for("IngestQueue"), runtime.stats_for("CompletionQueue")
            progress.show(
                ingest.deleted,
                f"{ingest.deleted}/{len(items)} msgs ingested · {endpoint.stats.completed} drafted · "
                f"{completion.deleted} completed",
            )

        stop_ticking = threading.Event()

        def ticker() -> None:
            while not stop_ticking.wait(0.25):
                tick()

        receiver = DraftReceiver().start()
        sender = MllpSender("127.0.0.1", receiver.port, attempts=3, backoff=0.2, timeout=5)
        outbound_url = runtime.require_stack.ref("OutboundQueue")
        forwarder = OutboundForwarder(runtime.client("sqs"), outbound_url, sender).start()
        started = time.perf_counter()
        cpu_started = time.process_time(), runtime.require_moto.cpu_seconds()
        runtime.start_pollers()
        ticking = threading.Thread(target=ticker, name="progress", daemon=True)
        ticking.start()
        sent = runtime.send(items)
        settled = runtime.wait_until_settled(options.timeout)
        seconds = time.perf_counter() - started
        moto_cpu = runtime.require_moto.cpu_seconds()
        cpu = {
            "pipeline process": time.process_time() - cpu_started[0],
            **(
                {"moto": moto_cpu - cpu_started[1]}
                if moto_cpu is not None and cpu_started[1] is not None
                else {}
            ),
        }
        stop_ticking.set()
        ticking.join()
        tick()
        progress.close()
        runtime.stop_pollers()
        deadline = time.monotonic() + 60
        while runtime.queue_depth("OutboundQueue") and time.monotonic() < deadline:
            time.sleep(0.2)  # the last drafts are still on their way to the receiver
        forwarder.stop()
        receiver.stop()
        drafts_back = receiver.drafts.as_dict() | {"forwarded": forwarder.delivered}

        today = datetime.now(UTC).date()
        nightly = runtime.run_nightly(today)
        mirror = runtime.download(["results/", "errors/", "evaluations/"])
        database, tables = runtime.glue_tables()
        dlq = {
            "IngestDLQ": sum(sent.body_units.get(_sha256(m["Body"]), 1) for m in runtime.drain("IngestDLQ")),
            "CompletionDLQ": len(runtime.drain("CompletionDLQ")),
        }
        stack = runtime.require_stack
        bucket = stack.ref("DataBucket")
        nightly_key = f"evaluations/dt={today.isoformat()}/summary.json"
        nightly_file = mirror / bucket / nightly_key
        connection = connect(tables, mirror, database=database)
        root = runtime.root
        daily = run_sql_file(connection, root / "sql" / _SQL[0]).as_dicts()
        by_type = run_sql_file(connection, root / "sql" / _SQL[1]).as_dicts()
        counted = connection.execute("SELECT count(DISTINCT inference_id), count(*) FROM results").fetchone()
        examples = connection.execute(
            "SELECT findings, draft, reference_impression FROM results "
            "WHERE reference_impression IS NOT NULL ORDER BY inference_id LIMIT ?",
            [_EXAMPLES],
        ).fetchall()
        report = DemoReport(
            count=options.count,
            seed=options.seed,
            messages=sent.messages,
            by_kind=dict(sent.by_kind),
            by_encoding=dict(sent.by_encoding),
            refused=dict(sent.refused),
            https_answers=dict(sent.https_answers),
            mllp_answers=dict(sent.mllp_answers),
            units=sent.units,
            results=int(counted[0]) if counted else 0,
            result_rows=int(counted[1]) if counted else 0,
            errors=sum(int(row["errors"]) for row in by_type),
            errors_by_type=by_type,
            deduplicated=sent.duplicate_units,
            identical_reports=sent.identical_reports,
            dlq=dlq,
            settled=settled,
            seconds=seconds,
            send_seconds=sent.seconds,
            cpu_seconds=cpu,
            startup=runtime.startup_seconds,
            adjustments=[asdict(a) for a in runtime.adjustments],
            created=len(stack.created),
            stood_in=len(stack.stood_in),
            endpoint={
                "accepted": endpoint.stats.accepted,
                "completed": endpoint.stats.completed,
                "failed": endpoint.stats.failed,
                "lost": endpoint.stats.lost,
                "failure_reasons": dict(endpoint.stats.failure_reasons),
                "engine_seconds": endpoint.stats.engine_seconds,
                "engine": endpoint.engine.model_id,
            },
            functions={
                logical_id: {
                    "invocations": stats.invocations,
                    "records": stats.received,
                    "retried": stats.failed,
                    "redelivered": stats.redelivered,
                    "handler_errors": stats.handler_errors,
                    "batch_size": runtime.pollers_for(queue)[0].source.batch_size,
                    "concurrency": len(runtime.pollers_for(queue)),
                }
                for logical_id, queue in (
                    ("IngestFunction", "IngestQueue"),
                    ("CompletionFunction", "CompletionQueue"),
                )
                for stats in [runtime.stats_for(queue)]
            },
            daily_summary=[_plain(row) for row in daily],
            nightly_day=today.isoformat(),
            nightly_key=nightly_key if nightly_file.is_file() else None,
            nightly_error=nightly.error,
            nightly=json.loads(nightly_file.read_text(encoding="utf-8")) if nightly_file.is_file() else None,
            examples=[{"findings": f, "draft": d, "impression": i} for f, d, i in examples],
            workdir=str(workdir),
            log_path=str(log_path) if log_path else None,
            drafts_back=drafts_back,
        )
        from radimpress.dashboard import write_dashboard  # noqa: PLC0415 - altair loads only here

        report.dashboard = str(write_dashboard(connection, root / "sql", workdir / "dashboard.html"))
    (workdir / "summary.json").write_text(json.dumps(asdict(report), indent=2, default=str), encoding="utf-8")
    return report


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, str | int | float | type(None)) else str(value)
        for key, value in row.items()
    }


# ---------------------------------------------------------------------- the summary


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _counts(counter: dict[str, int]) -> str:
    return " · ".join(f"{name} {n:,}" for name, n in Counter(counter).most_common() if n) or "none"


def _rows(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["  (no rows)"]
    columns = list(rows[0])
    cells = [[str(column) for column in columns]] + [
        ["" if r[c] is None else str(r[c]) for c in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return ["  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]


def _quality_line(nightly: dict[str, Any]) -> str:
    """Clinical content and readability beside ROUGE: what ROUGE alone hides."""
    observation = nightly.get("observation_f1") or {}
    mean = observation.get("mean")
    figure = "n/a" if mean is None else f"{mean:.4f}"
    results = int(nightly.get("results") or 0)
    flagged = int(nightly.get("flagged_drafts") or 0)
    return (
        f"observation F1    {figure} mean over {observation.get('count', 0):,} "
        f"drafts with the radiologist's impression (CheXpert observations, draft vs radiologist)\n"
        f"safety flags      {flagged:,} of {results:,} drafts flagged"
        + (f" ({flagged / results:.1%})" if results else "")
        + f"; fluency problems (cut sentences, '..', dangling numbers) in "
        f"{int(nightly.get('fluency_problem_drafts') or 0):,} drafts"
    )


def _drafts_back(report: DemoReport) -> str:
    back = report.drafts_back
    return (
        f"drafts back       {back.get('distinct', 0):>6,}  ORU^R01 over MLLP to a local reporting-system "
        f"stand-in ({back.get('messages', 0):,} messages, {back.get('preliminary', 0):,} preliminary, "
        f"{back.get('refused', 0)} refused; results {report.results:,})"
    )


def format_report(report: DemoReport) -> str:
    kinds = report.by_kind
    verdict = "OK" if report.balanced else "MISMATCH"
    rate = report.count / report.seconds if report.seconds else 0.0
    lines = [
        f"radimpress demo: {report.count:,} report messages from the IU sample feed (seed {report.seed}), "
        "the whole pipeline on one machine",
        f"stack             template.yaml: {report.created} resources created in moto, "
        f"{report.stood_in} stood in for (radimpress.local.resources.stand_ins.STAND_INS)",
    ]
    for adjustment in report.adjustments:
        lines.append(
            f"demo setting      {adjustment['what']}: {adjustment['template_value']} in the template, "
            f"{adjustment['local_value']} here (so a retry or the last batch does not wait)"
        )
    lines += [
        "startup           " + ", ".join(f"{name} {s:.1f}s" for name, s in report.startup.items()),
        "",
        f"messages in       {report.messages:>6,}  reports {kinds.get('report', 0):,} · "
        f"malformed {kinds.get('malformed', 0):,} · redeliveries {kinds.get('duplicate', 0):,}  |  "
        f"{_counts(report.by_encoding)}",
        f"HTTPS entry       {report.by_encoding.get('https', 0):>6,}  payloads POSTed to HttpsApi's stand-in "
        f"(HL7 ACKs: {_counts(report.https_answers)})",
        f"MLLP entry        {report.by_encoding.get('mllp', 0):>6,}  report payloads sent over MLLP to "
        f"`radimpress mllp` before the IngestQueue (ACKs: {_counts(report.mllp_answers)}), the rest to SQS",
        f"in (report units) {report.units:>6,}  one per report in a payload, "
        "one per payload without a readable report"
        + (f"; not sendable to SQS: {_counts(report.refused)}" if report.refused else ""),
        f"results           {report.results:>6,}  drafted impressions (distinct inference ids in results/; "
        f"{report.result_rows:,} Parquet rows)",
        f"error records     {report.errors:>6,}  "
        + (
            " · ".join(f"{r['stage']}/{r['error_type']} {int(r['errors']):,}" for r in report.errors_by_type)
            or "none"
        ),
        f"deduplicated      {report.deduplicated:>6,}  reports in payloads identical to one sent before "
        f"({kinds.get('duplicate', 0):,} redeliveries, {report.identical_reports:,} text reports repeating "
        "another's words), not drafted again",
        f"DLQ               {report.dlq_total:>6,}  " + " · ".join(f"{q} {n}" for q, n in report.dlq.items()),
        _drafts_back(report),
        f"check             in {report.units:,} = results {report.results:,} + errors {report.errors:,} + "
        f"deduplicated {report.deduplicated:,} + DLQ {report.dlq_total:,} = {report.accounted:,}   {verdict}",
    ]
    if not report.settled:
        lines.append("                  (the pipeline did not settle before the timeout)")
    endpoint = report.endpoint
    lines += [
        "",
        f"throughput        {report.count:,} report messages in {report.seconds:.1f}s: {rate:.1f} reports/s "
        f"end to end (feed sent in {report.send_seconds:.1f}s); CPU "
        + ", ".join(f"{name} {s:.1f}s" for name, s in report.cpu_seconds.items()),
        f"endpoint          {endpoint['accepted']:,} InvokeEndpointAsync: "
        f"{endpoint['completed']:,} completed, "
        f"{endpoint['failed']:,} failed ({_counts(endpoint['failure_reasons'])}), lost {endpoint['lost']}; "
        f"engine {endpoint['engine']} {endpoint['engine_seconds']:.1f}s in all",
    ]
    for name, stats in report.functions.items():
        lines.append(
            f"{name:<19}{stats['invocations']:,} invocations of up to {stats['batch_size']} records "
            f"({stats['concurrency']} concurrent), "
            f"{stats['records']:,} records, {stats['retried']} left for retry, "
            f"{stats['redelivered']} redelivered, {stats['handler_errors']} handler errors"
        )
    lines += ["", f"Athena SQL over results/ and errors/ (DuckDB over the Glue tables; sql/{_SQL[0]}):"]
    lines += _rows(report.daily_summary)
    lines += [f"sql/{_SQL[1]}:", *_rows(report.errors_by_type)]
    lines.append("")
    if report.nightly is not None:
        table = table_from_json(report.nightly)
        lines.append(
            f"nightly evaluation of {report.nightly_day} (NightlyEvaluationFunction via the schedule; "
            f"{report.nightly_key}): {report.nightly['scored']:,} scored of "
            f"{report.nightly['results']:,} results"
        )
        lines.append(format_table(table, reference=STUDY_REFERENCE).rstrip())
        lines.append(_quality_line(report.nightly))
    else:
        lines.append(
            f"nightly evaluation of {report.nightly_day}: "
            f"no summary ({report.nightly_error or 'not written'})"
        )
    if report.examples:
        lines += ["", "examples (findings -> draft | the radiologist's impression):"]
        for example in report.examples:
            lines.append(f"  {_short(example['findings'], 100)}")
            lines.append(f"    -> {_short(example['draft'], 70)} | {_short(example['impression'], 70)}")
    lines += [
        "",
        f"files             {report.workdir}/s3 (the bucket's results, errors, evaluations), "
        f"{report.workdir}/summary.json" + (f", function logs {report.log_path}" if report.log_path else ""),
    ]
    if report.dashboard:
        lines.append(f"dashboard         {report.dashboard}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- CLI


def _parameter(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError("expected NAME=VALUE")
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m radimpress.local.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--count", type=int, default=2000, help="report messages in the feed (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reports", type=Path, help="IU reports JSONL (default: events/iu/reports.jsonl)")
    parser.add_argument("--workdir", type=Path, default=Path(".demo"), help="logs, bucket copy, summary.json")
    parser.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="the LogLevel parameter"
    )
    parser.add_argument(
        "--parameter",
        type=_parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    parser.add_argument(
        "--visibility-timeout", type=int, default=30, help="queue visibility timeout, s (demo)"
    )
    parser.add_argument(
        "--batching-window", type=float, default=1.0, help="SQS batching window cap, s (demo)"
    )
    parser.add_argument(
        "--claim-check-over", type=int, default=256 * 1024, help="bytes; bigger bodies go via S3"
    )
    parser.add_argument(
        "--https-every", type=int, default=10, help="POST every n-th payload over HTTPS (0: none)"
    )
    parser.add_argument(
        "--mllp-every", type=int, default=10, help="send every n-th report payload over MLLP (0: none)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="concurrent executions per function")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up waiting after this many seconds"
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    parameters = dict(args.parameter)
    if args.log_level:
        parameters["LogLevel"] = args.log_level
    options = DemoOptions(
        count=args.count,
        seed=args.seed,
        reports=args.reports,
        workdir=args.workdir,
        parameters=parameters,
        visibility_timeout=args.visibility_timeout,
        batching_window=args.batching_window,
        claim_check_over=args.claim_check_over,
        https_every=args.https_every,
        mllp_every=args.mllp_every,
        concurrency=args.concurrency,
        timeout=args.timeout,
        progress=not args.no_progress,
    )
    started = time.perf_counter()
    report = run_demo(options)
    print(format_report(report))
    print(f"wall time         {time.perf_counter() - started:.1f}s (everything, startup included)")
    return 0 if report.balanced else 1


if __name__ == "__main__":
    raise SystemExit(main())
