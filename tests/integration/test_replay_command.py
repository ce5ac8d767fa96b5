"""`radimpress replay` on moto: failed messages go back through the real IngestFunction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from radimpress import cli
from radimpress.adapters import _aws
from radimpress.local.poller import lambda_sqs_record
from radimpress.pipeline.records import ErrorRecord, error_key, raw_key, report_key
from radimpress.reading.reports import read_reports
from tests.conftest import load_event
from tests.fakes import BUCKET, LambdaContextStub
from tests.integration.test_ingest_function import expect_invocation

ORU = load_event("feed/01-loinc_tx.hl7")
ADT = load_event("hl7/malformed/adt_a01.hl7")


def archive_failure(s3: Any, payload: bytes, error_type: str, identity: str) -> ErrorRecord:
    """What an ingest failure leaves in the bucket: the raw message and an error record naming it."""
    key = raw_key(hashlib.sha256(payload).hexdigest())
    s3.put_object(Bucket=BUCKET, Key=key, Body=payload)
    error = ErrorRecord.build(
        stage="ingest",
        error_type=error_type,
        message="rejected",
        occurred_at=datetime.now(UTC),
        identity=identity,
        raw_key=key,
    )
    s3.put_object(Bucket=BUCKET, Key=error_key(error), Body=error.to_json_line())
    return error


def test_replay_sends_failed_messages_back_through_ingest(
    aws: dict[str, Any],
    handler: Callable[[str], ModuleType],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an ORU an earlier release rejected (now readable), and an ADT the ingest function rejects
    s3 = aws["s3"]
    archive_failure(s3, ORU, "no_findings", "oru#1")
    app = handler("ingest_function")
    adt_record = json.loads(load_event("sqs/ingest_batch.json"))["Records"][2]
    assert adt_record["body"].encode() == ADT
    assert app.lambda_handler({"Records": [adt_record]}, LambdaContextStub()) == {"batchItemFailures": []}
    (adt_error,) = [
        key
        for key in keys(s3, "errors/")
        if "unsupported" in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    ]
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
    day = datetime.now(UTC).date().isoformat()
    capsys.readouterr()  # the function's own log lines
    # When replayed with the command an operator runs
    status = cli.main(["replay", "--bucket", BUCKET, "--queue-url", queue_url, "--date", day, "--json"])
    # Then both messages were sent
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (summary["messages"], summary["sent"], summary["refused"]) == (2, 2, [])
    # and the ingest function, given what Lambda would deliver, submits the ORU's report exactly once
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    event = {
        "Records": [
            lambda_sqs_record(m, queue_arn="arn:aws:sqs:us-east-1:123456789012:ingest", region="us-east-1")
            for m in received["Messages"]
        ]
    }
    (report,) = read_reports(ORU, source="oru")
    assert not isinstance(report, Exception)
    with Stubber(_aws.client("sagemaker-runtime")) as stubber:
        expect_invocation(stubber, report_key(report.control_id, report.accession, report.status))
        assert app.lambda_handler(event, LambdaContextStub()) == {"batchItemFailures": []}
        stubber.assert_no_pending_responses()
    # and the ADT failed again: its error record rewritten, not a second one
    assert len(keys(s3, "errors/")) == 2 and adt_error in keys(s3, "errors/")
    assert keys(s3, "submissions/") == [
        f"submissions/{report_key(report.control_id, report.accession, report.status)}.json"
    ]


def keys(s3: Any, prefix: str) -> list[str]:
    return sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    )


def test_dry_run_sends_nothing(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    archive_failure(aws["s3"], ORU, "no_findings", "oru#1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
    day = datetime.now(UTC).date().isoformat()
    status = cli.main(["replay", "--bucket", BUCKET, "--queue-url", queue_url, "--date", day, "--dry-run"])
    assert status == 0
    assert "messages to replay: 1 (no_findings 1)" in capsys.readouterr().out
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_queue_that_does_not_exist_is_a_clear_error_not_a_traceback(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a failure to replay and a queue URL that names no queue (a wrong stage's, a typo)
    archive_failure(aws["s3"], ORU, "no_findings", "oru#1")
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    day = datetime.now(UTC).date().isoformat()
    # When replayed / Then the command fails with the queue's refusal, typed
    assert cli.main(["replay", "--bucket", BUCKET, "--queue-url", missing, "--date", day]) == 1
    error = capsys.readouterr().err
    assert "queue refused the request" in error and "[dependency_refused]" in error
