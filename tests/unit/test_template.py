"""template.yaml and samconfig.toml: lint-clean, and the properties a deployment relies on.

Each test reads the template as data (short forms in long form) and checks one promise: every function has
a log group, every asynchronous path a dead-letter queue, every store the data key, IAM names its
resources, the configuration the functions read is the configuration the template gives them.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint, lint_file

from radimpress.config import CompletionSettings, HttpsIntakeSettings, IngestSettings, NightlySettings
from radimpress.local.cfn_yaml import load_template
from radimpress.local.resolve import resolve
from radimpress.pipeline.records import RESULT_FIELDS, ErrorRecord

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
TEMPLATE = load_template(TEMPLATE_PATH)
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
SAMCONFIG = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
DEPLOY_ENVIRONMENTS = ("dev", "prod")
HTTPS_INPUTS = {
    "HttpsDomainName": "hl7.example.org",
    "HttpsCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "HttpsTruststoreUri": "s3://truststores/engines.pem",
}

DATA_KEY_REFS = ({"Ref": "DataKey"}, {"Fn::GetAtt": ["DataKey", "Arn"]})
FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
#: Actions IAM only grants on "*" (no resource-level permissions), each with the condition that narrows it.
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken": None,
    "cloudwatch:PutMetricData": "cloudwatch:namespace",
}


def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in RESOURCES.items() if resource["Type"] == resource_type}


def properties(logical_id: str) -> dict[str, Any]:
    return dict(RESOURCES[logical_id].get("Properties", {}))


def ref_target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def function_timeout(logical_id: str) -> int:
    return int(properties(logical_id).get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]))


def parameter_bound(value: Any, bound: str) -> int:
    """A literal, or the MinValue/MaxValue of the parameter ``value`` refers to."""
    if isinstance(value, dict) and "Ref" in value:
        return int(TEMPLATE["Parameters"][value["Ref"]][bound])
    return int(value)


def sqs_events() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(function, queue, event properties) for every SQS event source."""
    for name in of_type(FUNCTION):
        for event in properties(name).get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = ref_target(event["Properties"]["Queue"])
                assert queue is not None
                yield name, queue, event["Properties"]


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy_document["Statement"]
    return list(found) if isinstance(found, list) else [found]


def identity_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource, statement) for every identity-policy statement: functions' inline policies, roles."""
    for name in of_type(FUNCTION):
        for policy in properties(name).get("Policies", []):
            assert isinstance(policy, dict) and "Statement" in policy, f"{name}: inline statements only"
            for statement in statements(policy):
                yield name, statement
    for name in of_type("AWS::IAM::Role"):
        for policy in properties(name).get("Policies", []):
            for statement in statements(policy["PolicyDocument"]):
                yield name, statement


def resource_policy_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    for resource_type in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
        for name in of_type(resource_type):
            for statement in statements(properties(name)["PolicyDocument"]):
                yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def lint_regions() -> list[str]:
    return sorted({SAMCONFIG[env]["deploy"]["parameters"]["region"] for env in DEPLOY_ENVIRONMENTS})


def describe(matches: list[Any]) -> list[str]:
    return [f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in matches]


# ---------------------------------------------------------------------------------------------- linting
def test_cfn_lint_finds_nothing() -> None:
    # Given the template, When cfn-lint checks it (SAM resources included, offline) in every deploy region
    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=lint_regions()))
    # Then there is nothing to report
    assert describe(matches) == []


def test_the_one_ignored_lint_rule_hides_only_the_endpoint_inputs() -> None:
    # Given the template with its template-level cfn-lint ignore list emptied
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert text.count("ignore_checks: [W1030]") == 1
    # When cfn-lint checks it
    matches = lint(text.replace("ignore_checks: [W1030]", "ignore_checks: []"), regions=lint_regions())
    # Then W1030 flags the two parameters the Rules guard, and nothing else is hidden
    assert {(m.rule.id, tuple(m.path)) for m in matches} == {
        ("W1030", ("Parameters", "ModelDataUrl", "Default")),
        ("W1030", ("Parameters", "ImageUri", "Default")),
    }
    rules = TEMPLATE["Rules"]["EndpointInputsWhenCreatingOne"]
    asserted = {json.dumps(assertion["Assert"], sort_keys=True) for assertion in rules["Assertions"]}
    for parameter in ("ModelDataUrl", "ImageUri"):
        guard = {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}
        assert json.dumps(guard, sort_keys=True) in asserted


