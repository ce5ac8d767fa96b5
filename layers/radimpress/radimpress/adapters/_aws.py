"""What the boto3 adapters share: one lazily created client per service, and error classification."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

__all__ = [
    "CONNECTION_ERRORS",
    "bounded_client",
    "client",
    "error_code",
    "is_not_found",
    "is_transient",
    "reset_clients",
]

#: Failures to reach a service at all: always worth a retry.
CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound", "ResourceNotFoundException"})

# Standard retry mode already retries throttling a few times inside botocore; what still fails after that is
# mapped to TransientError so the message goes back to the queue.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30)


@cache
def client(service_name: str) -> Any:
    """The one boto3 client for ``service_name`` in this container (created on first call)."""
    return boto3.client(service_name, config=_CONFIG)


def bounded_client(service_name: str, timeout: float) -> Any:
    """A client for callers with their own deadline and their own retry (the MLLP listener, whose spool
    is the retry): connect and read give up after ``timeout`` seconds, and botocore does not retry."""
    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=timeout,
                    read_timeout=timeout, max_pool_connections=32)  # fmt: skip
    return boto3.client(service_name, config=config)


def reset_clients() -> None:
    """Forget the cached clients, so the next ones read the environment again (a local runtime or a test
    that points ``AWS_ENDPOINT_URL`` elsewhere)."""
    client.cache_clear()


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_transient(exc: ClientError) -> bool:
    """Throttling, service-side (5xx) and timeout failures: a retry may succeed."""
    status = _status(exc)
    return error_code(exc) in _THROTTLING or status == 429 or status >= 500


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in _NOT_FOUND or _status(exc) == 404
