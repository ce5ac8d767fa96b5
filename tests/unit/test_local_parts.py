"""The local runtime's pure parts: Lambda's SQS event, the producer's encodings, the schedule, DuckDB."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from radimpress.local.endpoint import AsyncEndpointConfig, _Job, notification
from radimpress.local.poller import FunctionSpec, LambdaContext, lambda_sqs_record
from radimpress.local.producer import EXTENDED_CLIENT_POINTER, encode_payload
from radimpress.local.query import GlueTable, connect, run_sql, run_sql_file
from radimpress.local.scheduler import invoke_scheduled, schedule_event

REPO = Path(__file__).resolve().parents[2]
FUNCTION = FunctionSpec("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", 512, 30)


# ---------------------------------------------------------------- poller: the event Lambda builds


def test_a_received_message_becomes_lambdas_sqs_record() -> None:
    # Given a ReceiveMessage entry with system and message attributes (one string, one binary)
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "MD5OfBody": "0cc175b9c0f1b6a831c399e269772661",
        "MD5OfMessageAttributes": "d41d8cd98f00b204e9800998ecf8427e",
        "Body": "a",
        "Attributes": {
            "ApproximateReceiveCount": "2",
            "SentTimestamp": "1",
            "SenderId": "AID",
            "ApproximateFirstReceiveTimestamp": "2",
        },
        "MessageAttributes": {
            "content-encoding": {"StringValue": "base64", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    # When shaped as Lambda delivers it
    record = lambda_sqs_record(message, queue_arn="arn:aws:sqs:us-east-1:123456789012:q", region="us-east-1")
    # Then the keys, casing and binary encoding are Lambda's
    assert record == {
        "messageId": "m-1",
        "receiptHandle": "rh-1",
        "body": "a",
        "attributes": {
            "ApproximateReceiveCount": "2",
            "SentTimestamp": "1",
            "SenderId": "AID",
            "ApproximateFirstReceiveTimestamp": "2",
        },
        "messageAttributes": {
            "content-encoding": {
                "stringValue": "base64",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            },
            "blob": {
                "binaryValue": "AAE=",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Binary",
            },
        },
        "md5OfMessageAttributes": "d41d8cd98f00b204e9800998ecf8427e",
        "md5OfBody": "0cc175b9c0f1b6a831c399e269772661",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


def test_the_context_counts_down_from_the_function_timeout() -> None:
    # Given a context for a 30-second function / Then its name, log group and remaining time are Lambda's
    context = LambdaContext("fn", 512, 30, FUNCTION.arn)
    assert context.log_group_name == "/aws/lambda/fn"
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000
    assert context.aws_request_id != LambdaContext("fn", 512, 30, FUNCTION.arn).aws_request_id


# ---------------------------------------------------------------- producer: what goes into an SQS body


def test_xml_safe_text_goes_as_it_is() -> None:
    encoded = encode_payload(b"MSH|^~\\&|RIS\rPID|1||SYN1\r", bucket="b")
    assert (encoded.body, encoded.attributes, encoded.encoding) == (
        "MSH|^~\\&|RIS\rPID|1||SYN1\r",
        {},
        "text",
    )


@pytest.mark.parametrize(
    "payload",
    [b"\x0bMSH|^~\\&|RIS\r\x1c\r", "MSH|^~\\&|RIS|M\u00dcLLER\r".encode("latin-1"), b"\x89PNG\r\n\x1a\n\x00"],
    ids=["mllp", "latin-1", "binary"],
)
def test_bytes_that_are_not_sqs_text_go_base64(payload: bytes) -> None:
    # Given MLLP framing, Latin-1 or binary bytes / When encoded / Then base64 with content-encoding
    encoded = encode_payload(payload, bucket="b")
    assert encoded.encoding == "base64"
    assert encoded.attributes == {"content-encoding": {"DataType": "String", "StringValue": "base64"}}
    assert base64.b64decode(encoded.body) == payload


def test_bodies_over_the_limit_go_by_claim_check() -> None:
    # Given a body over the limit / When encoded
    payload = b"\x0b" + b"OBX|1|TX|||text\r" * 100
    encoded = encode_payload(payload, bucket="data", claim_check_over=256)
    # Then the body is the Extended Client's pointer to inbound/<sha256>, holding the (base64) body
    key = f"inbound/{hashlib.sha256(payload).hexdigest()}"
    assert json.loads(encoded.body) == [EXTENDED_CLIENT_POINTER, {"s3BucketName": "data", "s3Key": key}]
    assert encoded.encoding == "claim-check+base64"
    assert encoded.claimed is not None
    assert encoded.claimed[0] == key
    assert base64.b64decode(encoded.claimed[1]) == payload
    assert encoded.attributes["content-encoding"]["StringValue"] == "base64"


# ---------------------------------------------------------------- endpoint: SageMaker's notification


def test_the_notification_has_sagemakers_shape() -> None:
    from datetime import UTC, datetime

    config = AsyncEndpointConfig(
        "ep", "s3://b/async-out/", "s3://b/async-failures/", "arn:s", "arn:e", "us-east-1"
    )
    received = datetime(2024, 1, 2, 8, 0, 0, 123000, tzinfo=UTC)
    job = _Job(
        "id-1",
        "s3://b/requests/id-1.json",
        "application/json",
        None,
        "s3://b/async-out/u.out",
        "s3://b/async-failures/u-error.out",
        received,
        None,
    )
    finished = datetime(2024, 1, 2, 8, 0, 1, tzinfo=UTC)
    # When completed and when failed
    done = notification(
        job, config, status="Completed", finished=finished, output_content_type="application/json"
    )
    failed = notification(
        job,
        config,
        status="Failed",
        finished=finished,
        output_content_type="text/plain",
        failure_reason="ModelError: no text",
    )
    # Then both carry SageMaker's fields
    assert done == {
        "awsRegion": "us-east-1",
        "eventTime": "2024-01-02T08:00:01.000Z",
        "receivedTime": "2024-01-02T08:00:00.123Z",
        "invocationStatus": "Completed",
        "requestParameters": {
            "endpointName": "ep",
            "inputLocation": "s3://b/requests/id-1.json",
            "contentType": "application/json",
        },
        "responseParameters": {"contentType": "application/json", "outputLocation": "s3://b/async-out/u.out"},
        "inferenceId": "id-1",
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    assert failed["invocationStatus"] == "Failed"
    assert failed["failureReason"] == "ModelError: no text"
    assert failed["responseParameters"]["failureLocation"] == "s3://b/async-failures/u-error.out"


# ---------------------------------------------------------------- scheduler


def test_the_schedule_passes_its_input_and_a_day_reruns_that_day() -> None:
    assert schedule_event("{}") == {}
    assert schedule_event("{}", day=date(2024, 1, 2)) == {"date": "2024-01-02"}


def test_a_failing_scheduled_run_is_retried_then_sent_to_the_dead_letter_queue() -> None:
    # Given a handler that always fails and a fake SQS
    calls: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], _context: LambdaContext) -> None:
        calls.append(event)
        raise RuntimeError("boom")

    class FakeSqs:
        def send_message(self, **kwargs: Any) -> None:
            sent.append(kwargs)

    # When the scheduled invocation runs with two retries
    run = invoke_scheduled(
        handler,
        FUNCTION,
        {"date": "2024-01-02"},
        maximum_retry_attempts=2,
        sqs=FakeSqs(),
        on_failure_queue_url="https://dlq",
    )
    # Then it ran three times, failed, and the invocation record went to the DLQ
    assert len(calls) == 3
    assert not run.succeeded
    assert run.error == "RuntimeError"
    record = json.loads(sent[0]["MessageBody"])
    assert sent[0]["QueueUrl"] == "https://dlq"
    assert record["requestPayload"] == {"date": "2024-01-02"}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3


def test_a_succeeding_scheduled_run_returns_the_response() -> None:
    run = invoke_scheduled(lambda event, _c: {"day": event["date"]}, FUNCTION, {"date": "2024-01-02"})
    assert run.succeeded
    assert run.response == {"day": "2024-01-02"}
    assert run.attempts == 1


# ---------------------------------------------------------------- query: the Athena SQL on DuckDB

RESULTS = GlueTable(
    name="results",
    location="s3://bucket/results/",
    classification="parquet",
    columns=(
        ("inference_id", "string"),
        ("reference_impression", "string"),
        ("rouge1", "double"),
        ("rouge2", "double"),
        ("rougeL", "double"),
        ("rougeLsum", "double"),
        ("latency_ms", "bigint"),
    ),
    partition_keys=(("dt", "string"),),
)
ERRORS = GlueTable(
    name="errors",
    location="s3://bucket/errors/",
    classification="json",
    columns=(("error_id", "string"), ("stage", "string"), ("error_type", "string"), ("raw_key", "string")),
    partition_keys=(("dt", "string"),),
)


def test_the_checked_in_athena_queries_run_on_duckdb_views_of_the_glue_tables(tmp_path: Path) -> None:
    # Given a bucket mirror with one Parquet results file and one JSON-lines error file, hive-partitioned
    results = tmp_path / "bucket" / "results" / "dt=2024-01-02"
    results.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "inference_id": ["a", "b"],
                "reference_impression": ["x", None],
                "rouge1": [0.5, None],
                "rouge2": [0.25, None],
                "rougeL": [0.5, None],
                "rougeLsum": [0.5, None],
                "latency_ms": [100, 300],
            }
        ),
        results / "batch.parquet",
    )
    errors = tmp_path / "bucket" / "errors" / "dt=2024-01-02"
    errors.mkdir(parents=True)
    (errors / "e1.json").write_text(
        json.dumps({"error_id": "e1", "stage": "ingest", "error_type": "no_findings", "raw_key": "raw/1"})
        + "\n"
    )
    # When the views are created and the checked-in SQL runs
    connection = connect([RESULTS, ERRORS], tmp_path, database="radimpress_dev")
    daily = run_sql_file(connection, REPO / "sql" / "daily_summary.sql").as_dicts()
    by_type = run_sql_file(connection, REPO / "sql" / "errors_by_type.sql").as_dicts()
    # Then the figures are the files' (partition column from the path, averages over scored rows)
    assert daily == [
        {
            "dt": "2024-01-02",
            "results": 2,
            "with_reference": 1,
            "rouge1": 0.5,
            "rouge2": 0.25,
            "rougel": 0.5,
            "rougelsum": 0.5,
            "mean_latency_ms": 200.0,
            "max_latency_ms": 300,
        }
    ]
    assert by_type == [{"stage": "ingest", "error_type": "no_findings", "errors": 1, "raw_messages": 1}]
    # And the Glue database name qualifies the tables too, as in Athena
    assert run_sql(connection, "SELECT count(*) AS n FROM radimpress_dev.results").rows == ((2,),)


def test_a_table_without_files_is_an_empty_typed_view(tmp_path: Path) -> None:
    connection = connect([ERRORS], tmp_path, database="db")
    result = run_sql(connection, "SELECT count(*) AS n, count(error_id) AS ids FROM errors")
    assert result.rows == ((0, 0),)


def test_an_empty_payload_is_refused_not_sent() -> None:
    # Given a feed item SQS cannot carry (no characters) and one it can
    from radimpress.datasets.samplefeed.feed import FeedItem
    from radimpress.local.producer import Producer

    batches: list[list[dict[str, Any]]] = []

    class FakeSqs:
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            batches.append(Entries)
            return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    producer = Producer(FakeSqs(), None, queue_url="q", bucket="b")
    # When sent
    sent = producer.send(
        [
            FeedItem("empty", b"", None, "malformed", fault="empty"),
            FeedItem("text", b"FINDINGS: clear.", None, "malformed", fault="x"),
        ]
    )
    # Then only the sendable one went, and the refusal is counted apart from "in"
    assert [[e["MessageBody"] for e in batch] for batch in batches] == [["FINDINGS: clear."]]
    assert (sent.messages, sent.units, dict(sent.refused)) == (1, 1, {"empty body": 1})
