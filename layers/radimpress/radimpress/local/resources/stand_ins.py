"""The resource types the demo stands in for, and the physical ids and attributes they answer to.

Stood in for, by the component named in :data:`STAND_INS`: what moto cannot run or the demo runs itself
(Lambda functions and layer, SageMaker, Application Auto Scaling, IAM, CloudWatch Logs and alarms, the
EventBridge schedule), and the bucket policy, which moto would misapply (it ignores policy conditions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from radimpress.errors import ConfigurationError
from radimpress.local.resolve import ResolvedResource
from radimpress.local.resources.local_stack import LocalStack, generated_name

__all__ = ["STAND_INS", "stand_in"]

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
    "AWS::Athena::NamedQuery": "radimpress.local.query: the same sql/<name>.sql text, run on DuckDB views",
    "AWS::Glue::DataCatalogEncryptionSettings": (
        "not applied: an account-wide setting; the embedded Glue catalog keeps its tables unencrypted"
    ),
    "AWS::CloudTrail::Trail": "none: the embedded S3 keeps no data-event trail (on only by parameter)",
    "AWS::EC2::VPCEndpoint": "none: the demo runs on loopback, not in a VPC (on only in VPC mode)",
}


def stand_in(stack: LocalStack, resource: ResolvedResource) -> tuple[str, dict[str, str]]:
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
    if kind == "AWS::Athena::NamedQuery":
        return hashlib.sha256(f"{logical}|{p['Name']}".encode()).hexdigest()[:36], {}  # Ref: the NamedQueryId
    raise ConfigurationError(f"no stand-in for {kind}", where=logical)  # pragma: no cover - plan() refuses it
