"""Every resource of ``template.yaml``, created in the embedded AWS (moto) or stood in for by a local part.

The template is read and resolved by :mod:`radimpress.local.template`; resources are created in its
:meth:`~radimpress.local.template.ResolvedTemplate.creation_order`, the template re-resolved after each
wave, so every property that refers to another resource gets that resource's real local value (a key id
moto chose, a secret ARN, a queue URL). Names are generated the way CloudFormation generates them when the
template gives none: ``<stack>-<LogicalId>-<SUFFIX>`` (lower case for buckets), so the functions see the
same kind of names in their environment as in a deployment.

Created in moto, with the template's properties: the KMS key and alias, the bucket (encryption, versioning,
public access block, ownership, lifecycle), the DynamoDB table (TTL, SSE, point-in-time recovery), the
Secrets Manager secret (its value generated per ``GenerateSecretString``), the queues (``RedrivePolicy``,
visibility timeouts, KMS) and their policies, the topics and their policy, the SNS -> SQS subscriptions
(``RawMessageDelivery`` as declared), the Glue database and tables, the Athena workgroup. Stood in for, by
the component named in :data:`STAND_INS`: what moto cannot run or the demo runs itself (Lambda functions and
layer, SageMaker, Application Auto Scaling, IAM, CloudWatch Logs and alarms, the EventBridge schedule), and
the bucket policy, which moto would misapply (it ignores policy conditions). :func:`plan` sorts a template's
resources into the two; a type in neither is an error, so a resource added to the template cannot be
silently missing from the demo.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from radimpress.errors import ConfigurationError
from radimpress.local.moto_server import ACCOUNT_ID, DEFAULT_REGION
from radimpress.local.template import ResolvedResource, ResolvedTemplate, load_template, resolve

__all__ = [
    "CREATED_TYPES",
    "LOCAL_PARAMETERS",
    "STAND_INS",
    "Action",
    "LocalStack",
    "create_stack",
    "local_parameters",
    "plan",
]

STACK_NAME = "radimpress-local"

#: Resource types created in moto, with what is created.
CREATED_TYPES: Mapping[str, str] = {
    "AWS::KMS::Key": "KMS key (policy, rotation)",
    "AWS::KMS::Alias": "KMS alias",
    "AWS::S3::Bucket": "bucket (KMS encryption, versioning, public access block, ownership, lifecycle)",
    "AWS::DynamoDB::Table": "table (keys, billing, TTL, SSE, point-in-time recovery)",
    "AWS::SecretsManager::Secret": "secret (value generated per GenerateSecretString)",
    "AWS::SQS::Queue": "queue (KMS, visibility timeout, retention, RedrivePolicy)",
    "AWS::SQS::QueuePolicy": "queue policy",
    "AWS::SNS::Topic": "topic (KMS)",
    "AWS::SNS::TopicPolicy": "topic policy",
    "AWS::SNS::Subscription": "SNS -> SQS subscription (RawMessageDelivery, RedrivePolicy)",
    "AWS::Glue::Database": "Glue database",
    "AWS::Glue::Table": "Glue table (columns, partition keys, projection parameters)",
    "AWS::Athena::WorkGroup": "Athena workgroup (encrypted result location)",
}

#: Resource types the demo stands in for, and the local component that does their job.
STAND_INS: Mapping[str, str] = {
    "AWS::Serverless::Function": (
        "radimpress.local.poller (SQS event source mapping) and radimpress.local.scheduler (schedule "
        "target): lambda_handler of functions/<dir>/app.py, in-process, with the template's environment"
    ),
    "AWS::Lambda::Function": "radimpress.local.poller / radimpress.local.scheduler, as serverless functions",
    "AWS::Serverless::LayerVersion": "the radimpress package installed in the virtualenv (layers/radimpress)",
    "AWS::Serverless::Api": (
        "radimpress.local.api.LocalRestApi: Lambda proxy events over plain HTTP on 127.0.0.1 (no TLS, mutual "
        "TLS, resource policy or throttling)"
    ),
    "AWS::ApiGateway::Account": "nothing to stand in: the account's logging role (no access logs locally)",
    "AWS::IAM::Role": "nothing to stand in: moto does not enforce IAM (the policies stay in the template)",
    "AWS::S3::BucketPolicy": (
        "not applied: moto evaluates bucket policies without their Condition, so the TLS-only Deny would "
        "deny every request; the embedded AWS is plain HTTP on 127.0.0.1"
    ),
    "AWS::Logs::LogGroup": "<workdir>/logs/functions.log: the functions' stdout (JSON logs, EMF metrics)",
    "AWS::CloudWatch::Alarm": "the demo's summary: DLQ depths and handler errors are counted and checked",
    "AWS::Scheduler::Schedule": "radimpress.local.scheduler.invoke_scheduled, run by the demo for today",
    "AWS::SageMaker::Model": (
        "the embedded engine (radimpress.drafting.engines) behind radimpress.local.endpoint"
    ),
    "AWS::SageMaker::EndpointConfig": (
        "radimpress.local.endpoint, configured from its AsyncInferenceConfig (S3OutputPath, S3FailurePath, "
        "SuccessTopic, ErrorTopic, MaxConcurrentInvocationsPerInstance)"
    ),
    "AWS::SageMaker::Endpoint": "radimpress.local.endpoint.LocalAsyncEndpoint, serving InvokeEndpointAsync",
    "AWS::ApplicationAutoScaling::ScalableTarget": "none: the local endpoint is one always-on instance",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "none: the local endpoint is one always-on instance",
    "AWS::Glue::DataCatalogEncryptionSettings": (
        "not applied: an account-wide setting; the embedded Glue catalog keeps its tables unencrypted"
    ),
    "AWS::CloudTrail::Trail": "none: the embedded S3 keeps no data-event trail (on only by parameter)",
    "AWS::EC2::VPCEndpoint": "none: the demo runs on loopback, not in a VPC (on only in VPC mode)",
}

#: The Model's image and artifact are never pulled locally; these placeholders satisfy the template's Rules
#: so the demo resolves the variant that creates the endpoint (and stands in for all of it).
LOCAL_PARAMETERS: Mapping[str, str] = {
    "ImageUri": f"{ACCOUNT_ID}.dkr.ecr.{DEFAULT_REGION}.amazonaws.com/radimpress-local-stand-in:latest",
    "ModelDataUrl": "s3://radimpress-local-stand-in/model.tar.gz",
    # and the HTTPS entry point's custom domain, so its API and function exist locally too
    "HttpsDomainName": "hl7.radimpress.invalid",
    "HttpsCertificateArn": f"arn:aws:acm:{DEFAULT_REGION}:{ACCOUNT_ID}:certificate/local-stand-in",
    "HttpsTruststoreUri": "s3://radimpress-local-stand-in/truststore.pem",
    # and both access-logging options and VPC mode, so the trail and the endpoints are planned (stood in)
    "DataAccessLogging": "both",
    "VpcSubnetIds": "subnet-0local",
    "VpcSecurityGroupIds": "sg-0local",
    "VpcId": "vpc-0local",
    "VpcRouteTableIds": "rtb-0local",
}


@dataclass(frozen=True)
class Action:
    """What the demo does with one template resource."""

    logical_id: str
    type: str
    kind: Literal["create", "stand-in"]
    by: str


def plan(resolved: ResolvedTemplate) -> dict[str, Action]:
    """Every enabled resource of ``resolved``: created in moto or stood in for. Unknown types raise."""
    actions: dict[str, Action] = {}
    for resource in resolved.enabled():
        if resource.type in CREATED_TYPES:
            actions[resource.logical_id] = Action(
                resource.logical_id, resource.type, "create", CREATED_TYPES[resource.type]
            )
        elif resource.type in STAND_INS:
            actions[resource.logical_id] = Action(
                resource.logical_id, resource.type, "stand-in", STAND_INS[resource.type]
            )
        else:
            raise ConfigurationError(
                f"{resource.type} is neither created nor stood in for by the local runtime "
                "(add it to radimpress.local.resources)",
                where=resource.logical_id,
            )
    return actions


def local_parameters(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**LOCAL_PARAMETERS, **(overrides or {})}


@dataclass
class LocalStack:
    """The created stack: physical ids (``Ref``), attributes (``Fn::GetAtt``), the final resolution."""

    stack_name: str
    region: str
    account_id: str
    resolved: ResolvedTemplate
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    #: properties the local AWS does not apply (``logical_id/property``), with why
    not_applied: dict[str, str] = field(default_factory=dict)

    @property
    def created(self) -> set[str]:
        return {name for name, action in self.actions.items() if action.kind == "create"}

    @property
    def stood_in(self) -> set[str]:
        return {name for name, action in self.actions.items() if action.kind == "stand-in"}

    def ref(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    def attribute(self, logical_id: str, name: str) -> str:
        return self.attributes[(logical_id, name)]

    def resource(self, logical_id: str) -> ResolvedResource:
        return self.resolved.resource(logical_id)

    def output(self, name: str) -> Any:
        return self.resolved.outputs[name]

    def function_environment(self, logical_id: str) -> dict[str, str]:
        return self.resolved.function_environment(logical_id)


# ---------------------------------------------------------------------- names


def _suffix(stack_name: str, logical_id: str, length: int, alphabet: str) -> str:
    """CloudFormation's random suffix, deterministic per stack and resource (reproducible demo runs)."""
    rng = random.Random(f"{stack_name}/{logical_id}")  # noqa: S311 - a name, not a secret
    return "".join(rng.choice(alphabet) for _ in range(length))


