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
    validation/validation.jsonl  + validation/template.json   -> the "validation" channel (split "dev")
    manifest.json                                             counts and a sha256 per file

**Which pairs.** ``--split dev`` (default): the train part of :func:`radimpress.datasets.split.load_split`
trains, its dev part validates (no dev findings occur in train). ``--split all``: every pair trains and no
validation channel is written (JumpStart then holds out a share of the training data itself). Exact
duplicate pairs (same findings and impression) are kept once, the first in file order. The output depends
only on the input file: same bytes in, same bytes out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.datasets.split import load_split
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.errors import ConfigurationError, RadimpressError

__all__ = [
    "TEMPLATE",
    "Dataset",
    "SplitName",
    "build_dataset",
    "dataset_files",
    "dedupe",
    "main",
    "prepare",
    "to_jsonl",
    "write_files",
]

SplitName = Literal["dev", "all"]

#: template.json: each sample's own ``prompt`` and ``completion`` fields, used as they are.
TEMPLATE: Mapping[str, str] = {"prompt": "{prompt}", "completion": "{completion}"}

TRAIN_FILE = "train/train.jsonl"
VALIDATION_FILE = "validation/validation.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True, slots=True)
class Dataset:
    """The pairs each channel trains or validates on, after de-duplication, and what was dropped."""

    train: tuple[ReportPair, ...]
    validation: tuple[ReportPair, ...] | None
    duplicates: int
    split: SplitName
    template: str = STUDY_PROMPT


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
) -> Dataset:
    """The dataset of already split pairs: duplicates dropped within each part; an empty train raises."""
    kept_train, dropped_train = dedupe(train)
    if not kept_train:
        raise ConfigurationError(
            "no report with both findings and an impression to train on", where="reports"
        )
    kept_validation, dropped_validation = dedupe(validation) if validation is not None else (None, 0)
    return Dataset(kept_train, kept_validation, dropped_train + dropped_validation, split, template)


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


def dataset_files(dataset: Dataset, *, source_name: str, source_sha256: str) -> dict[str, bytes]:
    """Every file to write, by path relative to the output directory, the manifest last."""
    template = _json(dict(TEMPLATE))
    files = {TRAIN_FILE: to_jsonl(dataset.train, dataset.template), "train/template.json": template}
    if dataset.validation is not None:
        files[VALIDATION_FILE] = to_jsonl(dataset.validation, dataset.template)
        files["validation/template.json"] = template
    manifest = {
        "source": {"name": source_name, "sha256": source_sha256},
        "split": dataset.split,
        "prompt_template": dataset.template,
        "counts": {
            "train": len(dataset.train),
            "validation": None if dataset.validation is None else len(dataset.validation),
            "duplicates_dropped": dataset.duplicates,
        },
        "files": {
            path: {"bytes": len(data), "sha256": _sha256(data), "lines": data.count(b"\n")}
            for path, data in sorted(files.items())
        },
    }
    return {**files, MANIFEST_FILE: _json(manifest)}


# --- adapters: the file system and the command line ------------------------------------------------------


def prepare(reports: str | Path, out: str | Path, *, split: SplitName = "dev") -> dict[str, bytes]:
    """Read ``reports`` (JSONL or MEDIQA-2021 JSON), write the dataset under ``out``; returns the files."""
    source = Path(reports)
    if split == "dev":
        parts = load_split(source)
        dataset = build_dataset(parts.train, parts.dev, split=split)
    elif split == "all":
        dataset = build_dataset(load_pairs(source), None, split=split)
    else:
        raise ConfigurationError(f"unknown split {split!r}; known: dev, all", where="split")
    files = dataset_files(dataset, source_name=source.name, source_sha256=_sha256(source.read_bytes()))
    write_files(Path(out), files)
    return files


def write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative paths) under ``directory``, creating folders, replacing what is there."""
    for relative, data in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", required=True, help="reports JSONL or MEDIQA-2021 JSON list")
    parser.add_argument("--out", required=True, help="output directory (train/, validation/, manifest.json)")
    parser.add_argument("--split", choices=("dev", "all"), default="dev")
    args = parser.parse_args(argv)
    try:
        files = prepare(args.reports, args.out, split=args.split)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(files[MANIFEST_FILE].decode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
