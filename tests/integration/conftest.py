"""Prints the IU round-trip counts (recorded by test_roundtrip.py as ``roundtrip_<shape>`` properties)."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, int] = {}
    excluded = ""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "roundtrip_excluded":
                    excluded = str(value)
                elif isinstance(name, str) and name.startswith("roundtrip_") and isinstance(value, int):
                    counts[name.removeprefix("roundtrip_")] = value
    if not counts:
        return
    terminalreporter.section("IU round trip (findings + impression, whitespace-normalised)")
    for shape, ok in sorted(counts.items()):
        terminalreporter.write_line(f"{shape:<14}{ok:>6} reports read back unchanged")
    total = sum(counts.values())
    terminalreporter.write_line(f"{'total':<14}{total:>6} renderings in {len(counts)} shapes")
    if excluded:
        terminalreporter.write_line(f"not compared (section headers inside the source text): {excluded}")


# --------------------------------------------------------------------------- the functions on moto
# Handlers read their environment at import (cold start), so each test sets the environment, starts
# moto, creates the resources, and only then imports the handler module afresh (``handler`` fixture).

import importlib  # noqa: E402 - this section was added after the round-trip summary above
import sys  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from radimpress.adapters import _aws  # noqa: E402
from tests.fakes import BUCKET, ENDPOINT, TABLE  # noqa: E402

PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"

FUNCTION_ENV = {
    "BUCKET_NAME": BUCKET,
    "IDEMPOTENCY_TABLE": TABLE,
    "ENDPOINT_NAME": ENDPOINT,
    "MODEL_CONTRACT": "jumpstart-v1",
    "MODEL_ID": "flan-t5-test",
    "SCHEDULE_TIME_ZONE": "UTC",
    "POWERTOOLS_SERVICE_NAME": "radimpress",
    "POWERTOOLS_METRICS_NAMESPACE": "RadimpressTest",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with the data bucket, the idempotency table and the pseudonym secret; the functions' env set."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FUNCTION_ENV.items():
        monkeypatch.setenv(name, value)
    _aws.client.cache_clear()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="radimpress-pseudonym-key", SecretString=PSEUDONYM_KEY
        )
        monkeypatch.setenv("PSEUDONYM_KEY_SECRET_ARN", secret["ARN"])
        yield {"s3": s3, "secret_arn": secret["ARN"]}
    _aws.client.cache_clear()


@pytest.fixture
def handler(aws: dict[str, Any]) -> Callable[[str], ModuleType]:
    """``handler("ingest_function")``: the handler module, imported now (a cold start in this environment)."""

    def cold_start(name: str) -> ModuleType:
        module_name = f"functions.{name}.app"
        sys.modules.pop(module_name, None)
        return importlib.import_module(module_name)

    return cold_start
