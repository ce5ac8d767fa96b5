"""``make demo``: read the sample feed and print what came out.

For now the pipeline is only its first stage (issue 2): render N IU reports as the sample feed in memory,
read every payload with :func:`radimpress.reports.read_reports`, and summarise. Later issues replace the
body with the whole local pipeline. Nothing printed carries patient identity: the reports hold none, and
the example lines are the de-identified IU texts.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from radimpress.errors import ReportError
from radimpress.reports import ReadOutcome, read_reports
from radimpress.samplefeed import FeedItem, iter_feed, load_reports, section_mismatches

__all__ = ["Tally", "main", "run"]

_EXAMPLES = 3


@dataclass(slots=True)
class Tally:
    """What reading the feed gave: report messages by shape, redeliveries, malformed payloads."""

    payloads: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    parsed: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    #: errors on reports whose source text has no findings (IU has 514): the reader is right to refuse
    refused: Counter[str] = field(default_factory=Counter)
    #: errors on reports that have findings: each one is a reader bug or a feed fault to look at
    errors: Counter[str] = field(default_factory=Counter)
    duplicates_read: int = 0
    malformed_errors: Counter[str] = field(default_factory=Counter)
    malformed_accepted: Counter[str] = field(default_factory=Counter)
    corrected: int = 0
    reads: int = 0
    seconds: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)


def _read(item: FeedItem) -> list[ReadOutcome]:
    try:
        return read_reports(item.payload, source=item.name)
    except ReportError as exc:
        return [exc]


def _tally_malformed(tally: Tally, item: FeedItem, outcomes: list[ReadOutcome]) -> None:
    fault = item.fault or "unknown"
    for outcome in outcomes:
        if isinstance(outcome, ReportError):
            tally.malformed_errors[f"{fault}->{outcome.code}"] += 1
        else:
            tally.malformed_accepted[fault] += 1


def _tally_reports(tally: Tally, item: FeedItem, outcomes: list[ReadOutcome]) -> None:
    shape = str(item.shape)
    if len(outcomes) != len(item.expected):
        tally.errors[f"{len(outcomes)} messages read, {len(item.expected)} sent"] += 1
    for outcome, expected in zip(outcomes, item.expected, strict=False):
        tally.messages[shape] += 1
        if isinstance(outcome, ReportError):
            (tally.refused if expected["findings"] is None else tally.errors)[outcome.code] += 1
            continue
        tally.parsed[shape] += 1
        tally.corrected += outcome.supersedes_earlier
        tally.matched[shape] += not section_mismatches(outcome, expected)
        findings, impression = outcome.sections.findings, outcome.sections.impression
        if findings and impression and len(tally.examples) < _EXAMPLES:
            tally.examples.append((findings, impression))


def run(items: Iterable[FeedItem]) -> Tally:
    """Read every payload, timing only the reading."""
    tally = Tally()
    for item in items:
        tally.payloads[item.kind] += 1
        started = time.perf_counter()
        outcomes = _read(item)
        tally.seconds += time.perf_counter() - started
        tally.reads += len(outcomes)
        if item.kind == "malformed":
            _tally_malformed(tally, item, outcomes)
        elif item.kind == "duplicate":
            tally.duplicates_read += sum(not isinstance(o, ReportError) for o in outcomes)
        else:
            _tally_reports(tally, item, outcomes)
    return tally


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counter.most_common()) or "none"


def format_summary(tally: Tally, *, count: int, seed: int) -> str:
    messages, parsed = sum(tally.messages.values()), sum(tally.parsed.values())
    rate = tally.reads / tally.seconds if tally.seconds else 0.0
    lines = [
        f"radimpress demo: parse stage only, {count} report messages from the IU sample feed (seed {seed})",
        f"payloads          {sum(tally.payloads.values())} ({_counts(tally.payloads)})",
        f"report messages   {messages}: parsed {parsed}, of which {tally.corrected} corrected results (C)",
        f"  refused         {_counts(tally.refused)}  (source report has no findings: expected)",
        f"  errors          {_counts(tally.errors)}  (source report has findings: investigate)",
        f"redeliveries      {tally.payloads['duplicate']} exact duplicates, {tally.duplicates_read} read",
        f"malformed         rejected {_counts(tally.malformed_errors)}",
        f"                  accepted {_counts(tally.malformed_accepted)}",
        f"throughput        {rate:,.0f} messages/s, parse + sections ({tally.reads} in {tally.seconds:.2f}s)",
        "",
        f"{'shape':<14}{'messages':>9}{'parsed':>8}   findings and impression as in the source",
    ]
    for shape, n in sorted(tally.messages.items()):
        lines.append(f"{shape:<14}{n:>9}{tally.parsed[shape]:>8}   {tally.matched[shape]}")
    lines += ["", "examples (findings -> impression):"]
    lines += [f"  {_short(f, 72)}\n    -> {_short(i, 72)}" for f, i in tally.examples]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m radimpress.demo", description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="report messages in the feed (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reports", type=Path, help="IU reports JSONL (default: events/iu/reports.jsonl)")
    args = parser.parse_args(argv)
    items = list(iter_feed(load_reports(args.reports), count=args.count, seed=args.seed))
    print(format_summary(run(items), count=args.count, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
