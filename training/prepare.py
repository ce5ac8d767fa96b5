"""Turn reports with findings and impressions into the SageMaker JumpStart text2text fine-tuning dataset.

**The format JumpStart reads** (the FLAN-T5 instruction fine-tuning example in aws/amazon-sagemaker-examples):
each channel is one folder of JSON Lines files (the ``.jsonl`` extension is mandatory), one object per
sample, plus an optional ``template.json`` whose ``prompt`` and ``completion`` strings name the fields of a
sample in braces. Without one the default ``{"prompt": "{prompt}", "completion": "{completion}"}`` applies.

**What is written here.** Every sample is ``{"prompt": build_prompt(findings), "completion": impression}``:
the prompt is already the study's instruction around the findings
(:data:`radimpress.drafting.prompts.STUDY_PROMPT`, filled by literal replacement), and ``template.json`` is
written out as that default mapping. So the template never formats report text itself: a brace in a report
stays text. Layout under ``--out``::

    train/train.jsonl            + train/template.json        -> the "training" channel
    validation/validation.jsonl  + validation/template.json   -> the "validation" channel
    manifest.json                                             sources, counts, statistics, a sha256 per file

**Where the pairs come from** (any mix; :mod:`training.sources`): our JSONL or a MEDIQA-2021 JSON list
(``--reports``), ``mimic-cxr-reports.zip`` (``--mimic``, with its split CSV ``--mimic-split``), the
Indiana collection (``--indiana-csv``: Kaggle; ``--indiana-xml``: Open-i), and the pipeline's finalized
reports (``--from-results``: a local copy of ``results/`` or ``s3://bucket/results/``).

**Which pairs.** ``--split hash`` (default): :func:`training.splitting.split_sourced`, 95/5 by the hash of
the patient (or study), duplicates and evaluation leaks (``--evaluation FILE``) dropped, MIMIC's own split
honoured where given. ``--split dev``: the findings-group split of :mod:`radimpress.datasets.split` (no dev
findings occur in train). ``--split all``: every pair trains and no validation channel is written
(JumpStart then holds out a share of the training data itself). The output depends only on the inputs:
same bytes in, same bytes out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from radimpress.datasets.corpus import ReportPair, iter_pairs
from radimpress.datasets.split import split_pairs
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.errors import ConfigurationError, RadimpressError
from training.sources.base import SourcedPair, sourced
from training.splitting import VALIDATION_FRACTION, LeakCheck, Prepared, length_stats, split_sourced

__all__ = [
    "MANIFEST_FILE",
    "TEMPLATE",
    "Dataset",
    "Source",
    "SplitName",
    "build_dataset",
    "dataset_files",
    "dedupe",
    "file_sha256",
    "format_summary",
    "main",
    "prepare",
    "prepare_sources",
    "to_jsonl",
    "write_files",
]

SplitName = Literal["hash", "dev", "all"]

#: template.json: each sample's own ``prompt`` and ``completion`` fields, used as they are.
TEMPLATE: Mapping[str, str] = {"prompt": "{prompt}", "completion": "{completion}"}

TRAIN_FILE = "train/train.jsonl"
VALIDATION_FILE = "validation/validation.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True, slots=True)
class Dataset:
    """The pairs each channel trains or validates on, and what was read and dropped on the way."""

    train: tuple[ReportPair, ...]
    validation: tuple[ReportPair, ...] | None
    duplicates: int
    split: SplitName
    template: str = STUDY_PROMPT
    read: Mapping[str, int] = field(default_factory=dict)
    dropped: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Source:
    """One input: its kind, where it is, and how to read it (a thunk, so nothing is read twice)."""

    kind: str
    location: str
    read: Callable[[], Iterable[SourcedPair]]
    sha256: str | None = None


def dedupe(pairs: Iterable[ReportPair]) -> tuple[tuple[ReportPair, ...], int]:
    """The pairs with each exact (findings, impression) kept once, first in order; and how many went."""
    seen: set[tuple[str, str]] = set()
    kept: list[ReportPair] = []
    dropped = 0
    for pair in pairs:
        key = (pair.findings, pair.impression)
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(pair)
    return tuple(kept), dropped


def build_dataset(
    train: Sequence[ReportPair],
    validation: Sequence[ReportPair] | None,
    *,
    split: SplitName,
    template: str = STUDY_PROMPT,
    read: Mapping[str, int] | None = None,
    dropped: Mapping[str, int] | None = None,
) -> Dataset:
    """The dataset of already split pairs: duplicates dropped within each part; an empty train raises."""
    kept_train, dropped_train = dedupe(train)
    if not kept_train:
        raise ConfigurationError(
            "no report with both findings and an impression to train on", where="reports"
        )
    kept_validation, dropped_validation = dedupe(validation) if validation is not None else (None, 0)
    reasons = dict(dropped or {})
    duplicates = dropped_train + dropped_validation
    if duplicates:
        reasons["duplicate_pair"] = reasons.get("duplicate_pair", 0) + duplicates
    total_duplicates = reasons.get("duplicate_pair", 0) + reasons.get("duplicate_study", 0)
    return Dataset(kept_train, kept_validation, total_duplicates, split, template, dict(read or {}), reasons)


def to_jsonl(pairs: Iterable[ReportPair], template: str = STUDY_PROMPT) -> bytes:
    """One ``{"prompt", "completion"}`` line per pair, UTF-8, in order."""
    lines = (
        json.dumps(
            {"prompt": build_prompt(pair.findings, template), "completion": pair.impression},
            ensure_ascii=False,
        )
        + "\n"
        for pair in pairs
    )
    return "".join(lines).encode("utf-8")


def _json(document: object) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _statistics(dataset: Dataset) -> dict[str, object]:
    parts = {"train": dataset.train, "validation": dataset.validation or ()}
    return {
        name: {field: stats.as_json() for field, stats in length_stats(pairs).items()}
        for name, pairs in parts.items()
    }


def dataset_files(dataset: Dataset, *, sources: Sequence[Mapping[str, str | None]]) -> dict[str, bytes]:
    """Every file to write, by path relative to the output directory, the manifest last."""
    template = _json(dict(TEMPLATE))
    files = {TRAIN_FILE: to_jsonl(dataset.train, dataset.template), "train/template.json": template}
    if dataset.validation is not None:
        files[VALIDATION_FILE] = to_jsonl(dataset.validation, dataset.template)
        files["validation/template.json"] = template
    manifest = {
        "sources": [dict(source) for source in sources],
        "split": dataset.split,
        "prompt_template": dataset.template,
        "counts": {
            "read": dict(sorted(dataset.read.items())),
            "train": len(dataset.train),
            "validation": None if dataset.validation is None else len(dataset.validation),
            "duplicates_dropped": dataset.duplicates,
            "dropped": dict(sorted(dataset.dropped.items())),
        },
        "words": _statistics(dataset),
        "files": {
            path: {"bytes": len(data), "sha256": _sha256(data), "lines": data.count(b"\n")}
            for path, data in sorted(files.items())
        },
    }
    return {**files, MANIFEST_FILE: _json(manifest)}


def format_summary(manifest: Mapping[str, object]) -> str:
    """The counts and word statistics of a manifest as the few lines ``prepare`` prints."""
    counts = manifest["counts"]
    words = manifest["words"]
    assert isinstance(counts, dict) and isinstance(words, dict)
    read = ", ".join(f"{name} {count}" for name, count in counts["read"].items()) or "nothing"
    dropped = ", ".join(f"{name} {count}" for name, count in counts["dropped"].items()) or "none"
    lines = [
        f"read: {read}",
        f"dropped: {dropped}",
        f"split {manifest['split']}: train {counts['train']}, validation {counts['validation'] or 0}",
        f"{'words':<28}{'n':>8}{'mean':>9}{'median':>9}{'p95':>7}{'max':>7}",
    ]
    for part, fields in words.items():
        for name, stats in fields.items():
            lines.append(
                f"{part + ' ' + name:<28}{stats['count']:>8}{stats['mean']:>9.1f}{stats['median']:>9.1f}"
                f"{stats['p95']:>7}{stats['max']:>7}"
            )
    return "\n".join(lines) + "\n"


# --- adapters: the file system and the command line ------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _split(
    items: Iterator[SourcedPair],
    split: SplitName,
    *,
    assigned: Mapping[str, str] | None,
    evaluation: LeakCheck | None,
    validation_fraction: float,
) -> Dataset:
    if split == "hash":
        prepared: Prepared = split_sourced(
            items, validation_fraction=validation_fraction, assigned=assigned, evaluation=evaluation
        )
        return build_dataset(
            prepared.train, prepared.validation, split=split, read=prepared.read, dropped=prepared.dropped
        )
    listed = list(items)
    read: dict[str, int] = {}
    for item in listed:
        read[item.source] = read.get(item.source, 0) + 1
    pairs = [item.pair for item in listed if evaluation is None or not evaluation.leaks(item.pair)]
    dropped = {"evaluation_leak": len(listed) - len(pairs)} if len(pairs) < len(listed) else {}
    if split == "all":
        return build_dataset(pairs, None, split=split, read=read, dropped=dropped)
    if split == "dev":
        parts = split_pairs(pairs)
        return build_dataset(parts.train, parts.dev, split=split, read=read, dropped=dropped)
    raise ConfigurationError(f"unknown split {split!r}; known: hash, dev, all", where="split")


def prepare_sources(
    sources: Sequence[Source],
    out: str | Path,
    *,
    split: SplitName = "hash",
    evaluation: Sequence[str | Path] = (),
    assigned: Mapping[str, str] | None = None,
    validation_fraction: float = VALIDATION_FRACTION,
) -> dict[str, bytes]:
    """Read every source in order, split, write the dataset under ``out``; returns the files written."""
    if not sources:
        raise ConfigurationError("give at least one source of reports", where="sources")
    check = LeakCheck.of(p for path in evaluation for p in iter_pairs(Path(path))) if evaluation else None
    items = (item for source in sources for item in source.read())
    dataset = _split(
        items, split, assigned=assigned, evaluation=check, validation_fraction=validation_fraction
    )
    described = [
        {"kind": source.kind, "name": Path(source.location).name or source.location, "sha256": source.sha256}
        for source in sources
    ]
    described += [
        {"kind": "evaluation", "name": Path(path).name, "sha256": file_sha256(Path(path))}
        for path in evaluation
    ]
    files = dataset_files(dataset, sources=described)
    write_files(Path(out), files)
    return files


def reports_source(path: str | Path) -> Source:
    """Our JSONL or a MEDIQA-2021 JSON list."""
    source = Path(path)
    return Source("reports", str(source), lambda: sourced(iter_pairs(source), "reports"), file_sha256(source))


def prepare(reports: str | Path, out: str | Path, *, split: SplitName = "dev") -> dict[str, bytes]:
    """Read ``reports`` (JSONL or MEDIQA-2021 JSON), write the dataset under ``out``; returns the files."""
    source = Path(reports)
    if not source.is_file():
        raise ConfigurationError("cannot read the reports file", where=str(source))
    return prepare_sources([reports_source(source)], out, split=split)


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative paths) under ``directory``, creating folders, replacing what is there."""
    for relative, data in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m training.prepare") -> int:
    from training.inputs import add_source_arguments, sources_from_arguments  # noqa: PLC0415 - no cycle

    parser = argparse_parser(prog)
    add_source_arguments(parser)
    args = parser.parse_args(argv)
    try:
        sources, assigned = sources_from_arguments(args)
        files = prepare_sources(
            sources,
            args.out,
            split=args.split,
            evaluation=args.evaluation,
            assigned=assigned,
            validation_fraction=args.validation_fraction,
        )
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    manifest = files[MANIFEST_FILE].decode("utf-8")
    sys.stdout.write(manifest if args.json else format_summary(json.loads(manifest)))
    return 0


def argparse_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output directory (train/, validation/, manifest.json)")
    parser.add_argument("--split", choices=("hash", "dev", "all"), default="hash")
    parser.add_argument(
        "--validation-fraction", type=float, default=VALIDATION_FRACTION, help="hash split only (0.05)"
    )
    parser.add_argument(
        "--evaluation",
        action="append",
        default=[],
        metavar="FILE",
        help="an evaluation reports file (JSONL/MEDIQA): its studies and findings never train",
    )
    parser.add_argument("--json", action="store_true", help="print the manifest instead of the summary")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
