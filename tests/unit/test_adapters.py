"""The boto3 adapters map AWS failures onto the ports' errors (botocore Stubber, no network)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from radimpress.adapters.s3 import S3ObjectStore
from radimpress.adapters.sagemaker import SageMakerAsyncClient
from radimpress.adapters.secrets import SecretsManagerSource
from radimpress.errors import ConfigurationError, InferenceError, TransientError
from radimpress.ports import ObjectNotFoundError


def client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NoSuchKey", 404, ObjectNotFoundError),
        ("SlowDown", 503, TransientError),
        ("InternalError", 500, TransientError),
        ("AccessDenied", 403, ClientError),
    ],
)
def test_s3_errors(code: str, status: int, expected: type[Exception]) -> None:
    # Given an S3 GetObject that fails with ``code`` / When read / Then the port's error (or the original)
    s3 = client("s3")
    store = S3ObjectStore("bucket", s3_client=s3)
    with Stubber(s3) as stubber:
        stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(expected):
            store.get("submissions/x.json")


def test_s3_put_and_list() -> None:
    s3 = client("s3")
    store = S3ObjectStore("bucket", s3_client=s3)
    with Stubber(s3) as stubber:
        stubber.add_response(
            "put_object",
            {},
            {
                "Bucket": "bucket",
                "Key": "raw/ab/abc",
                "Body": b"MSH|",
                "ContentType": "application/octet-stream",
            },
        )
        stubber.add_response(
            "list_objects_v2",
            {
                "Contents": [
                    {"Key": "results/dt=2024-01-02/b.parquet"},
                    {"Key": "results/dt=2024-01-02/a.parquet"},
                ]
            },
            {"Bucket": "bucket", "Prefix": "results/dt=2024-01-02/"},
        )
        store.put("raw/ab/abc", b"MSH|", "application/octet-stream")
        assert store.list("results/dt=2024-01-02/") == [
            "results/dt=2024-01-02/a.parquet",
            "results/dt=2024-01-02/b.parquet",
        ]


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, TransientError),
        ("ServiceUnavailable", 503, TransientError),
        ("InternalFailure", 500, TransientError),
        ("ValidationError", 400, InferenceError),
        ("AccessDeniedException", 403, ClientError),
    ],
)
def test_invoke_endpoint_async_errors(code: str, status: int, expected: type[Exception]) -> None:
    runtime = client("sagemaker-runtime")
    with Stubber(runtime) as stubber:
        stubber.add_client_error("invoke_endpoint_async", service_error_code=code, http_status_code=status)
        with pytest.raises(expected):
            SageMakerAsyncClient(runtime_client=runtime).submit(
                "e", "id", "s3://b/requests/id.json", "application/json"
            )


def test_invoke_endpoint_async_parameters_and_output_location() -> None:
    runtime = client("sagemaker-runtime")
    with Stubber(runtime) as stubber:
        stubber.add_response(
            "invoke_endpoint_async",
            {"InferenceId": "id", "OutputLocation": "s3://b/async-out/id.out"},
            {
                "EndpointName": "e",
                "InputLocation": "s3://b/requests/id.json",
                "InferenceId": "id",
                "ContentType": "application/json",
            },
        )
        location = SageMakerAsyncClient(runtime_client=runtime).submit(
            "e", "id", "s3://b/requests/id.json", "application/json"
        )
    assert location == "s3://b/async-out/id.out"


def test_secrets() -> None:
    sm = client("secretsmanager")
    source = SecretsManagerSource(secrets_client=sm)
    with Stubber(sm) as stubber:
        stubber.add_response("get_secret_value", {"SecretString": "k3y"}, {"SecretId": "arn"})
        stubber.add_response("get_secret_value", {"SecretBinary": b"\x00\x01"}, {"SecretId": "bin"})
        stubber.add_response("get_secret_value", {"Name": "empty"}, {"SecretId": "empty"})
        stubber.add_client_error("get_secret_value", service_error_code="ResourceNotFoundException")
        stubber.add_client_error(
            "get_secret_value", service_error_code="ThrottlingException", http_status_code=429
        )
        cached = source.cached("arn")
        assert cached() == b"k3y" and cached() == b"k3y"  # one read: the second is not stubbed
        assert source.get("bin") == b"\x00\x01"
        with pytest.raises(ConfigurationError):
            source.get("empty")
        with pytest.raises(ConfigurationError):
            source.get("missing")
        with pytest.raises(TransientError):
            source.get("throttled")
