"""HttpsIngestFunction on moto: an API Gateway POST becomes an ingest queue message, answered with an ACK."""

from __future__ import annotations

import base64
import copy
import json
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest

from radimpress.adapters.s3 import S3ObjectStore
from radimpress.transports.inbound import resolve
from tests.conftest import load_event
from tests.fakes import BUCKET, LambdaContextStub

EVENT: dict[str, Any] = json.loads(load_event("apigateway/post_message.json"))
ORU = base64.b64decode(EVENT["body"])


@pytest.fixture
def https(
    handler: Callable[[str], ModuleType], aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[ModuleType, str]:
    """The handler after a cold start, and the ingest queue it feeds."""
    queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="ingest")["QueueUrl"]
    monkeypatch.setenv("INGEST_QUEUE_URL", queue_url)
    return handler("https_ingest_function"), queue_url


def queued(queue_url: str) -> list[bytes]:
    """What the ingest function would read from each message in the queue."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return [
        resolve(
            m["Body"],
            {name: value.get("StringValue") for name, value in m.get("MessageAttributes", {}).items()},
            S3ObjectStore(BUCKET),
        )
        for m in messages.get("Messages", [])
    ]


def test_a_posted_result_is_queued_then_answered_200_with_an_aa_ack(https: tuple[ModuleType, str]) -> None:
    app, queue_url = https
    # When the engine's POST arrives (events/apigateway/post_message.json, base64 as API Gateway sends it)
    response = app.lambda_handler(copy.deepcopy(EVENT), LambdaContextStub())
    # Then it is answered 200 with an ACK that accepts the message by its control id
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("application/hl7-v2")
    assert "\rMSA|AA|SYN000000001" in response["body"]
    # And the queue holds exactly the bytes that were posted
    assert queued(queue_url) == [ORU]


def test_a_large_post_goes_through_the_bucket_as_a_claim_check(https: tuple[ModuleType, str]) -> None:
    app, queue_url = https
    big = ORU + b"OBX|9|TX|||" + b"x" * (300 * 1024) + b"\r"
    response = app.lambda_handler({**EVENT, "body": base64.b64encode(big).decode()}, LambdaContextStub())
    assert response["statusCode"] == 200 and "MSA|AA|" in response["body"]
    stored = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET, Prefix="inbound/")
    assert stored["KeyCount"] == 1
    assert queued(queue_url) == [big]


def test_a_missing_queue_is_a_503_ae_so_the_engine_retries(
    handler: Callable[[str], ModuleType], aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a queue URL that does not exist (deleted, or a wrong stage's)
    monkeypatch.setenv("INGEST_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/gone")
    app = handler("https_ingest_function")
    # When a result is posted / Then the engine is told to retry: the message was not stored
    response = app.lambda_handler(copy.deepcopy(EVENT), LambdaContextStub())
    assert response["statusCode"] == 503 and "\rMSA|AE|SYN000000001" in response["body"]


def test_no_patient_identifier_is_logged(
    https: tuple[ModuleType, str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = https
    pid = next(s for s in ORU.decode().split("\r") if s.startswith("PID|")).split("|")
    identifiers = {pid[3].split("^")[0], *pid[5].split("^")[:2]}
    caplog.set_level(logging.DEBUG)
    app.lambda_handler(copy.deepcopy(EVENT), LambdaContextStub())
    app.lambda_handler({**EVENT, "body": "", "isBase64Encoded": False}, LambdaContextStub())
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "IntakeAA" in logged and "IntakeEmpty" in logged  # the outcome metrics were flushed
    assert not {identifier for identifier in identifiers if identifier in logged}
