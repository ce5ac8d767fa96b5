"""The training module's one boto3 adapter: S3 reads and uploads, and the AWS clients the commands use.

Everything else in ``training/`` builds requests and plans as plain data and takes these clients as
arguments, so it is tested with moto or botocore's ``Stubber`` and never imports boto3 itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from radimpress.errors import ConfigurationError

__all__ = ["client", "is_not_found", "parse_s3_uri", "s3_result_files", "upload_files"]

#: What the services deploy touches answer for a resource that is not there (SageMaker's own deletes have
#: no such code: training.endpoints asks its list calls instead).
_GONE = frozenset({"NotFound", "ObjectNotFoundException", "ResourceNotFound", "ResourceNotFoundException"})


def client(service: str, *, region: str | None = None) -> Any:
    """A boto3 client for ``service`` (the default credentials and region unless ``region``)."""
    return boto3.client(service, region_name=region)


def is_not_found(exc: Exception) -> bool:
    """True for a service's "no such resource" answer."""
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in _GONE


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → ``(bucket, prefix)``; anything else raises."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ConfigurationError("expected s3://bucket/prefix", where=uri)
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def s3_result_files(uri: str, *, s3: Any | None = None) -> Iterator[bytes]:
    """The bytes of every ``.parquet`` object under ``uri``, in key order."""
    s3 = s3 if s3 is not None else client("s3")
    bucket, prefix = parse_s3_uri(uri)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", ()) if item["Key"].endswith(".parquet")]
    for key in sorted(keys):
        yield s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def upload_files(
    files: Mapping[str, Path], uri: str, *, kms_key_id: str | None = None, s3: Any | None = None
) -> list[str]:
    """Put each local file at ``uri`` + its relative key (SSE-KMS with ``kms_key_id``); returns the URIs."""
    s3 = s3 if s3 is not None else client("s3")
    bucket, prefix = parse_s3_uri(uri)
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    extra: dict[str, str] = {}
    if kms_key_id is not None:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    uploaded = []
    for relative, path in sorted(files.items()):
        key = prefix + relative
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded
