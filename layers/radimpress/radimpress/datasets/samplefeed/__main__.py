"""``python -m radimpress.datasets.samplefeed``: write a feed, one payload a file, and its manifest.

The generator is the source of truth; ``events/feed/`` holds a small checked-in sample of its output::

    python -m radimpress.datasets.samplefeed --out events/feed --one-per-shape \
        --manifest events/feed.expected.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from radimpress.datasets.samplefeed.feed import iter_feed, iter_sample
from radimpress.datasets.samplefeed.reports import load_reports

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m radimpress.datasets.samplefeed",
        description="Write the sample feed: IU reports rendered as HL7 v2 / text files, one payload a file.",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write the payload files to")
    parser.add_argument("--count", type=int, default=100, help="report messages to render (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reports", type=Path, help="IU reports JSONL (default: events/iu/reports.jsonl)")
    parser.add_argument("--no-faults", action="store_true", help="no malformed payloads, no duplicates")
    parser.add_argument("--one-per-shape", action="store_true", help="one payload per shape, ignores --count")
    parser.add_argument("--manifest", type=Path, help="also write the expected result of each file (JSONL)")
    args = parser.parse_args(argv)
    reports = load_reports(args.reports)
    if args.one_per_shape:
        items = list(iter_sample(reports, seed=args.seed))
    else:
        items = list(iter_feed(reports, count=args.count, seed=args.seed, include_faults=not args.no_faults))
    args.out.mkdir(parents=True, exist_ok=True)
    for item in items:
        (args.out / item.name).write_bytes(item.payload)
    if args.manifest:
        with args.manifest.open("w", encoding="utf-8") as manifest:
            for item in items:
                record = {
                    "name": item.name,
                    "shape": item.shape,
                    "kind": item.kind,
                    "fault": item.fault,
                    "expected": list(item.expected),
                }
                manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(items)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
