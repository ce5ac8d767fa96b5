"""SQS adapter of the :class:`~radimpress.ports.MessageQueue` port: ``SendMessageBatch``, ten at a time.

On a FIFO queue (URL ending ``.fifo``) a message's ``dedup-id`` attribute becomes its
MessageDeduplicationId (SQS then drops a copy sent within five minutes) and its MessageGroupId.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from radimpress.adapters._aws import CONNECTION_ERRORS, bounded_client, client, is_transient
from radimpress.errors import DependencyRefusedError, TransientError
from radimpress.ports import OutboundMessage

DEDUP_ATTRIBUTE = "dedup-id"  # radimpress.transports.intake's name for it

__all__ = ["SqsQueue"]

_BATCH = 10  # SendMessageBatch's limit


class SqsQueue:
    """One queue by URL. A refused entry (``Failed`` in the response) is reported by index, not raised;
    throttling, 5xx and connection failures raise TransientError; a refused call (no such queue, access or
    key denied) raises DependencyRefusedError with the error code."""

    def __init__(self, queue_url: str, *, sqs_client: Any = None, timeout: float | None = None) -> None:
        self.queue_url = queue_url
        self._client = sqs_client
        self.timeout = timeout

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client("sqs") if self.timeout is None else bounded_client("sqs", self.timeout)
        return self._client

    def send(self, messages: Sequence[OutboundMessage]) -> list[int]:
        refused: list[int] = []
        for start in range(0, len(messages), _BATCH):
            entries = [
                self._entry(index, message)
                for index, message in enumerate(messages[start : start + _BATCH], start)
            ]
            try:
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except ClientError as exc:
                if is_transient(exc):
                    raise TransientError("queue throttled or unavailable", where=self.queue_url) from exc
                code = exc.response.get("Error", {}).get("Code", "unknown")
                why = f"queue refused the request: {code}"
                raise DependencyRefusedError(why, where=self.queue_url) from exc
            except CONNECTION_ERRORS as exc:
                raise TransientError("queue unreachable", where=self.queue_url) from exc
            refused.extend(int(failed["Id"]) for failed in response.get("Failed", []))
        return sorted(refused)

    def _entry(self, index: int, message: OutboundMessage) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": str(index),
            "MessageBody": message.body,
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.attributes.items()
            },
        }
        dedup = message.attributes.get(DEDUP_ATTRIBUTE)
        if self.queue_url.endswith(".fifo") and dedup:
            entry["MessageDeduplicationId"] = dedup
            entry["MessageGroupId"] = dedup
        return entry
