"""The ``radimpress`` command line.

``radimpress parse PATH...`` reads HL7 v2 or plain-text reports (files, directories, ``-`` for stdin) and
prints one JSON object per report per line. A report that cannot be read prints ``{"source", "error"}``
instead and the others go on. Exit status: 0 all read, 1 any failed, 2 bad usage.

Output never carries patient identity: a :class:`~radimpress.model.Report` has none, only the pseudonymous
``patient_key``, which is printed when a key is configured (``--pseudonym-key-env``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from radimpress import __version__
from radimpress.errors import ReportError
from radimpress.reports import Format, read_reports

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
    return parser


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
    parser.error(f"unknown command {args.command}")  # unreachable: argparse checks the choice
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
