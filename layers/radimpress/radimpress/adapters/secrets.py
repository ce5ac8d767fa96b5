"""Secrets Manager adapter of the :class:`~radimpress.ports.SecretSource` port."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from radimpress.adapters._aws import CONNECTION_ERRORS, client, is_transient
from radimpress.errors import ConfigurationError, TransientError

__all__ = ["SecretsManagerSource"]


class SecretsManagerSource:
    """A secret's binary value, or its string value as UTF-8; never logged, never put in an error."""

    def __init__(self, *, secrets_client: Any = None) -> None:
        self._client = secrets_client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client("secretsmanager")
        return self._client

    def get(self, secret_id: str) -> bytes:
        try:
            response = self.client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            if is_transient(exc):
                raise TransientError("Secrets Manager throttled or unavailable", where="secret") from exc
            raise ConfigurationError("the secret cannot be read", where="PSEUDONYM_KEY_SECRET_ARN") from exc
        except CONNECTION_ERRORS as exc:
            raise TransientError("Secrets Manager unreachable", where="secret") from exc
        value = response.get("SecretBinary")
        if value is None:
            value = str(response.get("SecretString") or "").encode("utf-8")
        if not value:
            raise ConfigurationError("the secret is empty", where="PSEUDONYM_KEY_SECRET_ARN")
        return bytes(value)

    def cached(self, secret_id: str) -> Callable[[], bytes]:
        """A getter that reads the secret on its first call and returns the same bytes afterwards: one read
        per container, and not at import, so a cold start makes no network call before the first message."""
        return cache(lambda: self.get(secret_id))