# ---------------------------------------------------------------------------------------------- functions
@pytest.mark.parametrize("function", sorted(of_type(FUNCTION)))
def test_every_function_has_its_code_folder_with_a_lambda_handler(function: str) -> None:
    # Given a function of the template
    props = properties(function)
    # Then its CodeUri is functions/<snake_case of the logical id>/ holding app.py with lambda_handler
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()
    assert props["CodeUri"] == f"functions/{snake}/"
    assert props["Handler"] == "app.lambda_handler"
    app = REPO / props["CodeUri"] / "app.py"
    assert app.is_file(), f"{app.relative_to(REPO)} is missing"
    module = ast.parse(app.read_text(encoding="utf-8"))
    handlers = [
        node for node in module.body if isinstance(node, ast.FunctionDef) and node.name == "lambda_handler"
    ]
    assert len(handlers) == 1


@pytest.mark.parametrize("function", sorted(of_type(FUNCTION)))
def test_every_function_has_a_log_group_with_retention_under_the_data_key(function: str) -> None:
    # Given a function, When its log groups are looked up by name
    groups = [
        props
        for props in map(properties, of_type("AWS::Logs::LogGroup"))
        if props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    ]
    # Then there is exactly one, with the stack's retention, encrypted with the data key
    assert len(groups) == 1
    assert groups[0]["RetentionInDays"] == {"Ref": "RetentionInDays"}
    assert groups[0]["KmsKeyId"] in DATA_KEY_REFS


def test_globals_give_every_function_the_runtime_tracing_layer_and_quiet_powertools() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.12"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert function_globals["Layers"] == [{"Ref": "CoreLayer"}]
    assert function_globals["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "radimpress",
        "POWERTOOLS_METRICS_NAMESPACE": "Radimpress",
        "LOG_LEVEL": {"Ref": "LogLevel"},
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
    }


@pytest.mark.parametrize(
    ("function", "settings"),
    [
        ("IngestFunction", IngestSettings),
        ("CompletionFunction", CompletionSettings),
        ("NightlyEvaluationFunction", NightlySettings),
        ("HttpsIngestFunction", HttpsIntakeSettings),
    ],
)
def test_each_function_gets_exactly_the_variables_its_settings_read(function: str, settings: Any) -> None:
    # Given the template resolved the way a deployment resolves it (Globals merged)
    plan = resolve(
        TEMPLATE,
        {"ExistingEndpointName": "radimpress-test", **HTTPS_INPUTS},
        {name: f"physical-{name}" for name in RESOURCES},
        {
            (name, attribute): f"{name}.{attribute}"
            for name in RESOURCES
            for attribute in ("Arn", "QueueName")
        },
        "us-east-1",
        "123456789012",
    )
    environment = plan.function_environment(function)
    # When the function's settings model reads that environment
    loaded = settings.from_env(environment)
    # Then it starts, and every variable the template sets (Powertools' aside) is one the settings read
    assert loaded is not None
    aliases = {field.alias for field in settings.model_fields.values()}
    own = {name for name in environment if not name.startswith("POWERTOOLS_") and name != "LOG_LEVEL"}
    assert own == aliases


# ---------------------------------------------------------------------------------------------- queues
def test_sqs_sources_report_partial_failures_and_outlast_six_function_timeouts() -> None:
    events = list(sqs_events())
    assert {(function, queue) for function, queue, _ in events} == {
        ("IngestFunction", "IngestQueue"),
        ("CompletionFunction", "CompletionQueue"),
    }
    for function, queue, event in events:
        # Given an SQS event source, Then a bad record fails alone
        assert "ReportBatchItemFailures" in event["FunctionResponseTypes"]
        # And the queue hides a batch for 6 x the function timeout plus the longest batching window
        window = parameter_bound(event.get("MaximumBatchingWindowInSeconds", 0), "MaxValue")
        assert properties(queue)["VisibilityTimeout"] >= 6 * function_timeout(function) + window
        # And a batch larger than 10 has a batching window (SQS event sources require it)
        if parameter_bound(event["BatchSize"], "MaxValue") > 10:
            assert isinstance(event["MaximumBatchingWindowInSeconds"], dict) or window >= 1


def dead_letter_queues() -> set[str]:
    """Queues that something sends its failures to."""
    targets: set[str] = set()
    for name in of_type(QUEUE):
        redrive = properties(name).get("RedrivePolicy")
        if redrive:
            targets.add(str(ref_target(redrive["deadLetterTargetArn"])))
    for props in map(properties, of_type("AWS::SNS::Subscription")):
        targets.add(str(ref_target(props["RedrivePolicy"]["deadLetterTargetArn"])))
    for props in map(properties, of_type("AWS::Scheduler::Schedule")):
        targets.add(str(ref_target(props["Target"]["DeadLetterConfig"]["Arn"])))
    for props in map(properties, of_type(FUNCTION)):
        on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            targets.add(str(ref_target(on_failure["Destination"])))
    return targets


