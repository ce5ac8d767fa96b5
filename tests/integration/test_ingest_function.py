"""IngestFunction in-process on moto (S3, DynamoDB, Secrets Manager) with the events/ files.

moto's ``invoke_endpoint_async`` ignores the request and invents an output path, so the SageMaker runtime
client is stubbed with botocore's Stubber: ``expected_params`` pins every InvokeEndpointAsync call, and a
call nobody expected fails the record (so "exactly one inference" is checked by the stub running dry).
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from radimpress.adapters import _aws
from radimpress.pipeline.records import ErrorRecord, SubmissionRecord, report_key
from tests.conftest import load_event
from tests.fakes import BUCKET, ENDPOINT, TABLE, LambdaContextStub

BATCH_REPORTS = [  # the reports of events/sqs/ingest_batch.json, in record order (record 3 is an ADT)
    ("SYN000000001", "ACC0000001", "F"),
    ("SYN000000009", "ACC0000009", "F"),
    ("SYN000000010", "ACC0000010", "F"),
    ("SYN000000011", "ACC0000011", "F"),
]


def event(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(load_event(name))
    return document


def text_report_key() -> str:
    digest = hashlib.sha256(load_event("feed/14-text.txt")).hexdigest()
    return hashlib.sha256(f"raw:{digest}#1".encode()).hexdigest()[:32]


def expect_invocation(stubber: Stubber, inference_id: str) -> None:
    stubber.add_response(
        "invoke_endpoint_async",
        {"InferenceId": inference_id, "OutputLocation": f"s3://{BUCKET}/async-out/{inference_id}.out"},
        expected_params={
            "EndpointName": ENDPOINT,
            "InputLocation": f"s3://{BUCKET}/requests/{inference_id}.json",
            "InferenceId": inference_id,
            "ContentType": "application/json",
        },
    )


@pytest.fixture
def ingest(handler: Callable[[str], ModuleType]) -> Iterator[tuple[ModuleType, Stubber]]:
    """The ingest handler after a cold start, and the Stubber on its SageMaker runtime client."""
    app = handler("ingest_function")
    with Stubber(_aws.client("sagemaker-runtime")) as stubber:
        yield app, stubber


def keys(aws: dict[str, Any], prefix: str) -> list[str]:
    listing = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def body(aws: dict[str, Any], key: str) -> bytes:
    data: bytes = aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def test_a_batch_is_submitted_once_per_report_and_a_bad_record_is_acknowledged(
    ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]
) -> None:
    # Given five SQS records: an ORU, an HL7 batch of three, an ADT^A01, a text report, and the ORU again
    app, stubber = ingest
    expected_ids = [report_key(*report) for report in BATCH_REPORTS] + [text_report_key()]
    for inference_id in expected_ids:
        expect_invocation(stubber, inference_id)
    # When the function is invoked with the batch
    response = app.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub())
    # Then no record failed: the ADT is a permanent error (recorded, acknowledged), the resent ORU a duplicate
    assert response == json.loads(load_event("sqs/ingest_batch.expected.json"))
    # and exactly one InvokeEndpointAsync per distinct report, with the parameters pinned above
    stubber.assert_no_pending_responses()
    # and every distinct body archived once under its content address, the requests and submissions written
    assert len(keys(aws, "raw/")) == 4
    assert keys(aws, "requests/") == sorted(f"requests/{i}.json" for i in expected_ids)
    assert keys(aws, "submissions/") == sorted(f"submissions/{i}.json" for i in expected_ids)
    first = SubmissionRecord.from_json(body(aws, f"submissions/{expected_ids[0]}.json"))
    assert first.message_id == "00000000-0000-4000-8000-000000000001"
    # and the ADT became one error record pointing at its archived bytes
    (error_key,) = keys(aws, "errors/")
    error = ErrorRecord.model_validate_json(body(aws, error_key))
    assert (error.stage, error.error_type, error.message_id) == (
        "ingest",
        "unsupported_message_type",
        "00000000-0000-4000-8000-000000000003",
    )
    assert body(aws, str(error.raw_key)) == load_event("hl7/malformed/adt_a01.hl7")


def test_a_redelivered_batch_causes_no_second_inference(
    ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]
) -> None:
    # Given the batch already processed once
    app, stubber = ingest
    for inference_id in [report_key(*report) for report in BATCH_REPORTS] + [text_report_key()]:
        expect_invocation(stubber, inference_id)
    app.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub())
    stubber.assert_no_pending_responses()
    submissions = {key: body(aws, key) for key in keys(aws, "submissions/")}
    # When SQS delivers the whole batch again (e.g. after a visibility timeout), to a new container
    again = app.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub(aws_request_id="second"))
    # Then nothing fails, the stub (with no responses left) was never called, and the records are untouched
    assert again == {"batchItemFailures": []}
    assert {key: body(aws, key) for key in keys(aws, "submissions/")} == submissions
    items = aws_items()
    assert len(items) == 5 and all(item["status"]["S"] == "COMPLETED" for item in items)


def aws_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE)[
        "Items"
    ]
    return items


def test_a_throttled_endpoint_fails_only_that_record_and_the_retry_submits(
    ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]
) -> None:
    # Given an endpoint that throttles the first report of the HL7 batch (record 2)
    app, stubber = ingest
    ids = [report_key(*report) for report in BATCH_REPORTS]
    expect_invocation(stubber, ids[0])
    stubber.add_client_error(
        "invoke_endpoint_async", service_error_code="ThrottlingException", http_status_code=400
    )
    expect_invocation(stubber, text_report_key())
    # When the batch is processed
    response = app.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub())
    # Then only record 2 is reported failed (SQS redelivers it; after maxReceiveCount, the DLQ), not the ADT
    assert response == {"batchItemFailures": [{"itemIdentifier": "00000000-0000-4000-8000-000000000002"}]}
    assert len(keys(aws, "errors/")) == 1  # the ADT's; a transient failure is not an error record
    # When SQS redelivers record 2 alone
    for inference_id in ids[1:]:
        expect_invocation(stubber, inference_id)
    retry = {"Records": [event("sqs/ingest_batch.json")["Records"][1]]}
    # Then the three reports are submitted and the batch succeeds
    assert app.lambda_handler(retry, LambdaContextStub()) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()


def test_a_rejected_request_is_an_inference_error_record(
    ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]
) -> None:
    # Given an endpoint that rejects the request (ValidationError, e.g. no such endpoint)
    app, stubber = ingest
    stubber.add_client_error(
        "invoke_endpoint_async", service_error_code="ValidationError", http_status_code=400
    )
    one = {"Records": [event("sqs/ingest_batch.json")["Records"][0]]}
    # When the record is processed / Then it is acknowledged and recorded at stage inference
    assert app.lambda_handler(one, LambdaContextStub()) == {"batchItemFailures": []}
    (error_key,) = keys(aws, "errors/")
    error = ErrorRecord.model_validate_json(body(aws, error_key))
    assert (error.stage, error.error_type, error.inference_id) == (
        "inference",
        "inference_failed",
        report_key(*BATCH_REPORTS[0]),
    )
    # and a later delivery is not blocked by the failed attempt (its idempotency record was released)
    expect_invocation(stubber, report_key(*BATCH_REPORTS[0]))
    assert app.lambda_handler(one, LambdaContextStub()) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()


def test_base64_and_gzip_bodies(ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]) -> None:
    # Given a Latin-1 message as base64, an MLLP-framed one as gzip+base64, and a body that is not base64
    app, stubber = ingest
    expect_invocation(stubber, report_key("SYN000000015", "ACC0000015", "F"))
    expect_invocation(stubber, report_key("SYN000000012", "ACC0000012", "F"))
    # When processed
    response = app.lambda_handler(event("sqs/ingest_base64.json"), LambdaContextStub())
    # Then both are submitted, archived decoded, and the bad one recorded as a bad encoding
    assert response == json.loads(load_event("sqs/ingest_base64.expected.json"))
    stubber.assert_no_pending_responses()
    archived = {body(aws, key) for key in keys(aws, "raw/")}
    assert load_event("feed/13-latin1.hl7") in archived and load_event("feed/10-mllp.mllp") in archived
    (error_key,) = keys(aws, "errors/")
    assert ErrorRecord.model_validate_json(body(aws, error_key)).error_type == "bad_encoding"


def test_a_claim_check_body_is_read_from_s3(ingest: tuple[ModuleType, Stubber], aws: dict[str, Any]) -> None:
    # Given a payload put under inbound/ and an SQS record pointing at it
    app, stubber = ingest
    aws["s3"].put_object(Bucket=BUCKET, Key="inbound/big.hl7", Body=load_event("feed/09-batch.hl7"))
    record = event("sqs/ingest_batch.json")["Records"][0]
    record["body"] = json.dumps({"s3_claim_check": {"bucket": BUCKET, "key": "inbound/big.hl7"}})
    for report in BATCH_REPORTS[1:]:
        expect_invocation(stubber, report_key(*report))
    # When processed / Then the claimed batch's three reports are submitted
    assert app.lambda_handler({"Records": [record]}, LambdaContextStub()) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()


def test_no_patient_identifier_is_logged(
    ingest: tuple[ModuleType, Stubber], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given the batch, whose PID segments carry (synthetic) names and MRNs
    app, stubber = ingest
    for inference_id in [report_key(*report) for report in BATCH_REPORTS] + [text_report_key()]:
        expect_invocation(stubber, inference_id)
    identifiers = set()
    for record in event("sqs/ingest_batch.json")["Records"]:
        for segment in record["body"].replace("\n", "\r").split("\r"):
            if segment.startswith("PID|"):
                fields = segment.split("|")
                identifiers |= {fields[3].split("^")[0], fields[5].split("^")[0], fields[5].split("^")[1]}
    assert identifiers
    # When processed with debug logging
    caplog.set_level(logging.DEBUG)
    app.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub())
    # Then no name or MRN appears in anything logged
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "report submitted" in logged
    assert not {identifier for identifier in identifiers if identifier in logged}


def test_the_handler_module_imports_neither_pyarrow_nor_rouge() -> None:
    # The ingest path must stay cheap at cold start: its imports are checked in a fresh interpreter.

    code = (
        "import os, sys\n"
        "os.environ.update(BUCKET_NAME='b', IDEMPOTENCY_TABLE='t', ENDPOINT_NAME='e', MODEL_CONTRACT='tgi',"
        " PSEUDONYM_KEY_SECRET_ARN='arn', AWS_DEFAULT_REGION='us-east-1')\n"
        "import functions.ingest_function.app\n"
        "heavy = ('pyarrow', 'rouge_score', 'nltk', 'radimpress.pipeline.completion')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_report_in_progress_elsewhere_is_retried_later(ingest: tuple[ModuleType, Stubber]) -> None:
    # Given another delivery of report 1 holding its idempotency record (in progress, not yet expired)
    app, stubber = ingest
    inference_id = report_key(*BATCH_REPORTS[0])
    key = "radimpress-submit#" + hashlib.md5(json.dumps(inference_id).encode()).hexdigest()
    now = time.time()
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=TABLE,
        Item={
            "id": {"S": key},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(int(now) + 3600)},
            "in_progress_expiration": {"N": str(int(now * 1000) + 60_000)},
        },
    )
    records = event("sqs/ingest_batch.json")["Records"]
    expect_invocation(stubber, text_report_key())
    # When a batch with that report and a text report is processed
    response = app.lambda_handler({"Records": [records[0], records[3]]}, LambdaContextStub())
    # Then report 1 is not submitted a second time: its record fails transiently (SQS retries it later)
    assert response == {"batchItemFailures": [{"itemIdentifier": "00000000-0000-4000-8000-000000000001"}]}
    stubber.assert_no_pending_responses()
