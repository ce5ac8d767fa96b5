"""The ``prepare`` command's inputs: which flags name which source, and how each is read.

Kept apart from :mod:`training.prepare` (the dataset format) so that a new source is one flag and one
reader here. ``--from-results`` with an ``s3://`` location reads through :mod:`training.aws`, the one
training module that holds boto3.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path

from radimpress.errors import ConfigurationError
from training.prepare import Source, file_sha256, reports_source
from training.sources.base import SourcedPair
from training.sources.indiana import iter_indiana_csv, iter_openi
from training.sources.mimic import iter_mimic, read_split_csv
from training.sources.results import finalized_pairs, local_result_files

__all__ = ["add_source_arguments", "results_source", "sources_from_arguments"]


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sources (any mix; read in this order)")
    group.add_argument(
        "--reports",
        action="append",
        default=[],
        metavar="FILE",
        help="reports JSONL or MEDIQA-2021 JSON list",
    )
    group.add_argument("--mimic", metavar="ZIP", help="mimic-cxr-reports.zip (PhysioNet layout)")
    group.add_argument("--mimic-split", metavar="CSV", help="mimic-cxr-2.0.0-split.csv (study ids)")
    group.add_argument("--indiana-csv", metavar="CSV", help="Kaggle indiana_reports.csv")
    group.add_argument("--indiana-xml", metavar="DIR|TGZ", help="Open-i ecgen-radiology/ (folder or .tgz)")
    group.add_argument(
        "--from-results",
        metavar="DIR|S3URI",
        help="the results table (local copy or s3://bucket/results/): finalized reports",
    )


def _existing(path: str, what: str) -> Path:
    location = Path(path)
    if not location.exists():
        raise ConfigurationError(f"{what} not found", where=path)
    return location


def _digest(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None


def _results_pairs(location: str) -> Iterator[SourcedPair]:
    from radimpress.adapters.parquet import read_results  # noqa: PLC0415 - pyarrow only for this source

    if location.startswith("s3://"):
        from training.aws import s3_result_files  # noqa: PLC0415 - boto3 only for an S3 location

        blobs: Iterable[bytes] = s3_result_files(location)
    else:
        blobs = local_result_files(location)
    yield from finalized_pairs(record for blob in blobs for record in read_results(blob))


def results_source(location: str) -> Source:
    """The finalized reports of a results table (no file digest: the table grows every day)."""
    return Source("results", location, lambda: _results_pairs(location))


def sources_from_arguments(args: argparse.Namespace) -> tuple[list[Source], dict[str, str] | None]:
    """The sources the flags name, in a fixed order, and MIMIC's study → split map when given."""
    sources = [reports_source(_existing(path, "reports file")) for path in args.reports]
    assigned = None
    if args.mimic:
        archive = _existing(args.mimic, "MIMIC-CXR archive")
        sources.append(Source("mimic-cxr", str(archive), lambda: iter_mimic(archive), _digest(archive)))
        if args.mimic_split:
            assigned = read_split_csv(_existing(args.mimic_split, "split CSV"))
    elif args.mimic_split:
        raise ConfigurationError("--mimic-split needs --mimic", where="--mimic-split")
    if args.indiana_csv:
        csv_path = _existing(args.indiana_csv, "Indiana CSV")
        sources.append(
            Source("indiana-csv", str(csv_path), lambda: iter_indiana_csv(csv_path), _digest(csv_path))
        )
    if args.indiana_xml:
        xml_path = _existing(args.indiana_xml, "Open-i reports")
        sources.append(Source("indiana-xml", str(xml_path), lambda: iter_openi(xml_path), _digest(xml_path)))
    if args.from_results:
        sources.append(results_source(args.from_results))
    return sources, assigned