def test_every_queue_is_a_dead_letter_queue_or_redrives_to_one() -> None:
    dlqs = dead_letter_queues()
    assert dlqs == {"IngestDLQ", "CompletionDLQ", "NightlyDLQ", "OutboundDLQ"}
    for name in of_type(QUEUE):
        props = properties(name)
        if name in dlqs:
            # Given a dead-letter queue, Then it keeps messages the longest SQS allows
            assert props["MessageRetentionPeriod"] == 1209600
            assert "RedrivePolicy" not in props
        else:
            # Given a source queue, Then it redrives to a dead-letter queue after a few receives
            assert ref_target(props["RedrivePolicy"]["deadLetterTargetArn"]) in dlqs
            assert 1 < props["RedrivePolicy"]["maxReceiveCount"] <= 10


def test_every_asynchronous_path_ends_in_a_dead_letter_queue_or_an_error_topic() -> None:
    # The SageMaker async endpoint reports failures to ErrorTopic, which CompletionQueue subscribes to
    output = properties("EndpointConfig")["AsyncInferenceConfig"]["OutputConfig"]
    assert output["NotificationConfig"] == {
        "SuccessTopic": {"Ref": "SuccessTopic"},
        "ErrorTopic": {"Ref": "ErrorTopic"},
    }
    assert output["S3FailurePath"] == {"Fn::Sub": "s3://${DataBucket}/async-failures/"}
    assert output["S3OutputPath"] == {"Fn::Sub": "s3://${DataBucket}/async-out/"}
    subscriptions = {
        ref_target(props["TopicArn"]): props for props in map(properties, of_type("AWS::SNS::Subscription"))
    }
    assert set(subscriptions) == {"SuccessTopic", "ErrorTopic"}
    for props in subscriptions.values():
        assert props["Protocol"] == "sqs"
        assert ref_target(props["Endpoint"]) == "CompletionQueue"
        assert props["RawMessageDelivery"] is False  # the completion function reads SNS envelopes
        assert ref_target(props["RedrivePolicy"]["deadLetterTargetArn"]) == "CompletionDLQ"
    # The schedule retries, then dead-letters; the function it invokes asynchronously dead-letters too
    schedule = properties("NightlySchedule")["Target"]
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert ref_target(schedule["DeadLetterConfig"]["Arn"]) == "NightlyDLQ"
    on_failure = properties("NightlyEvaluationFunction")["EventInvokeConfig"]["DestinationConfig"][
        "OnFailure"
    ]
    assert on_failure["Type"] == "SQS"
    assert ref_target(on_failure["Destination"]) == "NightlyDLQ"


def test_the_completion_queue_accepts_only_the_two_inference_topics() -> None:
    for queue in ("CompletionQueue", "CompletionDLQ"):
        policies = [
            props
            for props in map(properties, of_type("AWS::SQS::QueuePolicy"))
            if props["Queues"] == [{"Ref": queue}]
        ]
        assert len(policies) == 1
        (statement,) = [s for s in statements(policies[0]["PolicyDocument"]) if s["Effect"] == "Allow"]
        assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [
            {"Ref": "SuccessTopic"},
            {"Ref": "ErrorTopic"},
        ]


def test_every_dead_letter_queue_and_function_raises_an_alarm_on_the_encrypted_topic() -> None:
    alarms = [properties(name) for name in of_type("AWS::CloudWatch::Alarm")]
    watched_queues = {
        ref_target(alarm["Dimensions"][0]["Value"])
        for alarm in alarms
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Threshold"] == 0
        and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    }
    assert watched_queues == dead_letter_queues()
    watched_functions = {
        ref_target(alarm["Dimensions"][0]["Value"])
        for alarm in alarms
        if alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "Errors" and alarm["Threshold"] == 0
    }
    assert watched_functions == set(of_type(FUNCTION))
    backlog = properties("EndpointBacklogAgeAlarm")
    assert (backlog["Namespace"], backlog["MetricName"]) == ("AWS/SageMaker", "ApproximateAgeOfOldestRequest")
    for name in of_type("AWS::CloudWatch::Alarm"):
        if name != "HasBacklogWithoutCapacityAlarm":  # that one drives scaling, not people
            assert properties(name)["AlarmActions"] == [{"Ref": "AlarmTopic"}]