def generated_name(stack_name: str, logical_id: str, *, max_length: int, lower: bool = False) -> str:
    """``<stack>-<LogicalId>-<SUFFIX>``, the stack and logical id trimmed so the whole fits ``max_length``."""
    alphabet = string.ascii_lowercase + string.digits if lower else string.ascii_uppercase + string.digits
    suffix = _suffix(stack_name, logical_id, 12 if lower else 13, alphabet)
    room = max_length - len(suffix) - 2
    stack_part = stack_name[: max(1, room // 2)]
    logical_part = logical_id[: max(1, room - len(stack_part))]
    name = f"{stack_part}-{logical_part}-{suffix}"
    return name.lower() if lower else name


# ---------------------------------------------------------------------- creation


def _tags_kv(tags: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in tags or []]


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class _Creator:
    """Creates one resource in moto from its resolved properties; returns (physical id, attributes)."""

    def __init__(self, stack: LocalStack, client: Callable[[str], Any]) -> None:
        self.stack = stack
        self.client = client
        self.region = stack.region
        self.account = stack.account_id

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"
        )

    def name(
        self, resource: ResolvedResource, key: str | None, *, max_length: int, lower: bool = False
    ) -> str:
        explicit = resource.properties.get(key) if key else None
        if explicit:
            return str(explicit)
        return generated_name(self.stack.stack_name, resource.logical_id, max_length=max_length, lower=lower)

    def skip(self, resource: ResolvedResource, name: str, why: str) -> None:
        if name in resource.properties:
            self.stack.not_applied[f"{resource.logical_id}/{name}"] = why

    def create(self, resource: ResolvedResource) -> tuple[str, dict[str, str]]:
        method = getattr(self, "_" + resource.type.replace("AWS::", "").replace("::", "_").lower())
        result: tuple[str, dict[str, str]] = method(resource, resource.properties)
        return result

    # -------------------------------------------------------------- KMS

    def _kms_key(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        kms = self.client("kms")
        arguments: dict[str, Any] = {
            "Description": p.get("Description", ""),
            "KeyUsage": p.get("KeyUsage", "ENCRYPT_DECRYPT"),
            "KeySpec": p.get("KeySpec", "SYMMETRIC_DEFAULT"),
            "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in p.get("Tags", [])],
        }
        if "KeyPolicy" in p:
            arguments["Policy"] = _json(p["KeyPolicy"])
        metadata = kms.create_key(**arguments)["KeyMetadata"]
        if str(p.get("EnableKeyRotation", "false")).lower() == "true":
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        self.skip(resource, "PendingWindowInDays", "applies on deletion only")
        return metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}

    def _kms_alias(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        self.client("kms").create_alias(AliasName=p["AliasName"], TargetKeyId=p["TargetKeyId"])
        return str(p["AliasName"]), {}

    # -------------------------------------------------------------- S3

    def _s3_bucket(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        s3 = self.client("s3")
        name = self.name(resource, "BucketName", max_length=63, lower=True)
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        if "BucketEncryption" in p:
            rules = [
                _encryption_rule(rule) for rule in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "VersioningConfiguration" in p:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": p["VersioningConfiguration"]["Status"]}
            )
        if "PublicAccessBlockConfiguration" in p:
            block = {
                key: str(value).lower() == "true"
                for key, value in p["PublicAccessBlockConfiguration"].items()
            }
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        if "OwnershipControls" in p:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=p["OwnershipControls"])
        if "LifecycleConfiguration" in p:
            rules = [_lifecycle_rule(rule) for rule in p["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if p.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags_kv(p["Tags"])})
        return name, {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }

    # -------------------------------------------------------------- DynamoDB

    def _dynamodb_table(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        dynamodb = self.client("dynamodb")
        name = self.name(resource, "TableName", max_length=255)
        arguments: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        for key in (
            "ProvisionedThroughput",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "StreamSpecification",
        ):
            if key in p:
                arguments[key] = p[key]
        if "SSESpecification" in p:
            sse = p["SSESpecification"]
            arguments["SSESpecification"] = {
                "Enabled": str(sse.get("SSEEnabled", "false")).lower() == "true",
                **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
                **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
            }
        if "DeletionProtectionEnabled" in p:
            arguments["DeletionProtectionEnabled"] = str(p["DeletionProtectionEnabled"]).lower() == "true"
        if p.get("Tags"):
            arguments["Tags"] = _tags_kv(p["Tags"])
        description = dynamodb.create_table(**arguments)["TableDescription"]
        if "TimeToLiveSpecification" in p:
            ttl = p["TimeToLiveSpecification"]
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": str(ttl.get("Enabled", "false")).lower() == "true",
                },
            )
        if "PointInTimeRecoverySpecification" in p:
            enabled = str(p["PointInTimeRecoverySpecification"].get("PointInTimeRecoveryEnabled")).lower()
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled == "true"},
            )
        attributes = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        return name, attributes

    # -------------------------------------------------------------- Secrets Manager

    def _secretsmanager_secret(
        self, resource: ResolvedResource, p: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        secrets = self.client("secretsmanager")
        name = self.name(resource, "Name", max_length=512)
        if "GenerateSecretString" in p:
            value = _generated_secret(secrets, p["GenerateSecretString"])
        else:
            value = str(p.get("SecretString", ""))
        arguments: dict[str, Any] = {"Name": name, "SecretString": value}
        for key in ("Description", "KmsKeyId"):
            if key in p:
                arguments[key] = p[key]
        if p.get("Tags"):
            arguments["Tags"] = _tags_kv(p["Tags"])
        arn = str(secrets.create_secret(**arguments)["ARN"])
        return arn, {"Id": arn}

    # -------------------------------------------------------------- SQS

    def _sqs_queue(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        sqs = self.client("sqs")
        fifo = str(p.get("FifoQueue", "false")).lower() == "true"
        name = self.name(resource, "QueueName", max_length=80 - (5 if fifo else 0)) + (
            ".fifo" if fifo and not p.get("QueueName") else ""
        )
        attributes = {
            key: _json(value) if isinstance(value, dict) else str(value) for key, value in p.items()
        }
        attributes.pop("QueueName", None)
        tags = attributes.pop("Tags", None)
        for key, value in list(attributes.items()):
            if value in ("True", "False"):
                attributes[key] = value.lower()
        arguments: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if tags:
            arguments["tags"] = {t["Key"]: t["Value"] for t in p["Tags"]}
        url = str(sqs.create_queue(**arguments)["QueueUrl"])
        arn = self.arn("sqs", name)
        return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}

    def _sqs_queuepolicy(
        self, resource: ResolvedResource, p: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        for url in p["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": _json(p["PolicyDocument"])}
            )
        return generated_name(self.stack.stack_name, resource.logical_id, max_length=128), {}

    # -------------------------------------------------------------- SNS

    def _sns_topic(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        name = self.name(resource, "TopicName", max_length=256)
        attributes = {
            key: str(p[key])
            for key in ("KmsMasterKeyId", "DisplayName", "FifoTopic", "ContentBasedDeduplication")
            if key in p
        }
        arguments: dict[str, Any] = {"Name": name, "Attributes": attributes}
        if p.get("Tags"):
            arguments["Tags"] = _tags_kv(p["Tags"])
        arn = str(self.client("sns").create_topic(**arguments)["TopicArn"])
        for subscription in p.get("Subscription", []):
            self.client("sns").subscribe(
                TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
            )
        return arn, {"TopicArn": arn, "TopicName": name}

    def _sns_topicpolicy(
        self, resource: ResolvedResource, p: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        for arn in p["Topics"]:
            self.client("sns").set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=_json(p["PolicyDocument"])
            )
        return generated_name(self.stack.stack_name, resource.logical_id, max_length=128), {}

    def _sns_subscription(
        self, resource: ResolvedResource, p: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        attributes: dict[str, str] = {}
        if "RawMessageDelivery" in p:
            attributes["RawMessageDelivery"] = str(p["RawMessageDelivery"]).lower()
        for key in ("FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"):
            if key in p:
                attributes[key] = _json(p[key])
        arn = self.client("sns").subscribe(
            TopicArn=p["TopicArn"],
            Protocol=p["Protocol"],
            Endpoint=p["Endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return str(arn), {}

    # -------------------------------------------------------------- Glue / Athena

    def _glue_database(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        self.client("glue").create_database(DatabaseInput=p["DatabaseInput"])
        return str(p["DatabaseInput"]["Name"]), {}

    def _glue_table(self, resource: ResolvedResource, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        self.client("glue").create_table(DatabaseName=p["DatabaseName"], TableInput=p["TableInput"])
        return str(p["TableInput"]["Name"]), {}

    def _athena_workgroup(
        self, resource: ResolvedResource, p: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        arguments: dict[str, Any] = {"Name": p["Name"]}
        if "WorkGroupConfiguration" in p:
            configuration = dict(p["WorkGroupConfiguration"])
            for key in ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled"):
                if key in configuration:
                    configuration[key] = str(configuration[key]).lower() == "true"
            arguments["Configuration"] = configuration
        if "Description" in p:
            arguments["Description"] = p["Description"]
        if p.get("Tags"):
            arguments["Tags"] = _tags_kv(p["Tags"])
        self.client("athena").create_work_group(**arguments)
        self.skip(resource, "RecursiveDeleteOption", "applies on deletion only")
        return str(p["Name"]), {}


def _encryption_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation ``ServerSideEncryptionRule`` in the S3 API's shape."""
    converted: dict[str, Any] = {}
    if "ServerSideEncryptionByDefault" in rule:
        converted["ApplyServerSideEncryptionByDefault"] = dict(rule["ServerSideEncryptionByDefault"])
    if "BucketKeyEnabled" in rule:
        converted["BucketKeyEnabled"] = str(rule["BucketKeyEnabled"]).lower() == "true"
    return converted


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's shape."""
    converted: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if "Id" in rule:
        converted["ID"] = rule["Id"]
    converted["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "Transitions" in rule:
        converted["Transitions"] = [
            {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
            for t in rule["Transitions"]
        ]
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return converted


def _generated_secret(secrets: Any, spec: Mapping[str, Any]) -> str:
    """A value as Secrets Manager generates it for ``GenerateSecretString`` (moto's GetRandomPassword)."""
    arguments: dict[str, Any] = {}
    for key in (
        "PasswordLength",
        "ExcludeCharacters",
        "ExcludeNumbers",
        "ExcludePunctuation",
        "ExcludeUppercase",
        "ExcludeLowercase",
        "IncludeSpace",
        "RequireEachIncludedType",
    ):
        if key in spec:
            value = spec[key]
            arguments[key] = (
                int(value)
                if key == "PasswordLength"
                else (str(value).lower() == "true" if key not in ("ExcludeCharacters",) else str(value))
            )
    password = str(secrets.get_random_password(**arguments)["RandomPassword"])
    template = spec.get("SecretStringTemplate")
    if template is None:
        return password
    document = json.loads(template)
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


# ---------------------------------------------------------------------- stand-ins


def _stand_in(stack: LocalStack, resource: ResolvedResource) -> tuple[str, dict[str, str]]:
    """Physical id and attributes of a stood-in resource, shaped like AWS's, so references resolve."""
    p = resource.properties
    region, account, logical = stack.region, stack.account_id, resource.logical_id

    def named(key: str | None, max_length: int = 64) -> str:
        explicit = p.get(key) if key else None
        return str(explicit) if explicit else generated_name(stack.stack_name, logical, max_length=max_length)

    kind = resource.type
    if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        name = named("FunctionName")
        return name, {"Arn": f"arn:aws:lambda:{region}:{account}:function:{name}"}
    if kind == "AWS::S3::BucketPolicy":
        return str(p["Bucket"]), {}
    if kind == "AWS::Serverless::Api":
        api_id = hashlib.sha256(f"{stack.stack_name}/{logical}".encode()).hexdigest()[:10]
        return api_id, {"RootResourceId": api_id[:6]}
    if kind == "AWS::ApiGateway::Account":
        return f"{account}-apigateway-account", {}
    if kind == "AWS::Serverless::LayerVersion":
        name = str(p.get("LayerName") or logical)
        return f"arn:aws:lambda:{region}:{account}:layer:{name}:1", {}
    if kind == "AWS::IAM::Role":
        name = named("RoleName")
        return name, {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": "AROA" + name.upper()[:17]}
    if kind == "AWS::Logs::LogGroup":
        name = named("LogGroupName", 512)
        return name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}
    if kind == "AWS::CloudWatch::Alarm":
        name = named("AlarmName", 255)
        return name, {"Arn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"}
    if kind == "AWS::Scheduler::Schedule":
        name = named("Name")
        group = str(p.get("GroupName") or "default")
        return name, {"Arn": f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"}
    if kind == "AWS::SageMaker::Model":
        name = named("ModelName", 63)
        return f"arn:aws:sagemaker:{region}:{account}:model/{name.lower()}", {"ModelName": name}
    if kind == "AWS::SageMaker::EndpointConfig":
        name = named("EndpointConfigName", 63)
        arn = f"arn:aws:sagemaker:{region}:{account}:endpoint-config/{name.lower()}"
        return arn, {"EndpointConfigName": name}
    if kind == "AWS::SageMaker::Endpoint":
        name = named("EndpointName", 63)
        return f"arn:aws:sagemaker:{region}:{account}:endpoint/{name.lower()}", {"EndpointName": name}
    if kind == "AWS::ApplicationAutoScaling::ScalableTarget":
        return f"{p['ResourceId']}|{p['ScalableDimension']}|{p['ServiceNamespace']}", {}
    if kind == "AWS::ApplicationAutoScaling::ScalingPolicy":
        name = named("PolicyName", 256)
        arn = f"arn:aws:autoscaling:{region}:{account}:scalingPolicy:{logical}:policyName/{name}"
        return arn, {"Arn": arn}
    if kind == "AWS::EC2::VPCEndpoint":
        endpoint_id = "vpce-" + hashlib.sha256(f"{stack.stack_name}/{logical}".encode()).hexdigest()[:17]
        return endpoint_id, {"Id": endpoint_id}
    if kind == "AWS::CloudTrail::Trail":
        name = named("TrailName", 128)
        return name, {"Arn": f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"}
    if kind == "AWS::Glue::DataCatalogEncryptionSettings":
        return str(p.get("CatalogId") or account), {}
    raise ConfigurationError(f"no stand-in for {kind}", where=logical)  # pragma: no cover - plan() refuses it


# ---------------------------------------------------------------------- the stack


def create_stack(
    template_path: Path,
    client: Callable[[str], Any],
    *,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = STACK_NAME,
    region: str = DEFAULT_REGION,
    account_id: str = ACCOUNT_ID,
) -> LocalStack:
    """Create (or stand in for) every resource of the template at ``template_path``.

    ``client(service)`` returns a boto3 client pointed at the embedded AWS. ``parameters`` override the
    template's defaults on top of :data:`LOCAL_PARAMETERS`.
    """
    template = load_template(template_path)
    values = local_parameters(parameters)

    def resolved_now(stack: LocalStack | None = None) -> ResolvedTemplate:
        return resolve(
            template,
            values,
            stack.physical_ids if stack else {},
            stack.attributes if stack else {},
            region,
            account_id,
            stack_name=stack_name,
        )

    first = resolved_now()
    stack = LocalStack(stack_name, region, account_id, first, actions=plan(first))
    creator = _Creator(stack, client)
    order = first.creation_order()
    while order:
        # One resolution per wave: every resource whose references are all known now is created from it.
        current = resolved_now(stack)
        wave = [
            logical_id
            for logical_id in order
            if current.resource(logical_id).ready
            and current.resource(logical_id).depends_on <= stack.physical_ids.keys()
        ]
        if not wave:
            missing = sorted({m for name in order for m in current.resource(name).missing})
            raise ConfigurationError(f"cannot create: unresolved {', '.join(missing)}", where=order[0])
        for logical_id in wave:
            resource = current.resource(logical_id)
            if stack.actions[logical_id].kind == "create":
                physical_id, attributes = creator.create(resource)
            else:
                physical_id, attributes = _stand_in(stack, resource)
            stack.physical_ids[logical_id] = physical_id
            stack.attributes.update({(logical_id, name): value for name, value in attributes.items()})
        order = [logical_id for logical_id in order if logical_id not in stack.physical_ids]
    stack.resolved = resolved_now(stack)
    return stack
