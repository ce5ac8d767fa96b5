"""The local runtime's AWS stand-ins against moto in server mode: event source mapping and endpoint."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from radimpress.drafting.engines.base import Draft
from radimpress.drafting.engines.contract import build_request
from radimpress.drafting.prompts import build_prompt
from radimpress.local.endpoint import AsyncEndpointConfig, LocalAsyncEndpoint
from radimpress.local.moto_server import MotoServer, moto_server
from radimpress.local.poller import EventSource, FunctionSpec, LambdaContext, SqsPoller
from radimpress.pipeline.completion import AsyncInferenceNotification
from radimpress.reading.model import DraftContext

REGION = "us-east-1"
FUNCTION = FunctionSpec("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", 128, 3)


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    saved = dict(os.environ)
    with moto_server() as running:
        os.environ.update(running.client_environment())
        yield running
    os.environ.clear()
    os.environ.update(saved)


def _client(server: MotoServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=server.endpoint_url, region_name=REGION)


# ---------------------------------------------------------------- the SQS event source mapping


def _queue_with_dlq(sqs: Any, name: str, *, max_receive: int) -> tuple[str, str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn, dlq


def _count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_partial_batch_failures_are_retried_then_redriven_to_the_dlq(server: MotoServer) -> None:
    # Given a queue (visibility 1 s, maxReceiveCount 2) holding two good messages and one bad one
    sqs = _client(server, "sqs")
    url, arn, dlq = _queue_with_dlq(sqs, "partial", max_receive=2)
    for body in ("good-1", "bad", "good-2"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"content-encoding": {"DataType": "String", "StringValue": "identity"}},
        )
    seen: list[tuple[str, str]] = []

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        assert context.function_name == "fn"
        records = event["Records"]
        seen.extend((r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in records)
        assert all(r["eventSource"] == "aws:sqs" and r["eventSourceARN"] == arn for r in records)
        assert all(r["messageAttributes"]["content-encoding"]["stringValue"] == "identity" for r in records)
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "bad"]
        }

    poller = SqsPoller(
        sqs, EventSource(url, arn, REGION, batch_size=10, batching_window_seconds=0.2), handler, FUNCTION
    )
    # When the event source mapping polls until the queue is empty
    deadline = time.monotonic() + 20
    while _count(sqs, url) and time.monotonic() < deadline:
        poller.poll_once(wait_seconds=1)
    # Then the good messages were deleted after one delivery, the bad one was delivered twice, then redriven
    assert sorted(body for body, count in seen if body.startswith("good")) == ["good-1", "good-2"]
    assert [count for body, count in seen if body == "bad"] == ["1", "2"]
    assert _count(sqs, url) == 0
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["bad"]
    assert poller.stats.deleted == 2
    assert poller.stats.failed == 2


def test_a_handler_that_raises_fails_the_whole_batch(server: MotoServer) -> None:
    # Given a queue with two messages and a handler that raises
    sqs = _client(server, "sqs")
    url, arn, _dlq = _queue_with_dlq(sqs, "raising", max_receive=5)
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}]
    )

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        raise RuntimeError("handler bug")

    poller = SqsPoller(sqs, EventSource(url, arn, REGION, batching_window_seconds=0.5), handler, FUNCTION)
    # When one batch is polled / Then nothing is deleted: both wait for their visibility timeout
    outcome = poller.poll_once(wait_seconds=1)
    assert outcome is not None
    assert (outcome.received, outcome.deleted, outcome.handler_error) == (2, 0, "RuntimeError")
    assert _count(sqs, url) == 2


def test_an_unknown_item_identifier_fails_the_whole_batch(server: MotoServer) -> None:
    sqs = _client(server, "sqs")
    url, arn, _dlq = _queue_with_dlq(sqs, "unknown-id", max_receive=5)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    poller = SqsPoller(
        sqs,
        EventSource(url, arn, REGION),
        lambda e, c: {"batchItemFailures": [{"itemIdentifier": "nope"}]},
        FUNCTION,
    )
    outcome = poller.poll_once(wait_seconds=1)
    assert outcome is not None
    assert (outcome.deleted, outcome.handler_error) == (0, "InvalidBatchItemFailures")


# ---------------------------------------------------------------- the async endpoint


class EchoEngine:
    """Drafts "<first word> seen."; abstains on findings that say ABSTAIN."""

    name = "echo"
    model_id = "echo-1"

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        if "ABSTAIN" in findings:
            return Draft(None, self.name, self.model_id, 0.0, abstained_reason="no_similar_report")
        return Draft(f"{findings.split(maxsplit=1)[0]} seen.", self.name, self.model_id, 0.0)


@pytest.fixture(scope="module")
def endpoint_world(server: MotoServer) -> Iterator[dict[str, Any]]:
    s3, sns, sqs = (_client(server, name) for name in ("s3", "sns", "sqs"))
    s3.create_bucket(Bucket="endpoint-data")
    success = sns.create_topic(Name="success")["TopicArn"]
    error = sns.create_topic(Name="error")["TopicArn"]
    queue = sqs.create_queue(QueueName="notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for topic in (success, error):
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"}
        )
    config = AsyncEndpointConfig(
        endpoint_name="radimpress-test",
        s3_output_path="s3://endpoint-data/async-out/",
        s3_failure_path="s3://endpoint-data/async-failures/",
        success_topic_arn=success,
        error_topic_arn=error,
        region=REGION,
        max_concurrent_invocations=2,
    )
    with LocalAsyncEndpoint(config, EchoEngine(), s3=s3, sns=sns) as endpoint:
        runtime = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name=REGION)
        yield {
            "s3": s3,
            "sqs": sqs,
            "queue": queue,
            "endpoint": endpoint,
            "runtime": runtime,
            "success": success,
            "error": error,
        }


def _submit(world: dict[str, Any], inference_id: str, findings: str) -> dict[str, Any]:
    key = f"requests/{inference_id}.json"
    world["s3"].put_object(
        Bucket="endpoint-data", Key=key, Body=build_request(build_prompt(findings), "jumpstart-v1")
    )
    response: dict[str, Any] = world["runtime"].invoke_endpoint_async(
        EndpointName="radimpress-test",
        InputLocation=f"s3://endpoint-data/{key}",
        InferenceId=inference_id,
        ContentType="application/json",
    )
    return response


def _notifications(world: dict[str, Any]) -> list[tuple[str, AsyncInferenceNotification]]:
    assert world["endpoint"].wait_idle(10)
    received = world["sqs"].receive_message(QueueUrl=world["queue"], MaxNumberOfMessages=10)["Messages"]
    for message in received:
        world["sqs"].delete_message(QueueUrl=world["queue"], ReceiptHandle=message["ReceiptHandle"])
    envelopes = [json.loads(m["Body"]) for m in received]
    return [(e["TopicArn"], AsyncInferenceNotification.model_validate_json(e["Message"])) for e in envelopes]


def test_invoke_endpoint_async_writes_the_output_and_notifies_success(endpoint_world: dict[str, Any]) -> None:
    # Given a request payload in S3 / When the real boto3 client calls InvokeEndpointAsync
    response = _submit(endpoint_world, "inf-ok", "Clear lungs without effusion.")
    # Then the call is accepted with the output location under the config's S3OutputPath
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["InferenceId"] == "inf-ok"
    assert response["OutputLocation"].startswith("s3://endpoint-data/async-out/")
    assert response["OutputLocation"].endswith(".out")
    assert response["FailureLocation"].endswith("-error.out")
    # And the success topic delivers SageMaker's notification, which the completion function's model reads
    ((topic, notice),) = _notifications(endpoint_world)
    assert topic == endpoint_world["success"]
    assert notice.invocation_status == "Completed"
    assert notice.inference_id == "inf-ok"
    assert notice.output_location == response["OutputLocation"]
    assert notice.request_parameters.input_location == "s3://endpoint-data/requests/inf-ok.json"
    # And the output is the JumpStart v1 response of the engine's draft
    key = response["OutputLocation"].removeprefix("s3://endpoint-data/")
    output = endpoint_world["s3"].get_object(Bucket="endpoint-data", Key=key)["Body"].read()
    assert json.loads(output) == {"generated_texts": ["Clear seen."]}


def test_a_model_failure_goes_to_the_failure_path_and_the_error_topic(endpoint_world: dict[str, Any]) -> None:
    # Given findings the engine abstains on / When submitted
    response = _submit(endpoint_world, "inf-fail", "ABSTAIN please")
    # Then the error topic carries a Failed notification with the reason and the failure location
    ((topic, notice),) = _notifications(endpoint_world)
    assert topic == endpoint_world["error"]
    assert notice.invocation_status == "Failed"
    assert notice.failure_reason is not None
    assert notice.failure_reason.startswith("ModelError")
    assert notice.where_failed == response["FailureLocation"]
    key = response["FailureLocation"].removeprefix("s3://endpoint-data/")
    assert (
        endpoint_world["s3"]
        .get_object(Bucket="endpoint-data", Key=key)["Body"]
        .read()
        .startswith(b"ModelError")
    )


def test_a_missing_input_is_a_failed_inference(endpoint_world: dict[str, Any]) -> None:
    endpoint_world["runtime"].invoke_endpoint_async(
        EndpointName="radimpress-test",
        InputLocation="s3://endpoint-data/requests/missing.json",
        InferenceId="gone",
    )
    ((_topic, notice),) = _notifications(endpoint_world)
    assert (notice.invocation_status, notice.inference_id) == ("Failed", "gone")


def test_an_unknown_endpoint_is_a_validation_error(endpoint_world: dict[str, Any]) -> None:
    # Given a name the local endpoint does not serve / When called / Then SageMaker's ValidationError
    with pytest.raises(ClientError) as caught:
        endpoint_world["runtime"].invoke_endpoint_async(
            EndpointName="someone-else", InputLocation="s3://endpoint-data/requests/x.json"
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