# ---------------------------------------------------------------------------------------------- encryption
def test_every_store_is_encrypted_with_the_data_key() -> None:
    key = properties("DataKey")
    assert key["EnableKeyRotation"] is True
    for name, props in ((name, properties(name)) for name in of_type("AWS::S3::Bucket")):
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        if name == "AccessLogBucket":  # S3 delivers server access logs only to an SSE-S3 bucket
            assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
            continue
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] in DATA_KEY_REFS
        assert rule["BucketKeyEnabled"] is True
    for resource_type, field in [
        (QUEUE, "KmsMasterKeyId"),
        ("AWS::SNS::Topic", "KmsMasterKeyId"),
        ("AWS::SecretsManager::Secret", "KmsKeyId"),
        ("AWS::Logs::LogGroup", "KmsKeyId"),
    ]:
        assert of_type(resource_type)
        for name, resource in of_type(resource_type).items():
            assert resource["Properties"].get(field) in DATA_KEY_REFS, f"{name}.{field}"
    for props in map(properties, of_type("AWS::DynamoDB::Table")):
        sse = props["SSESpecification"]
        assert (sse["SSEEnabled"], sse["SSEType"]) == (True, "KMS")
        assert sse["KMSMasterKeyId"] in DATA_KEY_REFS
    for props in map(properties, of_type("AWS::Athena::WorkGroup")):
        encryption = props["WorkGroupConfiguration"]["ResultConfiguration"]["EncryptionConfiguration"]
        assert encryption["EncryptionOption"] == "SSE_KMS"
        assert encryption["KmsKey"] in DATA_KEY_REFS
        assert props["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] is True
    assert properties("EndpointConfig")["AsyncInferenceConfig"]["OutputConfig"]["KmsKeyId"] in DATA_KEY_REFS


def test_the_key_policy_lets_cloudwatch_logs_use_it_for_function_and_api_log_groups_only() -> None:
    (logs,) = [
        statement
        for statement in statements(properties("DataKey")["KeyPolicy"])
        if statement["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    ]
    contexts = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert {context["Fn::Sub"].rsplit(":log-group:", 1)[1] for context in contexts} == {
        "/aws/lambda/*",
        "/aws/apigateway/*",
    }
    for group in map(properties, of_type("AWS::Logs::LogGroup")):
        name = group["LogGroupName"]["Fn::Sub"]
        assert name.startswith(("/aws/lambda/", "/aws/apigateway/")), name


def test_the_bucket_is_private_versioned_and_denies_plain_http() -> None:
    for name, bucket in of_type("AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
        assert len(props["PublicAccessBlockConfiguration"]) == 4
        policies = [
            p for p in map(properties, of_type("AWS::S3::BucketPolicy")) if p["Bucket"] == {"Ref": name}
        ]
        assert len(policies) == 1
        denials = [
            statement
            for statement in statements(policies[0]["PolicyDocument"])
            if statement["Effect"] == "Deny"
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and statement["Principal"] == "*"
            and statement["Action"] == "s3:*"
        ]
        assert len(denials) == 1
        assert denials[0]["Resource"] == [{"Fn::GetAtt": [name, "Arn"]}, {"Fn::Sub": f"${{{name}.Arn}}/*"}]


# ---------------------------------------------------------------------------------------------- IAM
def test_iam_statements_name_their_resources() -> None:
    checked = 0
    for owner, statement in [*identity_statements(), *resource_policy_statements()]:
        checked += 1
        assert "NotAction" not in statement and "NotResource" not in statement, owner
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        assert all(action != "*" and not action.endswith(":*") for action in actions), (owner, actions)
        if "*" not in as_list(statement.get("Resource")):
            continue
        # Given an Allow on every resource, Then each action is one AWS grants only that way, narrowed
        for action in actions:
            assert action in STAR_RESOURCE_ACTIONS, (owner, action)
            condition_key = STAR_RESOURCE_ACTIONS[action]
            if condition_key is not None:
                keys = {key for operator in statement["Condition"].values() for key in operator}
                assert condition_key in keys, (owner, action)
    assert checked > 20


def test_s3_grants_are_per_prefix() -> None:
    granted: dict[str, set[str]] = {}
    for owner, statement in identity_statements():
        for resource in as_list(statement["Resource"]):
            text = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            if isinstance(text, str) and text.startswith("${DataBucket.Arn}/"):
                prefix = text.removeprefix("${DataBucket.Arn}/")
                assert prefix.endswith("/*") and prefix.count("/") == 1, (owner, prefix)
                for action in as_list(statement["Action"]):
                    granted.setdefault(owner, set()).add(f"{action} {prefix}")
    assert granted["IngestFunction"] == {
        *(
            f"s3:{verb}Object {prefix}/*"
            for verb in ("Put", "Get")
            for prefix in ("raw", "requests", "submissions", "errors")
        ),
        "s3:GetObject inbound/*",
    }
    assert granted["CompletionFunction"] == {
        *(f"s3:GetObject {prefix}/*" for prefix in ("submissions", "async-out", "async-failures")),
        "s3:PutObject results/*",
        "s3:PutObject errors/*",
    }
    assert granted["NightlyEvaluationFunction"] == {"s3:GetObject results/*", "s3:PutObject evaluations/*"}
    assert granted["HttpsIngestFunction"] == {"s3:PutObject inbound/*"}
    assert granted["ModelExecutionRole"] == {
        "s3:GetObject requests/*",
        "s3:PutObject async-out/*",
        "s3:PutObject async-failures/*",
    }


def test_the_scheduler_may_invoke_only_the_nightly_function() -> None:
    role_statements = [statement for owner, statement in identity_statements() if owner == "SchedulerRole"]
    invoke = [statement for statement in role_statements if statement["Action"] == "lambda:InvokeFunction"]
    assert [statement["Resource"] for statement in invoke] == [
        {"Fn::GetAtt": ["NightlyEvaluationFunction", "Arn"]}
    ]
    trust = statements(properties("SchedulerRole")["AssumeRolePolicyDocument"])
    assert trust[0]["Principal"] == {"Service": "scheduler.amazonaws.com"}


# ---------------------------------------------------------------------------------------------- HTTPS entry
HTTPS_ENTRY = (
    "HttpsApi",
    "HttpsApiAccessLogGroup",
    "ApiGatewayCloudWatchRole",
    "ApiGatewayAccount",
    "HttpsIngestFunction",
    "HttpsIngestFunctionLogGroup",
    "HttpsIngestFunctionErrorsAlarm",
    "HttpsApi5xxAlarm",
)


def test_the_https_entry_point_is_opt_in_and_only_reached_with_a_client_certificate() -> None:
    # Given the HTTPS entry point's resources, Then each exists only when a custom domain is given
    assert all(RESOURCES[name]["Condition"] == "CreateHttpsEntry" for name in HTTPS_ENTRY)
    assert TEMPLATE["Conditions"]["CreateHttpsEntry"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "HttpsDomainName"}, ""]}]
    }
    api = properties("HttpsApi")
    # And the execute-api URL is off: the mutual-TLS custom domain is the only way in
    assert api["DisableExecuteApiEndpoint"] is True
    domain = api["Domain"]
    assert domain["DomainName"] == {"Ref": "HttpsDomainName"}
    assert domain["MutualTlsAuthentication"] == {"TruststoreUri": {"Ref": "HttpsTruststoreUri"}}
    assert domain["SecurityPolicy"] == "TLS_1_2"
    # And only the engines' address ranges may call it, within the throttling limits
    assert api["Auth"]["ResourcePolicy"] == {"IpRangeWhitelist": {"Ref": "HttpsAllowedSourceCidrs"}}
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "HttpsThrottleRate"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "HttpsThrottleBurst"}
    # And the rule refuses a domain without its certificate and truststore
    asserted = json.dumps(TEMPLATE["Rules"]["HttpsInputsWhenEnabled"]["Assertions"])
    assert "HttpsCertificateArn" in asserted and "HttpsTruststoreUri" in asserted


