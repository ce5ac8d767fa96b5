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
    """What reading the feed gave, by payload kind and by shape."""

    payloads: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    parsed: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    malformed_errors: Counter[str] = field(default_factory=Counter)
    malformed_accepted: Counter[str] = field(default_factory=Counter)
    corrected: int = 0
    seconds: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(self.messages.values()) + sum(self.malformed_errors.values())


def _read(item: FeedItem) -> list[ReadOutcome]:
    try:
        return read_reports(item.payload, source=item.name)
    except ReportError as exc:
        return [exc]


def _tally_malformed(tally: Tally, item: FeedItem, outcomes: list[ReadOutcome]) -> None:
    fault = item.fault or "unknown"
    for outcome in outcomes:
        if isinstance(outcome, ReportError):
            tally.malformed_errors[f"{fault} -> {outcome.code}"] += 1
        else:
            tally.malformed_accepted[fault] += 1


def _tally_reports(tally: Tally, item: FeedItem, outcomes: list[ReadOutcome]) -> None:
    shape = str(item.shape)
    if len(outcomes) != len(item.expected):
        tally.errors[f"message count {len(outcomes)} != {len(item.expected)}"] += 1
    for outcome, expected in zip(outcomes, item.expected, strict=False):
        tally.messages[shape] += 1
        if isinstance(outcome, ReportError):
            tally.errors[outcome.code] += 1
            continue
        tally.parsed[shape] += 1
        tally.corrected += outcome.supersedes_earlier
        if not section_mismatches(outcome, expected):
            tally.matched[shape] += 1
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
        if item.kind == "malformed":
            _tally_malformed(tally, item, outcomes)
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
    rate = tally.read / tally.seconds if tally.seconds else 0.0
    lines = [
        f"radimpress demo: parse stage only, {count} reports from the IU sample feed (seed {seed})",
        f"payloads       {sum(tally.payloads.values())} ({_counts(tally.payloads)})",
        f"report messages {messages}, parsed {parsed}, corrected results {tally.corrected}",
        f"errors by type {_counts(tally.errors)}",
        f"malformed      rejected: {_counts(tally.malformed_errors)}",
        f"               accepted: {_counts(tally.malformed_accepted)}",
        f"throughput     {rate:,.0f} messages/s, parse + sections ({tally.read} in {tally.seconds:.2f} s)",
        "",
        f"{'shape':<14}{'messages':>9}{'parsed':>8}{'findings+impression as sent':>29}",
    ]
    for shape, n in sorted(tally.messages.items()):
        lines.append(f"{shape:<14}{n:>9}{tally.parsed[shape]:>8}{tally.matched[shape]:>29}")
    lines += ["", "examples (findings -> impression):"]
    lines += [f"  {_short(f, 70)}\n    -> {_short(i, 70)}" for f, i in tally.examples]
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
