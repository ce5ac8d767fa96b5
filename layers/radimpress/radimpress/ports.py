"""The side-effect interfaces of the domain services, and nothing else.

Domain code (``ingest``, ``completion``, ``nightly``) touches the outside world only through these
protocols. Production adapters live in :mod:`radimpress.adapters` (boto3); unit tests use in-memory fakes
(``tests/fakes.py``). Structural typing: an adapter implements a port by having the methods, not by
inheriting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from radimpress.errors import ObjectNotFoundError

__all__ = [
    "Clock",
    "InferenceClient",
    "MessageQueue",
    "ObjectNotFoundError",
    "ObjectStore",
    "OutboundMessage",
    "SecretSource",
    "s3_uri",
    "split_s3_uri",
    "utc_now",
]

#: Wall-clock time, timezone-aware (UTC). Injected so tests pin it.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production :data:`Clock`."""
    return datetime.now(UTC)


class ObjectStore(Protocol):
    """One bucket, addressed by key. Throttling and 5xx raise :class:`~radimpress.errors.TransientError`."""

    @property
    def bucket(self) -> str: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str, *, bucket: str | None = None) -> bytes:
        """The object's bytes (``bucket``: another bucket, for a claim check); else ObjectNotFoundError."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        ...


class InferenceClient(Protocol):
    """Submits one asynchronous inference; returns the S3 URI where the output will appear.

    Throttling, 5xx and connection failures raise :class:`~radimpress.errors.TransientError`; a request the
    endpoint rejects raises :class:`~radimpress.errors.InferenceError`.
    """

    def submit(
        self, endpoint_name: str, inference_id: str, input_location: str, content_type: str
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message for a queue: its body and its string message attributes."""

    body: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class MessageQueue(Protocol):
    """A queue messages are sent to (the ingest queue from a listener or a replay; the outbound queue, from
    completion, for drafts sent back as HL7). Sends what it can and returns the
    indexes of the messages the queue refused; throttling and 5xx raise
    :class:`~radimpress.errors.TransientError`."""

    def send(self, messages: Sequence[OutboundMessage]) -> list[int]: ...


class SecretSource(Protocol):
    """A secret's value as bytes (e.g. the HMAC key for pseudonymous patient keys)."""

    def get(self, secret_id: str) -> bytes: ...


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``("bucket", "key")`` of ``s3://bucket/key``; ValueError for anything else."""
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    if rest == uri or not bucket or not key:
        raise ValueError("not an s3://bucket/key URI")
    return bucket, key