def test_the_https_entry_point_posts_every_body_as_bytes_to_the_function() -> None:
    api = properties("HttpsApi")
    assert api["BinaryMediaTypes"] == ["*~1*"]  # every content type: the body arrives base64, unchanged
    (event,) = properties("HttpsIngestFunction")["Events"].values()
    assert event == {
        "Type": "Api",
        "Properties": {"RestApiId": {"Ref": "HttpsApi"}, "Path": "/messages", "Method": "post"},
    }


def test_the_https_entry_point_never_logs_a_body() -> None:
    api = properties("HttpsApi")
    (settings,) = api["MethodSettings"]
    # Given execution logging off and data tracing off (which would log request and response bodies)
    assert settings["LoggingLevel"] == "OFF"
    assert settings["DataTraceEnabled"] is False
    # Then the access log holds request context only: no body, no header values, in an encrypted group
    access = api["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["HttpsApiAccessLogGroup", "Arn"]}
    fields = json.loads(access["Format"])
    assert all(value.startswith("$context.") for value in fields.values())
    assert not any("body" in value.lower() or "header" in value.lower() for value in fields.values())
    assert properties("HttpsApiAccessLogGroup")["KmsKeyId"] in DATA_KEY_REFS


def test_the_https_function_may_only_queue_and_claim_check() -> None:
    (policy,) = properties("HttpsIngestFunction")["Policies"]
    granted = {(statement["Sid"], json.dumps(statement["Resource"])) for statement in policy["Statement"]}
    assert granted == {
        ("QueueMessages", json.dumps({"Fn::GetAtt": ["IngestQueue", "Arn"]})),
        ("PutClaimChecks", json.dumps({"Fn::Sub": "${DataBucket.Arn}/inbound/*"})),
        ("UseDataKey", json.dumps({"Fn::GetAtt": ["DataKey", "Arn"]})),
    }
    actions = {statement["Sid"]: statement["Action"] for statement in policy["Statement"]}
    assert actions["QueueMessages"] == "sqs:SendMessage"  # SendMessageBatch is authorised as SendMessage


# ---------------------------------------------------------------------------------------------- SageMaker
def test_the_endpoint_resources_exist_only_when_no_endpoint_is_given() -> None:
    assert TEMPLATE["Conditions"]["CreateEndpoint"] == {"Fn::Equals": [{"Ref": "ExistingEndpointName"}, ""]}
    assert TEMPLATE["Parameters"]["ExistingEndpointName"]["Default"] == ""
    assert TEMPLATE["Parameters"]["InstanceType"]["Default"] == "ml.g5.2xlarge"
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    ):
        for name, resource in of_type(resource_type).items():
            assert resource.get("Condition") == "CreateEndpoint", name
    assert RESOURCES["ModelExecutionRole"]["Condition"] == "CreateEndpoint"


