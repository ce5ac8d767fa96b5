"""The local runtime's resource set is the template's: every resource created in moto or stood in for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from radimpress.errors import ConfigurationError
from radimpress.local.cfn_yaml import load_template
from radimpress.local.moto_server import ACCOUNT_ID, DEFAULT_REGION
from radimpress.local.resolve import resolve
from radimpress.local.resources.create import local_parameters, plan
from radimpress.local.resources.in_moto import CREATED_TYPES, _encryption_rule, _lifecycle_rule
from radimpress.local.resources.local_stack import generated_name
from radimpress.local.resources.stand_ins import STAND_INS

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def test_the_demos_resource_set_equals_the_templates(template: dict[str, Any]) -> None:
    # Given template.yaml resolved with the parameters the demo uses
    resolved = resolve(template, local_parameters(), {}, {}, DEFAULT_REGION, ACCOUNT_ID)
    # When the runtime plans what to do with each resource
    actions = plan(resolved)
    created = {name for name, action in actions.items() if action.kind == "create"}
    stood_in = {name for name, action in actions.items() if action.kind == "stand-in"}
    # Then every resource of the template is either created in moto or explicitly stood in for, not both
    assert created | stood_in == set(template["Resources"])
    assert not created & stood_in
    # And each stand-in names the local component that does its job
    assert all(actions[name].by == STAND_INS[actions[name].type] for name in stood_in)


def test_the_demo_creates_the_endpoint_variant_so_nothing_is_left_out(template: dict[str, Any]) -> None:
    # Given the demo's parameters (placeholders for the model image and artifact)
    resolved = resolve(template, local_parameters(), {}, {}, DEFAULT_REGION, ACCOUNT_ID)
    # When conditions are evaluated / Then the variant with Model, EndpointConfig and Endpoint is resolved
    assert resolved.conditions["CreateEndpoint"] is True
    assert all(resource.enabled for resource in resolved.resources.values())


def test_the_data_plane_is_created_in_moto(template: dict[str, Any]) -> None:
    # Given the plan / Then the resources the functions read and write are real in the embedded AWS
    actions = plan(resolve(template, local_parameters(), {}, {}, DEFAULT_REGION, ACCOUNT_ID))
    for name in (
        "DataKey",
        "DataBucket",
        "IdempotencyTable",
        "PseudonymKeySecret",
        "IngestQueue",
        "IngestDLQ",
        "CompletionQueue",
        "CompletionDLQ",
        "SuccessTopic",
        "ErrorTopic",
        "SuccessTopicSubscription",
        "ResultsDatabase",
        "ResultsTable",
        "ErrorsTable",
        "AthenaWorkGroup",
    ):
        assert actions[name].kind == "create", name
    for name in ("IngestFunction", "Endpoint", "EndpointConfig", "Model", "NightlySchedule", "CoreLayer"):
        assert actions[name].kind == "stand-in", name


def test_an_unknown_resource_type_is_an_error_not_a_silent_gap(template: dict[str, Any]) -> None:
    # Given a template with a resource type the runtime neither creates nor stands in for
    extended = {**template, "Resources": {**template["Resources"], "Extra": {"Type": "AWS::EC2::Instance"}}}
    resolved = resolve(extended, local_parameters(), {}, {}, DEFAULT_REGION, ACCOUNT_ID)
    # When planned / Then the runtime refuses it by name
    with pytest.raises(ConfigurationError, match=r"AWS::EC2::Instance") as caught:
        plan(resolved)
    assert caught.value.where == "Extra"


def test_created_and_stood_in_types_do_not_overlap() -> None:
    assert not set(CREATED_TYPES) & set(STAND_INS)


def test_generated_names_look_like_cloudformations() -> None:
    # Given a stack and a logical id / When a name is generated
    queue = generated_name("radimpress-local", "IngestQueue", max_length=80)
    bucket = generated_name("radimpress-local", "DataBucket", max_length=63, lower=True)
    long = generated_name("a-very-long-stack-name-" * 3, "AVeryLongLogicalIdentifier" * 3, max_length=64)
    # Then it is <stack>-<LogicalId>-<SUFFIX>, lower case for buckets, within the length limit, reproducible
    assert re.fullmatch(r"radimpress-local-IngestQueue-[A-Z0-9]{13}", queue)
    assert re.fullmatch(r"radimpress-local-databucket-[a-z0-9]{12}", bucket)
    assert len(long) <= 64
    assert queue == generated_name("radimpress-local", "IngestQueue", max_length=80)


def test_cloudformation_bucket_shapes_become_s3_api_shapes() -> None:
    # Given CloudFormation's lifecycle and encryption rule shapes
    rule = {
        "Id": "ExpireAsyncOutputs",
        "Status": "Enabled",
        "Prefix": "async-out/",
        "ExpirationInDays": 30,
        "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }
    encryption = {
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"},
        "BucketKeyEnabled": True,
    }
    # When converted / Then they are what PutBucketLifecycleConfiguration and PutBucketEncryption take
    assert _lifecycle_rule(rule) == {
        "Status": "Enabled",
        "ID": "ExpireAsyncOutputs",
        "Filter": {"Prefix": "async-out/"},
        "Expiration": {"Days": 30},
        "Transitions": [{"Days": 90, "StorageClass": "GLACIER_IR"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }
    assert _encryption_rule(encryption) == {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"},
        "BucketKeyEnabled": True,
    }
