"""EventBridge Scheduler, on one machine: invoke the nightly function as the schedule's target would.

The template's ``NightlySchedule`` targets ``NightlyEvaluationFunction`` with a fixed ``Input`` (``{}``: the
function evaluates yesterday in its time zone). EventBridge Scheduler passes a target's ``Input`` to Lambda
verbatim as the event, so a run for a given day is the same invocation with ``{"date": "YYYY-MM-DD"}``.

The invocation is asynchronous in AWS: Lambda retries a failed run ``MaximumRetryAttempts`` times (the
function's ``EventInvokeConfig``) and then sends an invocation record to its ``OnFailure`` destination (the
NightlyDLQ). :func:`invoke_scheduled` does the same, synchronously.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from radimpress.local.poller import FunctionSpec, Handler, LambdaContext, log_unhandled

__all__ = ["ScheduledRun", "invoke_scheduled", "schedule_event"]


@dataclass(frozen=True)
class ScheduledRun:
    """What one scheduled invocation gave: the handler's response, or the failure sent to the DLQ."""

    event: dict[str, Any]
    attempts: int
    response: Any = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


def schedule_event(target_input: str | None = None, *, day: date | None = None) -> dict[str, Any]:
    """The event the target receives: its ``Input`` (JSON), with ``date`` set when a day is given."""
    event: dict[str, Any] = json.loads(target_input) if target_input else {}
    if not isinstance(event, dict):
        raise TypeError("a schedule target's Input must be a JSON object here")
    if day is not None:
        event["date"] = day.isoformat()
    return event


def _failure_record(function: FunctionSpec, event: dict[str, Any], error: str, attempts: int) -> str:
    """Lambda's asynchronous-invocation record for an ``OnFailure`` destination."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": "local",
                "functionArn": f"{function.arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorType": error},
        }
    )


def invoke_scheduled(
    handler: Handler,
    function: FunctionSpec,
    event: Mapping[str, Any],
    *,
    maximum_retry_attempts: int = 2,
    sqs: Any = None,
    on_failure_queue_url: str | None = None,
) -> ScheduledRun:
    """Invoke ``handler`` with ``event``; retry a failure, then send the invocation record to the DLQ."""
    payload = dict(event)
    error = "Unknown"
    for attempt in range(1, maximum_retry_attempts + 2):
        context = LambdaContext(
            function_name=function.name,
            memory_limit_in_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            invoked_function_arn=function.arn,
        )
        try:
            response = handler(payload, context)
        except Exception as exc:  # noqa: BLE001 - an async invocation's failure is any exception
            log_unhandled(exc)
            error = type(exc).__name__
            continue
        return ScheduledRun(payload, attempt, response=response)
    attempts = maximum_retry_attempts + 1
    if sqs is not None and on_failure_queue_url:
        sqs.send_message(
            QueueUrl=on_failure_queue_url, MessageBody=_failure_record(function, payload, error, attempts)
        )
    return ScheduledRun(payload, attempts, error=error)