def test_the_endpoint_scales_to_zero_and_wakes_on_a_backlog() -> None:
    target = properties("ScalableTarget")
    variant = properties("EndpointConfig")["ProductionVariants"][0]["VariantName"]
    assert target["ResourceId"] == {"Fn::Sub": f"endpoint/${{Endpoint.EndpointName}}/variant/{variant}"}
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, {"Ref": "MaxInstanceCount"})
    endpoint_dimension = [{"Name": "EndpointName", "Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}}]
    # Target tracking on the backlog per instance
    tracking = properties("BacklogTargetTrackingPolicy")
    assert tracking["PolicyType"] == "TargetTrackingScaling"
    metric = tracking["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"]) == (
        "AWS/SageMaker",
        "ApproximateBacklogSizePerInstance",
    )
    assert metric["Dimensions"] == endpoint_dimension
    # And a step policy, driven by the HasBacklogWithoutCapacity alarm, that adds the first instance
    step = properties("HasBacklogWithoutCapacityPolicy")
    assert step["PolicyType"] == "StepScaling"
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    for policy in (tracking, step):
        assert policy["ScalingTargetId"] == {"Ref": "ScalableTarget"}
    alarm = properties("HasBacklogWithoutCapacityAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SageMaker", "HasBacklogWithoutCapacity")
    assert alarm["Dimensions"] == endpoint_dimension
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["AlarmActions"] == [{"Ref": "HasBacklogWithoutCapacityPolicy"}]


def test_the_endpoint_config_sets_the_async_client_limits() -> None:
    config = properties("EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == {"Ref": "InstanceType"}
    assert variant["InitialInstanceCount"] == 1
    client = config["AsyncInferenceConfig"]["ClientConfig"]
    assert client["MaxConcurrentInvocationsPerInstance"] == {"Ref": "MaxConcurrentInvocationsPerInstance"}
    # An EBS-volume key is refused by SageMaker for instance types with local NVMe, such as ml.g5
    assert "KmsKeyId" not in config


# ---------------------------------------------------------------------------------------------- schedule
def test_the_nightly_schedule_runs_at_the_configured_time_and_zone() -> None:
    schedule = properties("NightlySchedule")
    assert schedule["ScheduleExpression"] == {"Ref": "NightlyScheduleExpression"}
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "NightlyScheduleTimeZone"}
    assert TEMPLATE["Parameters"]["NightlyScheduleExpression"]["Default"] == "cron(0 2 * * ? *)"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}  # a string: unquoted YAML OFF is a boolean
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["NightlyEvaluationFunction", "Arn"]}
    assert json.loads(schedule["Target"]["Input"]) == {}  # no date: the function evaluates yesterday
    env = properties("NightlyEvaluationFunction")["Environment"]["Variables"]
    assert env["SCHEDULE_TIME_ZONE"] == {"Ref": "NightlyScheduleTimeZone"}


