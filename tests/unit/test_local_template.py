"""radimpress.local.cfn_yaml and radimpress.local.resolve: short forms read as long forms, and the resolver
the demo builds its resources with, checked against the real template.yaml and against small templates for
each intrinsic function."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from radimpress.errors import ConfigurationError
from radimpress.local.cfn_yaml import TemplateLoader, load_template
from radimpress.local.resolve import ResolvedTemplate, Unresolved, resolve
from tests.unit.test_template import HTTPS_ENTRY, HTTPS_INPUTS

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT_RESOURCES = {
    "ModelExecutionRole",
    "Model",
    "EndpointConfig",
    "Endpoint",
    "ScalableTarget",
    "BacklogTargetTrackingPolicy",
    "HasBacklogWithoutCapacityPolicy",
    "HasBacklogWithoutCapacityAlarm",
    "InferenceTopicsPolicy",
    "EndpointBacklogAgeAlarm",
}
# off by default: VPC mode (no subnets given) and the CloudTrail data-event trail (server access logs instead)
DEFAULT_OFF = {
    "SqsEndpoint",
    "SageMakerRuntimeEndpoint",
    "SecretsManagerEndpoint",
    "KmsEndpoint",
    "XRayEndpoint",
    "S3GatewayEndpoint",
    "DynamoDbGatewayEndpoint",
    "DataEventsTrail",
}
ENDPOINT_INPUTS = {
    "ModelDataUrl": "s3://model-artifacts/flan-t5-xl/model.tar.gz",
    "ImageUri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1-gpu-py310",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO / "template.yaml")


def _created(template: dict[str, Any]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Physical ids and attributes as if every resource had been created."""
    physical = {name: f"phys-{name.lower()}" for name in template["Resources"]}
    attributes = {
        (name, attribute): f"{name}.{attribute}"
        for name in template["Resources"]
        for attribute in ("Arn", "QueueName", "EndpointName", "EndpointConfigName", "ModelName")
    }
    return physical, attributes


def _small(text: str, **parameters: str) -> ResolvedTemplate:
    document = yaml.load(textwrap.dedent(text), Loader=TemplateLoader)
    return resolve(
        document, parameters, {"Thing": "thing-id"}, {("Thing", "Arn"): "arn:thing"}, REGION, ACCOUNT
    )


# ---------------------------------------------------------------------------------------------- loader
@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!GetAtt Queue.Arn", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt [Queue, Arn]", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!Sub arn:${AWS::Partition}:s3:::${B}", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${B}"}),
        ("!Sub ['x-${Y}', {Y: !Ref Z}]", {"Fn::Sub": ["x-${Y}", {"Y": {"Ref": "Z"}}]}),
        ("!If [C, 1, !Ref AWS::NoValue]", {"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]}),
        ("!Equals [!Ref P, '']", {"Fn::Equals": [{"Ref": "P"}, ""]}),
        ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
        (
            "!Select [0, !Split ['-', !Ref S]]",
            {"Fn::Select": [0, {"Fn::Split": ["-", {"Ref": "S"}]}]},
        ),
        ("!FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
        ("!ImportValue shared-vpc", {"Fn::ImportValue": "shared-vpc"}),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
    ],
)
def test_short_forms_load_as_long_forms(yaml_text: str, expected: dict[str, Any]) -> None:
    # Given a short-form value, When it is loaded, Then it is the long form CloudFormation documents
    assert yaml.load(f"value: {yaml_text}", Loader=TemplateLoader) == {"value": expected}


def test_dates_stay_text_and_the_safe_loader_is_untouched(tmp_path: Path) -> None:
    # Given a template with date-looking values
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: 2010-09-09\nResources: {R: {Type: X, Properties: {D: 2020-01-01}}}\n"
    )
    # When it is loaded
    loaded = load_template(path)
    # Then they are the strings CloudFormation reads, and plain SafeLoader still knows no !Ref
    assert loaded["AWSTemplateFormatVersion"] == "2010-09-09"
    assert loaded["Resources"]["R"]["Properties"]["D"] == "2020-01-01"
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("x: !Ref Y")


def test_a_file_without_resources_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-a-template.yaml"
    path.write_text("just: text\n")
    with pytest.raises(ConfigurationError, match="no Resources"):
        load_template(path)


