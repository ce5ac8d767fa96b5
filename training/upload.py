"""Upload a prepared dataset (``prepare --out DIR``) to S3 as the two channels the job reads.

``DIR/train/*`` goes to ``PREFIX/train/``, ``DIR/validation/*`` to ``PREFIX/validation/`` and the manifest
to ``PREFIX/manifest.json``; the command prints the URIs to give ``finetune --train/--validation``. Only
the files the manifest lists are uploaded (plus the manifest), so a stray file in the folder never
becomes training data, and a file whose sha256 no longer matches the manifest stops the upload.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from radimpress.errors import ConfigurationError, RadimpressError
from training.prepare import MANIFEST_FILE

__all__ = ["dataset_upload_plan", "main"]


def dataset_upload_plan(directory: Path) -> dict[str, Path]:
    """Relative key → local file, for the files the manifest lists and the manifest; checks each sha256."""
    manifest_path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"no readable manifest: {exc}", where=str(manifest_path)) from exc
    plan = {MANIFEST_FILE: manifest_path}
    for relative, described in manifest.get("files", {}).items():
        path = directory / relative
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != described["sha256"]:
            raise ConfigurationError("missing or changed since prepare", where=str(path))
        plan[relative] = path
    return plan


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "radimpress-train upload",
    s3_factory: Callable[[], Any] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the folder prepare wrote")
    parser.add_argument("--to", required=True, help="s3://bucket/prefix/ for the channels")
    parser.add_argument("--kms-key", help="KMS key for SSE-KMS on every object")
    args = parser.parse_args(argv)
    try:
        plan = dataset_upload_plan(Path(args.data))
        from training.aws import client, upload_files  # noqa: PLC0415 - boto3 only when uploading

        s3 = s3_factory() if s3_factory is not None else client("s3")
        upload_files(plan, args.to, kms_key_id=args.kms_key, s3=s3)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = args.to if args.to.endswith("/") else args.to + "/"
    channels = {"train": base + "train/"}
    if any(key.startswith("validation/") for key in plan):
        channels["validation"] = base + "validation/"
    print(json.dumps(channels, indent=2, sort_keys=True))
    return 0
