"""Lambda's SQS event source mapping, on one machine: poll a queue, invoke a handler in-process, acknowledge.

What Lambda does, and so what :class:`SqsPoller` does:

* receive up to ``BatchSize`` messages, gathering for up to ``MaximumBatchingWindowInSeconds`` (several
  ``ReceiveMessage`` calls of at most 10 each), with every system and message attribute;
* build the real Lambda SQS event (``Records`` with ``messageId``, ``receiptHandle``, ``body``,
  ``attributes`` including ``ApproximateReceiveCount``, ``messageAttributes`` in Lambda's camel-case shape,
  ``md5OfBody``, ``eventSource`` ``aws:sqs``, ``eventSourceARN``, ``awsRegion``) and call
  ``lambda_handler(event, context)`` with a minimal :class:`LambdaContext`;
* with ``ReportBatchItemFailures``, delete every record not listed in ``batchItemFailures``; a handler that
  raises, or a response naming an unknown or empty ``itemIdentifier``, fails the whole batch;
* leave failed records alone: they reappear when their visibility timeout expires, and SQS moves a message
  to the dead-letter queue once it has been received ``maxReceiveCount`` times (moto applies the queue's
  ``RedrivePolicy`` on receive, as SQS does; ``tests/integration/test_local_poller.py`` checks it).

One poller runs one invocation at a time, like one Lambda execution environment: a handler's module-level
state (Powertools' ``BatchProcessor``) is not shared between concurrent invocations.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BatchOutcome",
    "EventSource",
    "Handler",
    "LambdaContext",
    "PollerStats",
    "SqsPoller",
    "lambda_sqs_record",
]

_RECEIVE_MAX = 10  # SQS's limit per ReceiveMessage / DeleteMessageBatch call
_IDLE_WAIT_SECONDS = 1  # long poll while the queue is empty: short, so a stop is noticed quickly
_MIN_LONG_POLL = 0.5  # seconds of batching window left below which no 1-second long poll is started


@dataclass
class LambdaContext:
    """The parts of Lambda's context object handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


Handler = Callable[[dict[str, Any], LambdaContext], Any]


@dataclass(frozen=True)
class FunctionSpec:
    """What the context needs to know about the function the poller invokes."""

    name: str
    arn: str
    memory_mb: int = 128
    timeout_seconds: int = 3


@dataclass(frozen=True)
class EventSource:
    """One SQS event source mapping: the queue and the template's event properties."""

    queue_url: str
    queue_arn: str
    region: str
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    report_batch_item_failures: bool = True


@dataclass(frozen=True)
class BatchOutcome:
    """One invocation: how many records went in, were deleted, were left to be retried."""

    received: int
    deleted: int
    failed: int
    redelivered: int  # records whose ApproximateReceiveCount was above 1
    handler_error: str | None = None


@dataclass
class PollerStats:
    """Running totals of one poller (read by the progress display from another thread)."""

    invocations: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    redelivered: int = 0
    handler_errors: int = 0
    busy: bool = False
    last_error: str | None = None

    def add(self, outcome: BatchOutcome) -> None:
        self.invocations += 1
        self.received += outcome.received
        self.deleted += outcome.deleted
        self.failed += outcome.failed
        self.redelivered += outcome.redelivered
        if outcome.handler_error is not None:
            self.handler_errors += 1
            self.last_error = outcome.handler_error


def log_unhandled(exc: BaseException) -> None:
    """What the Lambda Python runtime writes to the function's log for an unhandled exception.

    To the current ``sys.stderr``, which the demo sends to the function log: a message that carries report
    text would show there, as it would in CloudWatch, and the no-PHI test would see it.
    """
    lines = traceback.format_exception(exc)
    sys.stderr.write(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(lines)}")
    sys.stderr.flush()


def _message_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """boto3's ``MessageAttributes`` in the shape Lambda puts in the event (camel case, base64 binaries)."""
    shaped: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": [
                base64.b64encode(item).decode("ascii") for item in value.get("BinaryListValues", [])
            ],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
        shaped[name] = entry
    return shaped


