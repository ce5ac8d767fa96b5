"""CompletionFunction in-process on moto: SNS-in-SQS notifications -> a results Parquet file / error records.

The submissions are the ones IngestFunction writes: each test first runs the ingest handler over
``events/sqs/ingest_batch.json`` (SageMaker runtime stubbed), then plays the endpoint's part (the output
object under async-out/) and delivers ``events/sns/*.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber

from radimpress.adapters import _aws
from radimpress.adapters.parquet import RESULT_SCHEMA, read_results
from radimpress.drafting.engines.contract import render_response
from radimpress.local.cfn_yaml import load_template
from radimpress.pipeline.records import ErrorRecord, SubmissionRecord, report_key
from radimpress.scoring.rouge import score_pair
from tests.conftest import EVENTS_DIR, load_event
from tests.fakes import BUCKET, LambdaContextStub

K1 = report_key("SYN000000001", "ACC0000001", "F")  # the success event's inference
K9 = report_key("SYN000000009", "ACC0000009", "F")  # the error event's inference
DRAFT = "No acute cardiopulmonary process. Old left rib fractures."


def event(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(load_event(name))
    return document


SUBMITTED_AT = datetime(2024, 1, 2, 8, 0, 0, tzinfo=UTC)  # 7.25 s before the success event's eventTime


@pytest.fixture
def submitted(
    handler: Callable[[str], ModuleType], aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """IngestFunction run over the sample batch (clock at SUBMITTED_AT): the submission records exist."""
    monkeypatch.setattr("radimpress.adapters.wiring.utc_now", lambda: SUBMITTED_AT)
    ingest = handler("ingest_function")
    with Stubber(_aws.client("sagemaker-runtime")) as stubber:
        for _ in range(5):
            stubber.add_response(
                "invoke_endpoint_async", {"OutputLocation": f"s3://{BUCKET}/async-out/x.out"}
            )
        assert ingest.lambda_handler(event("sqs/ingest_batch.json"), LambdaContextStub()) == {
            "batchItemFailures": []
        }
    return aws


def get(aws: dict[str, Any], key: str) -> bytes:
    data: bytes = aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def keys(aws: dict[str, Any], prefix: str) -> list[str]:
    listing = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_a_success_notification_becomes_a_scored_result_in_parquet(
    submitted: dict[str, Any], handler: Callable[[str], ModuleType]
) -> None:
    # Given the endpoint's JumpStart v1 output for report 1
    aws = submitted
    aws["s3"].put_object(
        Bucket=BUCKET, Key=f"async-out/{K1}.out", Body=render_response([DRAFT], "jumpstart-v1")
    )
    completion = handler("completion_function")
    # When the success notification arrives through SNS and SQS
    response = completion.lambda_handler(
        event("sns/sagemaker_success.json"), LambdaContextStub(aws_request_id="b-1")
    )
    # Then it is acknowledged
    assert response == json.loads(load_event("sns/sagemaker_success.expected.json"))
    # and one Parquet file for the completion day holds the result, with the Glue table's schema
    assert keys(aws, "results/") == ["results/dt=2024-01-02/b-1.parquet"]
    data = get(aws, "results/dt=2024-01-02/b-1.parquet")
    assert pq.read_schema(pa_buffer(data)).remove_metadata() == RESULT_SCHEMA
    (result,) = read_results(data)
    submission = SubmissionRecord.from_json(get(aws, f"submissions/{K1}.json"))
    assert (result.inference_id, result.accession_key) == (K1, submission.accession_key)
    assert result.control_key == submission.control_key
    assert result.raw_key == submission.raw_key and result.patient_key == submission.patient_key
    assert result.findings == submission.findings and result.draft == DRAFT
    assert result.reference_impression == submission.reference_impression is not None
    expected = score_pair(DRAFT, submission.reference_impression)
    assert (result.rouge1, result.rouge2, result.rougeL, result.rougeLsum) == pytest.approx(
        (expected.rouge1, expected.rouge2, expected.rougeL, expected.rougeLsum)
    )
    assert result.completed_at == datetime(2024, 1, 2, 8, 0, 7, 250000, tzinfo=UTC)
    assert submission.submitted_at == SUBMITTED_AT and result.latency_ms == 7250
    assert (result.engine, result.model_id, result.outcome) == (
        "sagemaker:radimpress-dev-endpoint",
        "flan-t5-test",
        "drafted",
    )


def pa_buffer(data: bytes) -> Any:
    return pa.BufferReader(data)


def test_an_error_notification_becomes_an_error_record(
    submitted: dict[str, Any], handler: Callable[[str], ModuleType]
) -> None:
    # Given the endpoint failed report 9 (the first of the HL7 batch)
    aws = submitted
    completion = handler("completion_function")
    # When the error notification arrives
    response = completion.lambda_handler(event("sns/sagemaker_error.json"), LambdaContextStub())
    # Then it is acknowledged, no result is written, and an inference error record points at the raw batch
    assert response == json.loads(load_event("sns/sagemaker_error.expected.json"))
    assert keys(aws, "results/") == []
    (error_key,) = [key for key in keys(aws, "errors/dt=2024-01-02/") if K9 in get(aws, key).decode()]
    error = ErrorRecord.model_validate_json(get(aws, error_key))
    submission = SubmissionRecord.from_json(get(aws, f"submissions/{K9}.json"))
    assert (error.stage, error.error_type, error.inference_id) == ("inference", "inference_failed", K9)
    assert error.raw_key == submission.raw_key and error.message_id == submission.message_id
    assert error.message.startswith("ClientError: Received server error (500) from model.")
    assert error.where == f"s3://{BUCKET}/async-failures/{K9}-error.out"


def test_a_batch_of_notifications_is_one_parquet_file(
    submitted: dict[str, Any], handler: Callable[[str], ModuleType]
) -> None:
    # Given outputs for all four HL7 reports and one notification record each, plus the error event
    aws = submitted
    ids = [K1, *(report_key(f"SYN0000000{n:02d}", f"ACC00000{n:02d}", "F") for n in (9, 10, 11))]
    template = event("sns/sagemaker_success.json")["Records"][0]
    records = []
    for n, inference_id in enumerate(ids):
        aws["s3"].put_object(
            Bucket=BUCKET, Key=f"async-out/{inference_id}.out", Body=render_response([DRAFT], "tgi")
        )
        envelope = json.loads(template["body"])
        message = json.loads(envelope["Message"])
        message["inferenceId"] = inference_id
        message["responseParameters"]["outputLocation"] = f"s3://{BUCKET}/async-out/{inference_id}.out"
        envelope["Message"] = json.dumps(message)
        records.append({**template, "messageId": f"m-{n}", "body": json.dumps(envelope)})
    # and one record that is not a SageMaker notification at all (a poison message)
    records.append({**template, "messageId": "poison", "body": json.dumps({"Type": "Notification"})})
    completion = handler("completion_function")
    # When delivered as one batch
    response = completion.lambda_handler({"Records": records}, LambdaContextStub(aws_request_id="batch-7"))
    # Then only the poison message fails (it goes back to the queue, then to the DLQ)
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    # and the four results are in ONE file
    assert keys(aws, "results/") == ["results/dt=2024-01-02/batch-7.parquet"]
    assert sorted(
        r.inference_id for r in read_results(get(aws, "results/dt=2024-01-02/batch-7.parquet"))
    ) == sorted(ids)


def test_the_results_schema_is_the_glue_tables() -> None:
    # Given the results table the template declares for Athena
    template = load_template(EVENTS_DIR.parent / "template.yaml")
    columns = template["Resources"]["ResultsTable"]["Properties"]["TableInput"]["StorageDescriptor"][
        "Columns"
    ]
    # Then the Parquet files have exactly those columns, in order, with matching types
    glue = {
        "string": "string",
        "boolean": "bool",
        "double": "double",
        "bigint": "int64",
        "timestamp": "timestamp[ms, tz=UTC]",
    }
    assert [(c["Name"], glue[c["Type"]]) for c in columns] == [(f.name, str(f.type)) for f in RESULT_SCHEMA]
