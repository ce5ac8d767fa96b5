"""The demo's moto server is lightened (radimpress.local.moto_server._lighten): same answers, less work."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from moto.core.utils import unix_time, unix_time_millis
from moto.sqs import models as sqs
from moto.sqs.exceptions import InvalidAttributeName

from radimpress.local.moto_server import ACCOUNT_ID, DEFAULT_REGION, _lighten_sqs


def lightened_backend_class() -> Any:
    """A subclass of moto's SQS backend with the changes applied, so moto itself stays untouched."""
    namespace = SimpleNamespace(
        SQSBackend=type("SQSBackend", (sqs.SQSBackend,), {}),
        InvalidAttributeName=InvalidAttributeName,
        unix_time=unix_time,
        unix_time_millis=unix_time_millis,
    )
    _lighten_sqs(namespace, time.time)
    assert namespace.unix_time() == pytest.approx(unix_time(), abs=1.0)
    assert namespace.unix_time_millis() == pytest.approx(unix_time_millis(), abs=1000.0)
    return namespace.SQSBackend


def with_messages(backend: Any) -> Any:
    backend.create_queue("q", VisibilityTimeout="30", MessageRetentionPeriod="60")
    for n in range(5):
        backend.send_message("q", f"message {n}")
    backend.receive_message("q", 2, 0, 30, ["All"])  # two in flight, three visible
    return backend


@pytest.mark.parametrize(
    "names",
    [
        ["All"],
        ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        ["ApproximateNumberOfMessagesDelayed", "VisibilityTimeout", "VisibilityTimeout"],
        ["MessageRetentionPeriod", "KmsMasterKeyId"],
        [],
    ],
)
def test_queue_attributes_are_what_moto_answers(names: list[str]) -> None:
    stock = with_messages(sqs.SQSBackend(DEFAULT_REGION, ACCOUNT_ID))
    light = with_messages(lightened_backend_class()(DEFAULT_REGION, ACCOUNT_ID))
    expected = stock.get_queue_attributes("q", names)
    got = light.get_queue_attributes("q", names)
    for volatile in ("CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"):
        expected.pop(volatile, None)
        got.pop(volatile, None)
    assert got == expected
    if names[:1] == ["ApproximateNumberOfMessages"]:
        assert got == {"ApproximateNumberOfMessages": 3, "ApproximateNumberOfMessagesNotVisible": 2}


def test_an_unknown_attribute_name_is_still_refused() -> None:
    light = with_messages(lightened_backend_class()(DEFAULT_REGION, ACCOUNT_ID))
    with pytest.raises(InvalidAttributeName):
        light.get_queue_attributes("q", ["ApproximateNumberOfMessages", "NoSuchAttribute"])


def test_retention_still_expires_messages() -> None:
    light = with_messages(lightened_backend_class()(DEFAULT_REGION, ACCOUNT_ID))
    message = light.get_queue("q")._messages[0]
    assert light.is_message_valid_based_on_retention_period("q", message)
    message.sent_timestamp -= 61_000  # older than the queue's 60 s retention
    assert not light.is_message_valid_based_on_retention_period("q", message)