def lambda_sqs_record(message: Mapping[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """One ``Records`` entry of Lambda's SQS event, from one message of a ``ReceiveMessage`` response."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {name: str(value) for name, value in message.get("Attributes", {}).items()},
        "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class SqsPoller:
    """Drives ``handler`` from ``source`` as Lambda's event source mapping does (see the module docstring)."""

    def __init__(self, sqs: Any, source: EventSource, handler: Handler, function: FunctionSpec) -> None:
        self.sqs = sqs
        self.source = source
        self.handler = handler
        self.function = function
        self.stats = PollerStats()

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=min(_RECEIVE_MAX, count),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def gather(self, wait_seconds: int = _IDLE_WAIT_SECONDS) -> list[dict[str, Any]]:
        """Up to ``batch_size`` messages: the first receive long-polls, then the batching window gathers
        with long polls too (so waiting for the rest of a batch costs the queue nothing)."""
        batch = self._receive(self.source.batch_size, wait_seconds)
        if not batch:
            return batch
        deadline = time.monotonic() + self.source.batching_window_seconds
        while len(batch) < self.source.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # ReceiveMessage waits in whole seconds: long-poll while a second or so is left, else look once
            more = self._receive(self.source.batch_size - len(batch), 1 if remaining >= _MIN_LONG_POLL else 0)
            if not more and remaining < _MIN_LONG_POLL:
                break
            batch.extend(more)
        return batch

    def invoke(self, messages: list[dict[str, Any]]) -> BatchOutcome:
        """One invocation of the handler with ``messages``, then the acknowledgements Lambda would make."""
        records = [
            lambda_sqs_record(message, queue_arn=self.source.queue_arn, region=self.source.region)
            for message in messages
        ]
        context = LambdaContext(
            function_name=self.function.name,
            memory_limit_in_mb=self.function.memory_mb,
            timeout_seconds=self.function.timeout_seconds,
            invoked_function_arn=self.function.arn,
        )
        redelivered = sum(int(r["attributes"].get("ApproximateReceiveCount", "1")) > 1 for r in records)
        try:
            response = self.handler({"Records": records}, context)
        except Exception as exc:  # noqa: BLE001 - Lambda's contract: any handler error fails the whole batch
            log_unhandled(exc)
            return BatchOutcome(len(records), 0, len(records), redelivered, type(exc).__name__)
        failed_ids = self._failed_ids(response, records)
        if failed_ids is None:
            return BatchOutcome(len(records), 0, len(records), redelivered, "InvalidBatchItemFailures")
        done = [r for r in records if r["messageId"] not in failed_ids]
        self._delete(done)
        return BatchOutcome(len(records), len(done), len(records) - len(done), redelivered)

    def _failed_ids(self, response: Any, records: list[dict[str, Any]]) -> set[str] | None:
        """The ids to retry; ``None`` when Lambda would treat the whole batch as failed."""
        if not self.source.report_batch_item_failures or not isinstance(response, Mapping):
            return set()
        failures = response.get("batchItemFailures") or []
        known = {r["messageId"] for r in records}
        ids: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if not identifier or identifier not in known:
                return None
            ids.add(str(identifier))
        return ids

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), _RECEIVE_MAX):
            chunk = records[start : start + _RECEIVE_MAX]
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": r["receiptHandle"]} for n, r in enumerate(chunk)],
            )

    def poll_once(self, wait_seconds: int = _IDLE_WAIT_SECONDS) -> BatchOutcome | None:
        """Gather one batch and invoke the handler with it; ``None`` when the queue gave nothing."""
        messages = self.gather(wait_seconds)
        if not messages:
            return None
        self.stats.busy = True
        try:
            outcome = self.invoke(messages)
        finally:
            self.stats.busy = False
        self.stats.add(outcome)
        return outcome

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set (the current batch is finished first)."""
        while not stop.is_set():
            self.poll_once()