def test_the_real_template_loads_with_its_sub_escapes_intact(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    table = template["Resources"]["ResultsTable"]["Properties"]["TableInput"]["Parameters"]
    assert table["projection.dt.range"] == "2020-01-01,NOW"
    assert table["storage.location.template"] == {"Fn::Sub": "s3://${DataBucket}/results/dt=${!dt}/"}


# ---------------------------------------------------------------------------------------------- template.yaml
def test_an_existing_endpoint_turns_the_sagemaker_resources_off(template: dict[str, Any]) -> None:
    # Given an existing endpoint name and every resource created
    physical, attributes = _created(template)
    parameters = {"ExistingEndpointName": "radimpress-local", **HTTPS_INPUTS}
    plan = resolve(template, parameters, physical, attributes, REGION, ACCOUNT)
    # Then the endpoint resources are off and everything else is on
    assert plan.conditions["CreateEndpoint"] is False
    assert {
        r.logical_id for r in plan.resources.values() if not r.enabled
    } == ENDPOINT_RESOURCES | DEFAULT_OFF
    assert all(not plan.resources[name].properties for name in ENDPOINT_RESOURCES)
    assert {r.logical_id for r in plan.enabled()} == set(
        template["Resources"]
    ) - ENDPOINT_RESOURCES - DEFAULT_OFF
    # And the ingest function calls the given endpoint, and may call only it
    assert plan.function_environment("IngestFunction")["ENDPOINT_NAME"] == "radimpress-local"
    (statements,) = plan.resource("IngestFunction").properties["Policies"]
    (invoke,) = [s for s in statements["Statement"] if s["Action"] == "sagemaker:InvokeEndpointAsync"]
    assert invoke["Resource"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/radimpress-local"
    assert plan.outputs["EndpointName"] == "radimpress-local"


def test_the_https_entry_point_exists_only_with_a_domain_name(template: dict[str, Any]) -> None:
    # Given every resource created
    physical, attributes = _created(template)
    # When no custom domain is given / Then the HTTPS entry point and only it is off, outputs included
    plain = resolve(template, ENDPOINT_INPUTS, physical, attributes, REGION, ACCOUNT)
    assert plain.conditions["CreateHttpsEntry"] is False
    assert {r.logical_id for r in plain.resources.values() if not r.enabled} == set(HTTPS_ENTRY) | DEFAULT_OFF
    assert "HttpsEntryUrl" not in plain.outputs
    # When one is given / Then it is on, and engines POST to the domain
    https = resolve(template, {**ENDPOINT_INPUTS, **HTTPS_INPUTS}, physical, attributes, REGION, ACCOUNT)
    assert all(r.enabled for r in https.resources.values() if r.logical_id not in DEFAULT_OFF)
    assert https.outputs["HttpsEntryUrl"] == "https://hl7.example.org/messages"
    # And the function feeds the ingest queue, with claim checks in the bucket
    environment = https.function_environment("HttpsIngestFunction")
    assert environment["INGEST_QUEUE_URL"] == "phys-ingestqueue"
    assert environment["BUCKET_NAME"] == "phys-databucket"


def test_the_ingest_environment_names_the_created_resources_and_merges_globals(
    template: dict[str, Any],
) -> None:
    # Given every resource created, with its physical id
    physical, attributes = _created(template)
    plan = resolve(
        template,
        {"ExistingEndpointName": "radimpress-local", "LogLevel": "DEBUG"},
        physical,
        attributes,
        REGION,
        ACCOUNT,
    )
    # When the ingest function's environment is read
    environment = plan.function_environment("IngestFunction")
    # Then the names are the physical ids, the parameters their values, and the Globals are merged in
    assert environment["BUCKET_NAME"] == physical["DataBucket"]
    assert environment["IDEMPOTENCY_TABLE"] == physical["IdempotencyTable"]
    assert environment["PSEUDONYM_KEY_SECRET_ARN"] == physical["PseudonymKeySecret"]
    assert environment["MODEL_CONTRACT"] == "jumpstart-v1"
    assert "{findings}" in environment["PROMPT_TEMPLATE"]
    assert environment["LOG_LEVEL"] == "DEBUG"
    assert environment["POWERTOOLS_SERVICE_NAME"] == "radimpress"
    assert environment["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    ingest = plan.resource("IngestFunction").properties
    assert ingest["Layers"] == [physical["CoreLayer"]]
    assert ingest["Runtime"] == "python3.12"
    assert ingest["Timeout"] == 30
    completion = plan.resource("CompletionFunction").properties
    assert (completion["Timeout"], completion["MemorySize"]) == (60, 1024)  # the resource's own values win
    assert plan.resource("IngestFunction").ready
    assert plan.outputs["DataBucketName"] == physical["DataBucket"]


def test_creating_the_endpoint_resolves_its_lower_case_name_and_scoped_role(template: dict[str, Any]) -> None:
    # Given no existing endpoint, the model inputs, and every resource created
    physical, attributes = _created(template)
    plan = resolve(
        template, ENDPOINT_INPUTS, physical, attributes, REGION, ACCOUNT, stack_name="radimpress-dev"
    )
    # Then the endpoint resources are on, and the ingest function calls the stack's endpoint
    assert plan.conditions["CreateEndpoint"] is True
    assert all(plan.resources[name].enabled for name in ENDPOINT_RESOURCES)
    assert plan.function_environment("IngestFunction")["ENDPOINT_NAME"] == "Endpoint.EndpointName"
    # And the endpoint's name is lower case, from the stack id
    name = plan.resource("Endpoint").properties["EndpointName"]
    assert (
        name.startswith("radimpress-dev-")
        and name == name.lower()
        and len(name) == len("radimpress-dev-") + 8
    )
    # And the execution role reads exactly the model artifact and pulls from the image's repository
    policy = plan.resource("ModelExecutionRole").properties["Policies"][0]["PolicyDocument"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in policy}
    assert by_sid["ReadModelArtifact"]["Resource"] == "arn:aws:s3:::model-artifacts/flan-t5-xl/model.tar.gz"
    assert by_sid["PullImage"]["Resource"] == (
        "arn:aws:ecr:us-east-1:763104351884:repository/huggingface-pytorch-inference*"
    )
    model = plan.resource("Model").properties["PrimaryContainer"]
    assert model["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"


def test_the_tgi_contract_gives_the_model_the_tgi_environment(template: dict[str, Any]) -> None:
    physical, attributes = _created(template)
    plan = resolve(
        template, {**ENDPOINT_INPUTS, "ModelContract": "tgi"}, physical, attributes, REGION, ACCOUNT
    )
    assert (
        plan.resource("Model").properties["PrimaryContainer"]["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    )


def test_an_image_digest_or_nested_repository_still_scopes_the_pull(template: dict[str, Any]) -> None:
    physical, attributes = _created(template)
    for image, repository in [
        ("111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/flan@sha256:abcd", "team*"),
        ("111122223333.dkr.ecr.eu-west-1.amazonaws.com/flan:latest", "flan*"),
    ]:
        inputs = {**ENDPOINT_INPUTS, "ImageUri": image}
        plan = resolve(template, inputs, physical, attributes, REGION, ACCOUNT)
        statements = plan.resource("ModelExecutionRole").properties["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
        (pull,) = [s for s in statements if s["Sid"] == "PullImage"]
        assert pull["Resource"] == f"arn:aws:ecr:eu-west-1:111122223333:repository/{repository}"


def test_before_anything_exists_references_are_listed_not_guessed(template: dict[str, Any]) -> None:
    # Given nothing created yet
    plan = resolve(template, {"ExistingEndpointName": "radimpress-local"}, {}, {}, REGION, ACCOUNT)
    # Then the ingest function is not ready and says what it waits for
    ingest = plan.resource("IngestFunction")
    assert not ingest.ready
    assert {
        "DataBucket",
        "IdempotencyTable",
        "PseudonymKeySecret",
        "CoreLayer",
        "IngestQueue.Arn",
    } <= ingest.missing
    assert ingest.properties["Environment"]["Variables"]["BUCKET_NAME"] == Unresolved(
        frozenset({"DataBucket"})
    )
    with pytest.raises(ConfigurationError, match=r"not created yet: .*DataBucket"):
        plan.function_environment("IngestFunction")
    # And a resource with no references is ready at once
    assert plan.resource("DataKey").ready


def test_creation_order_puts_every_resource_after_what_it_refers_to(template: dict[str, Any]) -> None:
    plan = resolve(template, {"ExistingEndpointName": "radimpress-local"}, {}, {}, REGION, ACCOUNT)
    order = plan.creation_order()
    assert sorted(order) == sorted(r.logical_id for r in plan.enabled())
    position = {name: index for index, name in enumerate(order)}
    for resource in plan.enabled():
        for dependency in resource.depends_on:
            assert position[dependency] < position[resource.logical_id], (dependency, resource.logical_id)
    assert position["DataKey"] < position["DataBucket"] < position["IngestFunction"]
    assert position["CompletionQueuePolicy"] < position["SuccessTopicSubscription"]  # DependsOn counts


def test_every_resource_becomes_ready_when_created_in_order(template: dict[str, Any]) -> None:
    # Given the demo's loop: create what is ready in order, record its ids, resolve again
    physical: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    parameters = {"ExistingEndpointName": "radimpress-local"}
    order = resolve(template, parameters, physical, attributes, REGION, ACCOUNT).creation_order()
    for name in order:
        plan = resolve(template, parameters, physical, attributes, REGION, ACCOUNT)
        # Then each resource is ready by the time its turn comes
        assert plan.resource(name).ready, (name, plan.resource(name).missing)
        physical[name] = f"id-{name}"
        for attribute in ("Arn", "QueueName"):
            attributes[(name, attribute)] = f"{name}.{attribute}"


def test_parameters_are_checked_against_the_template(template: dict[str, Any]) -> None:
    for parameters, message in [
        ({"NoSuchParameter": "x"}, "not a parameter"),
        ({"Environment": "staging"}, "AllowedValues"),
        ({"ExistingEndpointName": "Upper-Case"}, "AllowedPattern"),
        ({"IngestBatchingWindowSeconds": "61"}, "MaxValue"),
        ({"IngestBatchSize": "0"}, "MinValue"),
        ({"IngestBatchSize": "ten"}, "not a number"),
        ({"ModelId": ""}, "MinLength"),
    ]:
        with pytest.raises(ConfigurationError, match=message):
            resolve(template, parameters, {}, {}, REGION, ACCOUNT)


# ---------------------------------------------------------------------------------------------- intrinsics
def test_conditions_and_if_choose_branches_and_novalue_removes() -> None:
    plan = _small(
        """
        Parameters:
          Mode: {Type: String, Default: a}
        Conditions:
          IsA: !Equals [!Ref Mode, a]
          IsB: !Not [!Condition IsA]
          Both: !And [!Condition IsA, !Condition IsB]
          Either: !Or [!Condition IsA, !Condition IsB]
        Resources:
          Thing: {Type: X}
          R:
            Type: X
            Properties:
              Picked: !If [IsA, yes-a, not-a]
              Gone: !If [IsB, there, !Ref AWS::NoValue]
              List: [one, !If [IsB, two, !Ref AWS::NoValue], three]
        """
    )
    assert plan.conditions == {"IsA": True, "IsB": False, "Both": False, "Either": True}
    assert plan.resource("R").properties == {"Picked": "yes-a", "List": ["one", "three"]}


def test_sub_join_select_split_find_in_map_base64_and_azs() -> None:
    plan = _small(
        """
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "x, y"}
          Count: {Type: Number, Default: 3}
        Mappings:
          Sizes: {small: {memory: 128}}
        Resources:
          Thing: {Type: X}
          R:
            Type: X
            Properties:
              Sub: !Sub "${AWS::StackName}/${Thing}/${Thing.Arn}/${!Literal}/${Count}"
              SubVars: !Sub ["${A}-${AWS::Region}", {A: !Select [1, !Ref Names]}]
              Join: !Join [":", [a, !Ref Thing, !GetAtt Thing.Arn]]
              Split: !Select [2, !Split ["-", "a-b-c"]]
              Map: !FindInMap [Sizes, small, memory]
              B64: !Base64 hi
              Azs: !GetAZs ""
              Partition: !Ref AWS::Partition
        """
    )
    assert plan.resource("R").properties == {
        "Sub": "radimpress-local/thing-id/arn:thing/${Literal}/3",
        "SubVars": "y-us-east-1",
        "Join": "a:thing-id:arn:thing",
        "Split": "c",
        "Map": 128,
        "B64": base64.b64encode(b"hi").decode(),
        "Azs": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "Partition": "aws",
    }
    assert plan.resource("R").depends_on == {"Thing"}


def test_unresolved_parts_make_the_whole_string_unresolved() -> None:
    text = """
        Resources:
          Thing: {Type: X}
          Other: {Type: X}
          R:
            Type: X
            Properties:
              Sub: !Sub "${Other}-${Other.Arn}"
              Join: !Join ["", [a, !Ref Other]]
              Select: !Select [0, !Split [",", !Ref Other]]
            DependsOn: Thing
        """
    plan = _small(text)
    resource = plan.resource("R")
    assert resource.properties["Sub"] == Unresolved(frozenset({"Other", "Other.Arn"}))
    assert resource.properties["Join"] == Unresolved(frozenset({"Other"}))
    assert resource.properties["Select"] == Unresolved(frozenset({"Other"}))
    assert resource.missing == {"Other", "Other.Arn"}
    assert resource.depends_on == {"Thing", "Other"}
    assert str(resource.properties["Sub"]) == "<unresolved: Other, Other.Arn>"


def test_pseudo_parameters_follow_the_region_and_the_stack() -> None:
    pseudo = ("AWS::Partition", "AWS::URLSuffix", "AWS::StackId", "AWS::AccountId", "AWS::NotificationARNs")
    document = {"Resources": {"R": {"Type": "X", "Properties": {name: {"Ref": name} for name in pseudo}}}}
    china = resolve(document, {}, {}, {}, "cn-north-1", ACCOUNT, stack_name="s").resource("R").properties
    assert (china["AWS::Partition"], china["AWS::URLSuffix"]) == ("aws-cn", "amazonaws.com.cn")
    first = resolve(document, {}, {}, {}, REGION, ACCOUNT, stack_name="s").resource("R").properties
    again = resolve(document, {}, {}, {}, REGION, ACCOUNT, stack_name="s").resource("R").properties
    assert first["AWS::StackId"] == again["AWS::StackId"]
    assert first["AWS::StackId"].startswith(f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/s/")
    assert (first["AWS::AccountId"], first["AWS::NotificationARNs"]) == (ACCOUNT, [])


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"P": {"Ref": "Nowhere"}}, "unknown reference Nowhere"),
        ({"P": {"Ref": "Off"}}, "condition Never turns off"),
        ({"P": {"Fn::GetAtt": ["Off", "Arn"]}}, "condition Never turns off"),
        ({"P": {"Fn::ImportValue": "shared"}}, "not supported"),
        ({"P": {"Fn::Select": [5, ["a"]]}}, "outside the list"),
        ({"P": {"Fn::If": ["Never", "a"]}}, "takes a list of 3"),
        ({"P": {"Fn::FindInMap": ["M", "a", "b"]}}, "no M"),
        ({"P": {"Fn::Sub": [["not", "text"], {}]}}, "expected a string"),
        ({"P": {"Fn::If": ["Missing", "a", "b"]}}, "no such condition"),
    ],
)
def test_template_mistakes_are_configuration_errors(properties: dict[str, Any], message: str) -> None:
    document = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Off": {"Type": "X", "Condition": "Never"},
            "R": {"Type": "X", "Properties": properties},
        },
    }
    with pytest.raises(ConfigurationError, match=message):
        resolve(document, {}, {}, {}, REGION, ACCOUNT)


def test_a_condition_that_refers_to_itself_is_refused() -> None:
    document = {"Conditions": {"Loop": {"Fn::Not": [{"Condition": "Loop"}]}}, "Resources": {}}
    with pytest.raises(ConfigurationError, match="refers to itself"):
        resolve(document, {}, {}, {}, REGION, ACCOUNT)


def test_globals_merge_like_sam_maps_merge_lists_concatenate_resource_wins() -> None:
    document = {
        "Globals": {
            "Function": {
                "Timeout": 30,
                "Layers": ["global-layer"],
                "Environment": {"Variables": {"A": "global", "B": "global"}},
                "Tags": {"Ref": "Whatever"},
            }
        },
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Timeout": 60,
                    "Layers": ["own-layer"],
                    "Environment": {"Variables": {"B": "own", "C": "own"}},
                    "Tags": {"team": "radiology"},
                },
            },
            "Plain": {"Type": "AWS::SQS::Queue", "Properties": {}},
        },
    }
    plan = resolve(document, {}, {}, {}, REGION, ACCOUNT)
    assert plan.resource("F").properties == {
        "Timeout": 60,
        "Layers": ["global-layer", "own-layer"],
        "Environment": {"Variables": {"A": "global", "B": "own", "C": "own"}},
        "Tags": {"team": "radiology"},
    }
    assert plan.function_environment("F") == {"A": "global", "B": "own", "C": "own"}
    assert plan.resource("Plain").properties == {}  # Globals apply to serverless resources only
    with pytest.raises(ConfigurationError, match="not a function"):
        plan.function_environment("Plain")
    with pytest.raises(ConfigurationError, match="no such resource"):
        plan.resource("Nope")