# ---------------------------------------------------------------------------------------------- analytics
def test_the_glue_tables_are_the_records_with_dt_partition_projection() -> None:
    results = properties("ResultsTable")["TableInput"]
    errors = properties("ErrorsTable")["TableInput"]
    assert [c["Name"] for c in results["StorageDescriptor"]["Columns"]] == list(RESULT_FIELDS)
    assert [c["Name"] for c in errors["StorageDescriptor"]["Columns"]] == list(ErrorRecord.model_fields)
    assert "parquet" in results["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].lower()
    assert (
        errors["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )
    for table, prefix in ((results, "results"), (errors, "errors")):
        assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
        parameters = table["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.dt.type"] == "date"
        assert parameters["projection.dt.format"] == "yyyy-MM-dd"
        assert parameters["projection.dt.range"] == "2020-01-01,NOW"
        assert parameters["storage.location.template"] == {
            "Fn::Sub": f"s3://${{DataBucket}}/{prefix}/dt=${{!dt}}/"
        }


def test_the_results_table_types_are_the_parquet_schema() -> None:
    pyarrow = pytest.importorskip("pyarrow")
    from radimpress.adapters.parquet import RESULT_SCHEMA

    glue_type = {
        pyarrow.string(): "string",
        pyarrow.bool_(): "boolean",
        pyarrow.float64(): "double",
        pyarrow.int64(): "bigint",
    }
    columns = properties("ResultsTable")["TableInput"]["StorageDescriptor"]["Columns"]
    for column, schema_field in zip(columns, RESULT_SCHEMA, strict=True):
        expected = (
            "timestamp" if pyarrow.types.is_timestamp(schema_field.type) else glue_type[schema_field.type]
        )
        assert column["Type"] == expected, column["Name"]


# ---------------------------------------------------------------------------------------------- outputs
def test_outputs_name_everything_the_tests_and_the_cli_read() -> None:
    assert {
        "DataBucketName",
        "IngestQueueUrl",
        "IngestQueueArn",
        "IngestDLQUrl",
        "CompletionQueueUrl",
        "CompletionDLQUrl",
        "NightlyDLQUrl",
        "SuccessTopicArn",
        "ErrorTopicArn",
        "IdempotencyTableName",
        "PseudonymKeySecretArn",
        "EndpointName",
        "ResultsDatabaseName",
        "AthenaWorkGroupName",
        "AlarmTopicArn",
        "IngestFunctionName",
        "CompletionFunctionName",
        "NightlyEvaluationFunctionName",
        "HttpsEntryUrl",
        "HttpsIngestFunctionName",
    } <= set(TEMPLATE["Outputs"])


@pytest.mark.parametrize("environment", DEPLOY_ENVIRONMENTS)
def test_samconfig_deploys_each_environment_with_valid_parameters(environment: str) -> None:
    deploy = SAMCONFIG[environment]["deploy"]["parameters"]
    assert deploy["stack_name"] == f"radimpress-{environment}"
    assert deploy["resolve_s3"] is True
    assert "CAPABILITY_IAM" in deploy["capabilities"]
    overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"])
    assert overrides["Environment"] == environment
    # When the template is resolved with them (plus an endpoint), Then every value is one it allows
    plan = resolve(
        TEMPLATE, {**overrides, "ExistingEndpointName": "an-endpoint"}, {}, {}, deploy["region"], "1" * 12
    )
    assert plan.parameters["Environment"] == environment


def test_the_layer_is_built_by_its_makefile_from_the_requirements() -> None:
    layer = RESOURCES["CoreLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/radimpress/"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    makefile = (REPO / "layers" / "radimpress" / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-CoreLayer:", makefile, flags=re.MULTILINE)
    # When make plans the build (nothing runs), Then it installs for arm64 CPython 3.12 into python/
    planned = subprocess.run(
        ["make", "--dry-run", "build-CoreLayer", "ARTIFACTS_DIR=/artifacts"],
        cwd=REPO / "layers" / "radimpress",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--platform manylinux2014_aarch64" in planned
    assert "--python-version 3.12" in planned
    assert '--target "/artifacts/python"' in planned
    # and it ships bytecode for the handlers' packages (Lambda cannot write any to /opt)
    (compiling,) = [line for line in planned.replace("\\\n", " ").splitlines() if "-m compileall" in line]
    assert "--invalidation-mode unchecked-hash" in compiling
    assert all(name in compiling for name in ("radimpress", "aws_lambda_powertools", "pydantic"))
    requirements = (REPO / "layers" / "radimpress" / "requirements.txt").read_text(encoding="utf-8")
    shipped = {
        re.split(r"[\[<>=~! ]", line, maxsplit=1)[0].lower()
        for line in requirements.splitlines()
        if line and not line.startswith("#")
    }
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = [*pyproject["dependencies"], *pyproject["optional-dependencies"]["aws"]]
    names = {re.split(r"[\[<>=~! ]", requirement, maxsplit=1)[0].lower() for requirement in needed}
    assert names - {"boto3"} <= shipped  # the Lambda runtime provides boto3


# ------------------------------------------------------------------------------------------ Athena queries
def test_every_checked_in_query_is_a_named_query_with_the_file_text() -> None:
    # Given the template's saved Athena queries and the SQL files DuckDB runs in the demo and the tests
    named = {p["Name"]: p for p in (properties(n) for n in of_type("AWS::Athena::NamedQuery"))}
    files = {path.stem: path.read_text(encoding="utf-8") for path in (REPO / "sql").glob("*.sql")}
    # Then each file is one named query, verbatim, in the stack's database and workgroup
    assert set(named) == set(files)
    for name, text in files.items():
        assert named[name]["QueryString"] == text, name
        assert ref_target(named[name]["Database"]) == "ResultsDatabase"
        assert ref_target(named[name]["WorkGroup"]) == "AthenaWorkGroup"


def test_every_queue_refuses_plain_http() -> None:
    # Given every queue policy's statements, by the queues they apply to
    denied: set[str] = set()
    for props in map(properties, of_type("AWS::SQS::QueuePolicy")):
        for statement in statements(props["PolicyDocument"]):
            secure = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            if statement["Effect"] == "Deny" and secure == "false" and statement["Action"] == "sqs:*":
                denied.update(queue["Ref"] for queue in props["Queues"])
    # Then every queue of the template is covered by a SecureTransport deny
    assert denied == set(of_type(QUEUE))


def test_every_function_encrypts_its_environment_with_the_data_key() -> None:
    assert TEMPLATE["Globals"]["Function"]["KmsKeyArn"] in DATA_KEY_REFS
    assert all("KmsKeyArn" not in properties(name) for name in of_type(FUNCTION))  # none overrides it


def test_the_key_policys_service_statements_are_scoped_to_this_account_and_its_resources() -> None:
    policy = properties("DataKey")["KeyPolicy"]
    services = [s for s in statements(policy) if "Service" in s["Principal"]]
    assert len(services) >= 4
    for statement in services:
        condition = statement.get("Condition", {})
        scoped = [key for operator in condition.values() for key in operator]
        assert any(key in scoped for key in ("aws:SourceArn", "kms:EncryptionContext:aws:logs:arn")), (
            statement
        )
        if statement["Sid"] != "CloudWatchLogsEncryptsLambdaLogGroups":
            assert "aws:SourceArn" in scoped


def test_the_data_bucket_is_access_logged_by_parameter() -> None:
    logging = properties("DataBucket")["LoggingConfiguration"]
    assert logging["Fn::If"][0] == "ServerAccessLogs"
    assert logging["Fn::If"][1]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    trail = RESOURCES["DataEventsTrail"]
    assert trail["Condition"] == "TrailDataEvents"
    (selector,) = trail["Properties"]["EventSelectors"]
    assert selector["DataResources"][0]["Type"] == "AWS::S3::Object"
    assert trail["Properties"]["KMSKeyId"] in DATA_KEY_REFS
    assert set(TEMPLATE["Parameters"]["DataAccessLogging"]["AllowedValues"]) == {
        "server-access-logs",
        "cloudtrail-data-events",
        "both",
    }


def test_the_glue_catalog_is_encrypted_with_the_data_key() -> None:
    (settings,) = of_type("AWS::Glue::DataCatalogEncryptionSettings").values()
    at_rest = settings["Properties"]["DataCatalogEncryptionSettings"]["EncryptionAtRest"]
    assert at_rest["CatalogEncryptionMode"] == "SSE-KMS" and at_rest["SseAwsKmsKeyId"] in DATA_KEY_REFS


def test_vpc_mode_puts_every_function_in_the_subnets_with_endpoints_for_what_they_call() -> None:
    vpc = TEMPLATE["Globals"]["Function"]["VpcConfig"]["Fn::If"]
    assert vpc[0] == "InVpc" and vpc[1]["SubnetIds"] == {"Ref": "VpcSubnetIds"}
    endpoints = of_type("AWS::EC2::VPCEndpoint")
    assert all(resource["Condition"] == "InVpc" for resource in endpoints.values())
    services = {str(r["Properties"]["ServiceName"]["Fn::Sub"]).rsplit(".", 1)[-1] for r in endpoints.values()}
    assert {"sqs", "runtime", "secretsmanager", "kms", "xray", "s3", "dynamodb"} <= services
