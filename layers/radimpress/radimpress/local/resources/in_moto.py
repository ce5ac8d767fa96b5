"""The resource types created in the embedded AWS (moto), each from its resolved template properties.

Created in moto, with the template's properties: the KMS key and alias, the bucket (encryption, versioning,
public access block, ownership, lifecycle), the DynamoDB table (TTL, SSE, point-in-time recovery), the
Secrets Manager secret (its value generated per ``GenerateSecretString``), the queues (``RedrivePolicy``,
visibility timeouts, KMS) and their policies, the topics and their policy, the SNS -> SQS subscriptions
(``RawMessageDelivery`` as declared), the Glue database and tables, the Athena workgroup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from radimpress.local.resolve import ResolvedResource
from radimpress.local.resources.local_stack import LocalStack, generated_name

__all__ = ["CREATED_TYPES", "Creator"]

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


def _tags_kv(tags: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in tags or []]


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class Creator:
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
