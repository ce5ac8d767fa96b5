"""The ``radimpress`` command line.

``radimpress parse PATH...`` reads HL7 v2 or plain-text reports (files, directories, ``-`` for stdin) and
prints one JSON object per report per line. A report that cannot be read prints ``{"source", "error"}``
instead and the others go on. Exit status: 0 all read, 1 any failed, 2 bad usage.

Output never carries patient identity: a :class:`~radimpress.reading.model.Report` has none, only the
pseudonymous ``patient_key``, which is printed when a key is configured (``--pseudonym-key-env``).

``radimpress draft`` drafts an impression from findings (``--findings`` or stdin) and prints it with its
safety flags (:mod:`radimpress.drafting.safety`), or the engine's reason to abstain. ``radimpress evaluate``
drafts every report of a file (or the bundled IU dev split) and prints the study's ROUGE table, the
normal/abnormal split, the flag counts beside the radiologists' own and the abstentions
(:mod:`radimpress.scoring.offline`, which holds the logic). Both exit 0, or 2 on bad usage or configuration.

``radimpress replay --bucket B --queue-url Q --date D`` sends the messages that failed at ingest on day D
back to the ingest queue, as claim checks on their raw archive (:mod:`radimpress.pipeline.replay`);
``--dry-run``
only prints what it would send. It uses the AWS credentials and region of the environment. Exit 0 when
everything selected was sent, 1 when the queue refused any, 2 on bad usage.

``radimpress mllp --queue-url Q --bucket B [--spool DIR]`` listens for HL7 over MLLP (default port 2575)
and stores every message (ingest queue, or the spool when the queue is slow or away) before acknowledging it
(:mod:`radimpress.transports.mllp`); it runs until SIGTERM or SIGINT, then drains and stops.

``radimpress mllp-send --host H --port P PATH...`` sends HL7 messages (e.g. drafts as ORU^R01) over MLLP
and checks each ACK (:mod:`radimpress.transports.mllp_client`): AE or no answer is retried with backoff,
AR is reported and not retried. Exit 0 when every message was delivered, 1 otherwise.

``radimpress dashboard DIR --out FILE`` writes one self-contained HTML page for operations staff from a
copy of the data bucket's ``results/`` and ``errors/`` in DIR, through the Athena queries under ``sql/`` on
DuckDB (:mod:`radimpress.dashboard`; the ``dashboard`` extra). The page holds report text (PHI on a site's
own data). Exit 0, or 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from radimpress import __version__
from radimpress.errors import ConfigurationError, DependencyRefusedError, ReportError, TransientError
from radimpress.reading.reports import Format, read_reports

__all__ = ["main"]

STDIN = "-"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="radimpress", description="Draft radiology impressions from report feeds."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parse = commands.add_parser(
        "parse",
        help="read HL7 v2 / text reports and print their sections as JSON lines",
        description="Print one JSON object per report; failed reports print {source, error}.",
    )
    parse.add_argument(
        "paths", nargs="+", metavar="PATH", help="file, directory (walked, sorted) or - for stdin"
    )
    parse.add_argument("--format", choices=("auto", "hl7", "text"), default="auto", dest="fmt")
    parse.add_argument(
        "--pseudonym-key-env",
        metavar="NAME",
        help="environment variable holding the key for pseudonymous patient keys (adds patient_key)",
    )
    _add_draft_and_evaluate(commands)
    _add_replay(commands)
    _add_mllp(commands)
    _add_index(commands)
    _add_mllp_send(commands)
    _add_dashboard(commands)
    return parser


def _add_index(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = commands.add_parser(
        "index",
        help="the embedded engine's index: add the reports radiologists have finalized since",
        description="Rewrite an index file (reports JSONL) from a base index plus every finalized report "
        "(status F, with the radiologist's impression; latest final version) in the results table.",
    )
    actions = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    refresh = actions.add_parser("refresh", help="write base + finalized reports to --out, atomically")
    refresh.add_argument(
        "--results", required=True, metavar="DIR", help="the results/ tree (Parquet), e.g. a synced copy"
    )
    refresh.add_argument("--out", required=True, metavar="FILE", help="the index file the engine watches")
    refresh.add_argument(
        "--base", metavar="FILE", help="base reports JSONL (default: the bundled IU reports)"
    )


def _index(args: argparse.Namespace, out: TextIO) -> int:
    from radimpress.adapters.parquet import read_results  # noqa: PLC0415 - pyarrow only for this command
    from radimpress.datasets.corpus import load_pairs  # noqa: PLC0415
    from radimpress.pipeline import feedback  # noqa: PLC0415

    root = Path(args.results)
    if not root.is_dir():
        raise ConfigurationError("the results location is not a directory", where=str(root))
    records = [
        record for path in sorted(root.rglob("*.parquet")) for record in read_results(path.read_bytes())
    ]
    finalized = feedback.finalized_reports(records)
    base = load_pairs(args.base)
    written = feedback.write_index(feedback.refreshed_index(base, finalized), args.out)
    out.write(
        f"{args.out}: {written:,} reports ({len(base):,} base + {written - len(base):,} finalized of "
        f"{len(records):,} result rows)\n"
    )
    return 0


def _add_mllp(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mllp = commands.add_parser(
        "mllp",
        help="listen for HL7 over MLLP and put each message on the ingest queue (ACK once stored)",
        description=(
            "An MLLP listener for interface engines: AA once queued or spooled, AR unreadable or never "
            "drafted, AE only when not even the spool could take it. SIGTERM or SIGINT: drain, then stop."
        ),
    )
    mllp.add_argument("--queue-url", required=True, help="the ingest queue (stack output IngestQueueUrl)")
    mllp.add_argument("--bucket", required=True, help="the data bucket, for messages over 256 KB")
    mllp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    mllp.add_argument("--port", type=int, default=2575, help="TCP port (default 2575, HL7's registered port)")
    mllp.add_argument(
        "--spool",
        metavar="DIR",
        help="on-disk spool for messages the queue cannot take in time (no spool: AE)",
    )
    mllp.add_argument(
        "--send-deadline", type=float, default=3.0, metavar="SECONDS",
        help="answer within this many seconds, spooling if the queue is slower (default 3)",
    )  # fmt: skip
    mllp.add_argument(
        "--senders",
        type=int,
        default=2,
        help="queue sends in flight at once, each up to 10 messages (default 2)",
    )
    mllp.add_argument("--facility", help="MSH-4 of our ACKs (default: the host name)")
    mllp.add_argument(
        "--refuse-type", dest="refuse_types", action="append", metavar="CODE",
        help="MSH-9.1 answered AR and not queued, repeatable (default: ADT, ORM, SIU and other non-results)",
    )  # fmt: skip
    mllp.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate (chain)")
    mllp.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    mllp.add_argument("--tls-client-ca", metavar="PEM", help="require client certificates signed by this CA")
    mllp.add_argument(
        "--allow", dest="allowed", action="append", default=[], metavar="CIDR",
        help="a source network that may connect, repeatable (default: any)",
    )  # fmt: skip


def _mllp(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio  # noqa: PLC0415 - only this command runs an event loop
    import signal  # noqa: PLC0415
    import socket  # noqa: PLC0415

    from radimpress.adapters.s3 import S3ObjectStore  # noqa: PLC0415 - boto3 loads only for this command
    from radimpress.adapters.sqs import SqsQueue  # noqa: PLC0415
    from radimpress.transports.intake import DEFAULT_REFUSED_TYPES  # noqa: PLC0415
    from radimpress.transports.mllp import MllpGateway, server_tls  # noqa: PLC0415
    from radimpress.transports.spool import Spool  # noqa: PLC0415

    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigurationError("--tls-cert and --tls-key go together", where="--tls-cert")
    tls = server_tls(args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    gateway = MllpGateway(
        # the spool is the retry: no botocore retries, and no wait longer than the deadline
        SqsQueue(args.queue_url, timeout=max(args.send_deadline, 1.0)),
        S3ObjectStore(args.bucket),
        spool=Spool(Path(args.spool)) if args.spool else None,
        send_deadline=args.send_deadline,
        senders=args.senders,
        refused_types=args.refuse_types or DEFAULT_REFUSED_TYPES,
        sending_facility=args.facility or socket.gethostname(),
        allowed_sources=args.allowed,
    )

    async def serve() -> None:
        server = await gateway.start(args.host, args.port, tls=tls)
        addresses = ", ".join(str(sock.getsockname()[:2]) for sock in server.sockets)
        secure = " over TLS" if tls else ""
        out.write(f"listening for MLLP{secure} on {addresses}; messages go to {args.queue_url}\n")
        out.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await gateway.close()

    asyncio.run(serve())
    stats = gateway.stats
    out.write(
        f"stopped: {stats.messages} messages on {stats.connections} connections, {stats.answered}; "
        f"queued {stats.queued}, spooled {stats.spooled}, drained {stats.drained}\n"
    )
    return 0


def _add_mllp_send(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "mllp-send",
        help="send HL7 messages (e.g. drafts as ORU^R01) to an MLLP destination and check each ACK",
        description=(
            "Send each message, wait for its ACK: AA delivered; AE or no answer retried with backoff; "
            "AR refused (not retried). Exit 0 when every message was delivered, 1 otherwise."
        ),
    )
    send.add_argument(
        "paths", nargs="+", metavar="PATH", help="files holding HL7 messages (a batch file: each)"
    )
    send.add_argument("--host", default="127.0.0.1", help="the receiver (default 127.0.0.1)")
    send.add_argument("--port", type=int, default=2575, help="its port (default 2575)")
    send.add_argument("--attempts", type=int, default=5, help="attempts per message (default 5)")
    send.add_argument("--backoff", type=float, default=0.5, help="first wait between attempts, seconds")
    send.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an ACK (default 10)")
    send.add_argument("--tls-ca", metavar="PEM", help="use TLS, trusting this CA (or self-signed cert)")


def _mllp_send(args: argparse.Namespace, out: TextIO) -> int:
    import ssl  # noqa: PLC0415

    from radimpress.reading.hl7.segments import split_messages  # noqa: PLC0415
    from radimpress.transports.mllp_client import MllpSender  # noqa: PLC0415

    tls = ssl.create_default_context(cafile=args.tls_ca) if args.tls_ca else None
    failed = 0
    with MllpSender(
        args.host, args.port, attempts=args.attempts, backoff=args.backoff, timeout=args.timeout, tls=tls
    ) as sender:
        for source, path in _sources(args.paths):
            payload = _read_stdin() if path is None else path.read_bytes()
            try:
                messages = split_messages(payload)
            except ReportError as exc:
                out.write(f"{source}: not sent: {exc}\n")
                failed += 1
                continue
            for number, message in enumerate(messages, start=1):
                name = f"{source}#{number}" if len(messages) > 1 else source
                delivery = sender.send(message.encode("utf-8"))
                said = f": {delivery.text}" if delivery.text and delivery.outcome != "delivered" else ""
                out.write(
                    f"{name}: {delivery.outcome} {delivery.code or '-'} after {delivery.attempts}{said}\n"
                )
                failed += delivery.outcome != "delivered"
    return 1 if failed else 0


def _add_dashboard(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="write the operations dashboard (one offline HTML file) from a copy of results/ and errors/",
        description=(
            "Run the Athena queries under sql/ on DuckDB over DIR/results (Parquet) and DIR/errors (JSON "
            "lines) and write one self-contained HTML page: volume, failures, latency, scores, flags, recent "
            "drafts. It holds report text: on a site's own data it is PHI-bearing."
        ),
    )
    dashboard.add_argument("directory", metavar="DIR", type=Path, help="holds the bucket's results/, errors/")
    dashboard.add_argument(
        "--out", type=Path, default=Path("dashboard.html"), help="(default dashboard.html)"
    )
    dashboard.add_argument("--sql", type=Path, help="the queries' folder (default: sql/ at or above the cwd)")
    dashboard.add_argument("--title", help="the page's title")


def _dashboard(args: argparse.Namespace, out: TextIO) -> int:
    from radimpress.dashboard import DEFAULT_TITLE, write_dashboard  # noqa: PLC0415 - altair only here
    from radimpress.dashboard.data import find_sql_dir  # noqa: PLC0415
    from radimpress.dashboard.source import open_bucket_copy  # noqa: PLC0415 - duckdb only here

    sql_dir = args.sql or find_sql_dir()
    path = write_dashboard(
        open_bucket_copy(args.directory), sql_dir, args.out, title=args.title or DEFAULT_TITLE
    )
    out.write(f"{path}\n")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, not {text!r}") from None


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay",
        help="send messages that failed at ingest back to the ingest queue (after a fix)",
        description=(
            "Select the ingest error records of the given days and send each archived message to the "
            "ingest queue again as a claim check on its raw archive object. Reports drafted before are "
            "deduplicated by the ingest function; a message that fails again rewrites its error record."
        ),
    )
    replay.add_argument("--bucket", required=True, help="the data bucket (stack output DataBucketName)")
    replay.add_argument("--queue-url", required=True, help="the ingest queue (stack output IngestQueueUrl)")
    replay.add_argument(
        "--date",
        dest="days",
        type=_day,
        action="append",
        required=True,
        metavar="YYYY-MM-DD",
        help="a day of error records (the errors/dt= partition), repeatable",
    )
    replay.add_argument(
        "--error-type",
        dest="error_types",
        action="append",
        default=[],
        metavar="TYPE",
        help="only records of this error type (e.g. no_findings), repeatable",
    )
    replay.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    replay.add_argument("--json", action="store_true", help="print one JSON object")


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from radimpress.adapters.s3 import S3ObjectStore  # noqa: PLC0415
    from radimpress.adapters.sqs import SqsQueue  # noqa: PLC0415
    from radimpress.pipeline import replay  # noqa: PLC0415 - boto3 loads only for this command

    store = S3ObjectStore(args.bucket)
    plan = replay.plan_replay(store, args.days, error_types=args.error_types)
    result = None if args.dry_run else replay.replay(plan, store, SqsQueue(args.queue_url))
    summary: dict[str, object] = {
        "error_records": plan.records,
        "messages": len(plan.raw_keys),
        "by_error_type": dict(sorted(plan.error_types.items())),
        "skipped": dict(sorted(plan.skipped.items())),
        "sent": None if result is None else result.sent,
        "refused": None if result is None else list(result.refused),
    }
    if args.json:
        out.write(json.dumps(summary) + "\n")
    else:
        types = ", ".join(f"{name} {n}" for name, n in sorted(plan.error_types.items())) or "none"
        skipped = ", ".join(f"{name} {n}" for name, n in sorted(plan.skipped.items())) or "none"
        out.write(f"error records: {plan.records}; messages to replay: {len(plan.raw_keys)} ({types})\n")
        out.write(f"skipped: {skipped}\n")
        if result is None:
            out.write("dry run: nothing sent\n")
        else:
            out.write(f"sent: {result.sent}; refused by the queue: {len(result.refused)}\n")
            out.writelines(f"  refused: {key}\n" for key in result.refused)
    return 1 if result is not None and result.refused else 0


def _engine_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` for ``--engine-option``; the value read as JSON when it is JSON (numbers, true)."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


_ENGINE_OPTION: dict[str, Any] = {
    "dest": "engine_options",
    "metavar": "KEY=VALUE",
    "type": _engine_option,
    "action": "append",
    "default": [],
    "help": "an option for the engine, repeatable (e.g. checkpoint=DIR for flan-t5)",
}


def _add_draft_and_evaluate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engine_help = "engine name (default: the registry's default engine)"
    index_help = "reports the engine drafts from: JSONL or MEDIQA-2021 JSON (default: the bundled IU reports)"
    draft = commands.add_parser(
        "draft",
        help="draft an impression from findings and print it with its safety flags",
        description="Draft an impression from findings (--findings or stdin); print it and its flags.",
    )
    draft.add_argument("--findings", metavar="TEXT", help="the findings (default: read from stdin)")
    draft.add_argument(
        "--comparison", metavar="TEXT", help="the report's comparison section (for the comparison flag)"
    )
    draft.add_argument("--engine", metavar="NAME", help=engine_help)
    draft.add_argument("--engine-option", **_ENGINE_OPTION)
    draft.add_argument("--index", metavar="FILE", help=index_help)
    draft.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate = commands.add_parser(
        "evaluate",
        help="draft every report of a file and print ROUGE, the normal/abnormal split and safety flags",
        description=(
            "Draft each report's findings and score the draft against the radiologist's impression. "
            "When --reports and --index are the same file (by default the bundled IU reports), the engine "
            "runs leave-one-out: indexed reports with the same normalised findings are skipped."
        ),
    )
    evaluate.add_argument("--reports", metavar="FILE", help="JSONL or MEDIQA-2021 JSON reports to evaluate")
    evaluate.add_argument("--index", metavar="FILE", help=index_help)
    evaluate.add_argument(
        "--split",
        choices=("dev",),
        help="evaluate the dev part of --reports (default the bundled IU reports) against its train part",
    )
    evaluate.add_argument("--engine", metavar="NAME", help=engine_help)
    evaluate.add_argument("--engine-option", **_ENGINE_OPTION)
    evaluate.add_argument("--stemmer", action="store_true", help="Porter stemmer in ROUGE (default: off)")
    evaluate.add_argument("--limit", metavar="N", type=int, help="evaluate only the first N reports")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--drafts",
        metavar="FILE",
        help="also write one JSON line per report (findings, draft, reference, ROUGE, observation F1, flags)",
    )
    evaluate.add_argument(
        "--wrap",
        metavar="COLUMNS",
        type=int,
        help="wrap each report's findings at COLUMNS with line breaks first, as a feed would",
    )
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _draft(args: argparse.Namespace, out: TextIO) -> int:
    from radimpress.drafting.safety import flag_draft  # noqa: PLC0415
    from radimpress.scoring.offline import open_index_engine  # noqa: PLC0415 - engines load only when used

    findings = args.findings if args.findings is not None else _read_stdin().decode("utf-8", "replace")
    with open_index_engine(args.index, args.engine, dict(args.engine_options)) as engine:
        draft = engine.draft(findings)
    flags = () if draft.text is None else flag_draft(findings, draft.text, comparison=args.comparison)
    if args.json:
        document = {
            "draft": draft.text,
            "abstained_reason": draft.abstained_reason,
            "engine": draft.engine,
            "model_id": draft.model_id,
            "latency_ms": draft.latency_ms,
            "flags": [{**flag.as_dict(), "code": flag.code} for flag in flags],
        }
        out.write(json.dumps(document, ensure_ascii=False) + "\n")
        return 0
    if draft.text is None:
        out.write(f"no draft: the engine abstained ({draft.abstained_reason})\n")
    else:
        out.write(draft.text.strip() + "\n\n")
        out.write(f"safety flags: {len(flags) or 'none'}\n")
        out.writelines(f"  {flag.kind.value}  {flag.observation}: {flag.detail}\n" for flag in flags)
    out.write(f"engine: {draft.engine} ({draft.model_id}), {draft.latency_ms:.1f} ms\n")
    return 0


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from radimpress.scoring import offline as offline_eval  # noqa: PLC0415 - engines and ROUGE load only when used
    from radimpress.scoring import offline_output  # noqa: PLC0415

    plan = offline_eval.plan_evaluation(
        reports=args.reports, index=args.index, split=args.split, limit=args.limit
    )
    progress = None if args.no_progress else offline_eval.ProgressBar(sys.stderr)
    with offline_eval.open_engine(plan, args.engine, dict(args.engine_options)) as engine:
        evaluation = offline_eval.evaluate(
            plan.pairs,
            engine,
            use_stemmer=args.stemmer,
            progress=progress,
            description=plan.description,
            wrap=args.wrap,
        )
    if args.drafts is not None:
        with Path(args.drafts).open("w", encoding="utf-8") as drafts:
            offline_output.write_drafts(evaluation, drafts)
    if args.json:
        out.write(json.dumps(offline_output.evaluation_to_json(evaluation)) + "\n")
    else:
        out.write(offline_output.format_evaluation(evaluation))
    return 0


def _sources(paths: Sequence[str]) -> Iterator[tuple[str, Path | None]]:
    """(source name, file) per input in order; directories walked recursively, sorted, dot-files skipped."""
    for raw in paths:
        path = Path(raw)
        if raw == STDIN:
            yield STDIN, None
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield str(child), child
        else:
            yield raw, path


def _read_stdin() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    return buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8")


def _error_line(source: str, code: str, message: str) -> dict[str, Any]:
    return {"source": source, "error": {"type": code, "message": message}}


def _parse_one(source: str, path: Path | None, *, fmt: Format, key: bytes | None) -> Iterator[dict[str, Any]]:
    """The output lines for one input: a report or an error line per message."""
    try:
        payload = _read_stdin() if path is None else path.read_bytes()
    except FileNotFoundError:
        yield _error_line(source, "not_found", "no such file")
        return
    except OSError as exc:
        yield _error_line(source, "io_error", exc.strerror or type(exc).__name__)
        return
    try:
        outcomes = read_reports(payload, source=source, fmt=fmt, pseudonym_key=key)
    except ReportError as exc:
        yield _error_line(source, exc.code, str(exc))
        return
    for number, outcome in enumerate(outcomes, start=1):
        if isinstance(outcome, ReportError):
            # named as read_reports names the messages of a batch: "<source>#<n>"
            name = f"{source}#{number}" if len(outcomes) > 1 else source
            yield _error_line(name, outcome.code, str(outcome))
            continue
        line = outcome.to_json_dict()
        if key is not None:
            line["patient_key"] = outcome.patient_key
        yield line


def _parse(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    key: bytes | None = None
    if args.pseudonym_key_env:
        value = os.environ.get(args.pseudonym_key_env)
        if not value:
            parser.error(f"--pseudonym-key-env: environment variable {args.pseudonym_key_env} is not set")
        key = value.encode("utf-8")
    if args.paths.count(STDIN) > 1:
        parser.error("- (stdin) may be given only once")
    failed = False
    for source, path in _sources(args.paths):
        for line in _parse_one(source, path, fmt=args.fmt, key=key):
            failed = failed or "error" in line
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``radimpress`` command; returns the exit status (argparse exits 2 itself)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "parse":
        return _parse(args, parser, sys.stdout)
    try:
        if args.command == "draft":
            return _draft(args, sys.stdout)
        if args.command == "evaluate":
            return _evaluate(args, sys.stdout)
        if args.command == "replay":
            return _replay(args, sys.stdout)
        if args.command == "index":
            return _index(args, sys.stdout)
        if args.command == "mllp":
            return _mllp(args, sys.stdout)
        if args.command == "mllp-send":
            return _mllp_send(args, sys.stdout)
        if args.command == "dashboard":
            return _dashboard(args, sys.stdout)
    except ConfigurationError as exc:
        parser.error(str(exc))
    except (DependencyRefusedError, TransientError) as exc:
        # an AWS dependency refused or failed the call (no such queue, access denied, throttled): no trace
        sys.stderr.write(f"radimpress {args.command}: {exc} [{exc.code}]\n")
        return 1
    parser.error(f"unknown command {args.command}")  # unreachable: argparse checks the choice
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
