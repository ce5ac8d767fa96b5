"""S3 adapter of the :class:`~radimpress.ports.ObjectStore` port: one bucket, keys in, bytes out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from radimpress.adapters._aws import CONNECTION_ERRORS, client, is_not_found, is_transient
from radimpress.errors import TransientError
from radimpress.ports import ObjectNotFoundError

__all__ = ["S3ObjectStore"]


class S3ObjectStore:
    """The data bucket. Server-side encryption is the bucket's default (KMS), set by the template."""

    def __init__(self, bucket: str, *, s3_client: Any = None) -> None:
        self._bucket = bucket
        self._client = s3_client

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client("s3")
        return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with _mapped(key):
            self.client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str, *, bucket: str | None = None) -> bytes:
        with _mapped(key):
            response = self.client.get_object(Bucket=bucket or self._bucket, Key=key)
            return bytes(response["Body"].read())

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with _mapped(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            ):
                keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        return sorted(keys)


@contextmanager
def _mapped(key: str) -> Iterator[None]:
    """Translate botocore failures into the port's errors; anything else (access denied) propagates."""
    try:
        yield
    except ClientError as exc:
        if is_not_found(exc):
            raise ObjectNotFoundError("object not found", where=key) from exc
        if is_transient(exc):
            raise TransientError("S3 throttled or unavailable", where=key) from exc
        raise
    except CONNECTION_ERRORS as exc:
        raise TransientError("S3 unreachable", where=key) from exc
