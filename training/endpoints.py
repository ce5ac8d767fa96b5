"""``deploy`` / ``teardown``: the pre-trained and the fine-tuned model as async endpoints, for comparison.

Each endpoint is configured as ``template.yaml``'s (Model, EndpointConfig, Endpoint, ScalableTarget, two
scaling policies and the scale-from-zero alarm): the JumpStart inference container with network isolation,
async inference writing to ``<output>/async-out/<endpoint>/`` and ``<output>/async-failures/<endpoint>/``
(KMS-encrypted with ``--kms-key``), success and error notifications to SNS topics (created here unless
given), and auto scaling between zero and ``--max-instances`` on the backlog per instance, woken from zero
by the ``HasBacklogWithoutCapacity`` alarm.

**Exactly what was made.** :func:`plan_endpoint` is pure: the ordered AWS calls for one endpoint, each with
the resource it creates and the call that removes it. ``deploy`` runs them and writes the deployment record
(``--record``, JSON) after every call, so even a deploy that failed half-way can be torn down;
``teardown`` reads the record and removes those resources, newest first, and nothing else. A resource
already gone counts as removed. The record holds names and ARNs only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from radimpress.errors import ConfigurationError, RadimpressError

__all__ = [
    "JUMPSTART_ENVIRONMENT",
    "EndpointSpec",
    "Step",
    "deploy",
    "deploy_main",
    "plan_endpoint",
    "teardown",
    "teardown_main",
]

VARIANT = "AllTraffic"
#: The JumpStart text2text inference container's settings, as template.yaml's Model sets them.
JUMPSTART_ENVIRONMENT: Mapping[str, str] = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
    "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
    "SAGEMAKER_ENV": "1",
    "MODEL_CACHE_ROOT": "/opt/ml/model",
    "ENDPOINT_SERVER_TIMEOUT": "3600",
    "TS_DEFAULT_WORKERS_PER_MODEL": "1",
}
_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,50}$")  # room for the -config / -success suffixes


class EndpointSpec(BaseModel):
    """One async endpoint, validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    model_data_url: str
    image_uri: str
    role_arn: str
    output_uri: str
    instance_type: str = "ml.g5.2xlarge"
    max_instances: int = Field(default=2, ge=1)
    max_concurrent_invocations: int = Field(default=4, ge=1, le=1000)
    kms_key_id: str | None = None
    success_topic_arn: str | None = None
    error_topic_arn: str | None = None
    environment: dict[str, str] = Field(default_factory=lambda: dict(JUMPSTART_ENVIRONMENT))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("an endpoint name is lower-case letters, digits and hyphens, at most 51")
        return value

    @field_validator("model_data_url", "output_uri")
    @classmethod
    def _s3(cls, value: str) -> str:
        if not value.startswith("s3://") or len(value) < 8:
            raise ValueError(f"expected an s3:// URI, not {value!r}")
        return value

    def location(self, kind: str) -> str:
        return f"{self.output_uri.rstrip('/')}/{kind}/{self.name}/"


@dataclass(frozen=True, slots=True)
class Step:
    """One AWS call of a deployment, the resource it makes and the call that removes it.

    A request value ``<identifier>`` is an earlier step's output (filled in when run): e.g. the alarm's
    action is the step policy's ARN, known only once the policy exists.
    """

    service: str
    operation: str
    request: Mapping[str, Any]
    resource: str  # e.g. "sagemaker:endpoint"
    identifier: str
    undo_operation: str
    undo_request: Mapping[str, Any]
    output: str | None = None  # the response field later steps read ("TopicArn", "PolicyARN")
    #: How teardown asks whether it still exists, where a missing resource's delete has no error code of
    #: its own (SageMaker answers ValidationException): (list operation, request, items key, name field).
    probe: tuple[str, Mapping[str, Any], str, str] | None = None


def _topic_steps(spec: EndpointSpec) -> tuple[list[Step], str, str]:
    steps: list[Step] = []
    arns = []
    for kind, given in (("success", spec.success_topic_arn), ("error", spec.error_topic_arn)):
        if given is not None:
            arns.append(given)
            continue
        name = f"{spec.name}-{kind}"
        attributes = {"KmsMasterKeyId": spec.kms_key_id} if spec.kms_key_id else {}
        steps.append(
            Step(
                "sns",
                "create_topic",
                {"Name": name, "Attributes": attributes},
                "sns:topic",
                name,
                "delete_topic",
                {"TopicArn": f"<{name}>"},
                output="TopicArn",
            )
        )
        arns.append(f"<{name}>")
    return steps, arns[0], arns[1]


def plan_endpoint(spec: EndpointSpec) -> list[Step]:
    """The ordered calls that make ``spec``'s endpoint as the template makes its own."""
    steps, success, error = _topic_steps(spec)
    name, config = spec.name, f"{spec.name}-config"
    resource_id = f"endpoint/{name}/variant/{VARIANT}"
    output_config: dict[str, Any] = {
        "S3OutputPath": spec.location("async-out"),
        "S3FailurePath": spec.location("async-failures"),
        "NotificationConfig": {"SuccessTopic": success, "ErrorTopic": error},
    }
    if spec.kms_key_id:
        output_config["KmsKeyId"] = spec.kms_key_id
    scaling_target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": resource_id,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    backlog_policy, wake_policy, alarm = (
        f"{name}-backlog-per-instance",
        f"{name}-scale-from-zero",
        f"{name}-has-backlog-without-capacity",
    )
    steps += [
        Step(
            "sagemaker",
            "create_model",
            {
                "ModelName": name,
                "ExecutionRoleArn": spec.role_arn,
                "EnableNetworkIsolation": True,
                "PrimaryContainer": {
                    "Image": spec.image_uri,
                    "ModelDataUrl": spec.model_data_url,
                    "Environment": dict(spec.environment),
                },
            },
            "sagemaker:model",
            name,
            "delete_model",
            {"ModelName": name},
            probe=("list_models", {"NameContains": name}, "Models", "ModelName"),
        ),
        Step(
            "sagemaker",
            "create_endpoint_config",
            {
                "EndpointConfigName": config,
                "ProductionVariants": [
                    {
                        "VariantName": VARIANT,
                        "ModelName": name,
                        "InstanceType": spec.instance_type,
                        "InitialInstanceCount": 1,
                    }
                ],
                "AsyncInferenceConfig": {
                    "OutputConfig": output_config,
                    "ClientConfig": {"MaxConcurrentInvocationsPerInstance": spec.max_concurrent_invocations},
                },
            },
            "sagemaker:endpoint-config",
            config,
            "delete_endpoint_config",
            {"EndpointConfigName": config},
            probe=(
                "list_endpoint_configs",
                {"NameContains": config},
                "EndpointConfigs",
                "EndpointConfigName",
            ),
        ),
        Step(
            "sagemaker",
            "create_endpoint",
            {"EndpointName": name, "EndpointConfigName": config},
            "sagemaker:endpoint",
            name,
            "delete_endpoint",
            {"EndpointName": name},
            probe=("list_endpoints", {"NameContains": name}, "Endpoints", "EndpointName"),
        ),
        Step(
            "application-autoscaling",
            "register_scalable_target",
            {**scaling_target, "MinCapacity": 0, "MaxCapacity": spec.max_instances},
            "autoscaling:scalable-target",
            resource_id,
            "deregister_scalable_target",
            scaling_target,
        ),
        Step(
            "application-autoscaling",
            "put_scaling_policy",
            {
                **scaling_target,
                "PolicyName": backlog_policy,
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 5.0,
                    "ScaleInCooldown": 600,
                    "ScaleOutCooldown": 300,
                    "CustomizedMetricSpecification": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "ApproximateBacklogSizePerInstance",
                        "Statistic": "Average",
                        "Dimensions": [{"Name": "EndpointName", "Value": name}],
                    },
                },
            },
            "autoscaling:policy",
            backlog_policy,
            "delete_scaling_policy",
            {**scaling_target, "PolicyName": backlog_policy},
        ),
        Step(
            "application-autoscaling",
            "put_scaling_policy",
            {
                **scaling_target,
                "PolicyName": wake_policy,
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "MetricAggregationType": "Average",
                    "Cooldown": 300,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
                },
            },
            "autoscaling:policy",
            wake_policy,
            "delete_scaling_policy",
            {**scaling_target, "PolicyName": wake_policy},
            output="PolicyARN",
        ),
        Step(
            "cloudwatch",
            "put_metric_alarm",
            {
                "AlarmName": alarm,
                "AlarmDescription": "Requests are queued at the endpoint while it has no instance; "
                "scale out from zero.",
                "Namespace": "AWS/SageMaker",
                "MetricName": "HasBacklogWithoutCapacity",
                "Dimensions": [{"Name": "EndpointName", "Value": name}],
                "Statistic": "Average",
                "Period": 60,
                "EvaluationPeriods": 2,
                "DatapointsToAlarm": 2,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
                "AlarmActions": [f"<{wake_policy}>"],
            },
            "cloudwatch:alarm",
            alarm,
            "delete_alarms",
            {"AlarmNames": [alarm]},
        ),
    ]
    return steps


def _fill(value: Any, outputs: Mapping[str, str]) -> Any:
    """``<identifier>`` placeholders replaced by that step's output (an ARN), recursively."""
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        key = value[1:-1]
        if key not in outputs:
            raise ConfigurationError("a step needs the output of one not yet run", where=key)
        return outputs[key]
    if isinstance(value, Mapping):
        return {k: _fill(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, outputs) for v in value]
    return value


# --- running a plan: clients by service name (boto3 ones come from training.aws) -----------------------


Clients = Callable[[str], Any]


def _save(record_path: Path, record: Mapping[str, Any]) -> None:
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def deploy(specs: Sequence[EndpointSpec], clients: Clients, record_path: Path) -> dict[str, Any]:
    """Run every endpoint's plan; the record (rewritten after each call) lists what exists, in order."""
    if record_path.exists():
        raise ConfigurationError("a deployment record exists: tear it down first", where=str(record_path))
    record: dict[str, Any] = {"endpoints": [s.name for s in specs], "resources": []}
    _save(record_path, record)
    for spec in specs:
        outputs: dict[str, str] = {}
        for step in plan_endpoint(spec):
            response = getattr(clients(step.service), step.operation)(**_fill(step.request, outputs))
            if step.output is not None:
                outputs[step.identifier] = str(response[step.output])
            record["resources"].append(
                {
                    "service": step.service,
                    "resource": step.resource,
                    "identifier": step.identifier,
                    "undo": {"operation": step.undo_operation, "request": _fill(step.undo_request, outputs)},
                    "probe": None
                    if step.probe is None
                    else {
                        "operation": step.probe[0],
                        "request": dict(step.probe[1]),
                        "items": step.probe[2],
                        "field": step.probe[3],
                    },
                }
            )
            _save(record_path, record)
    return record


def teardown(record_path: Path, clients: Clients, *, is_not_found: Callable[[Exception], bool]) -> list[str]:
    """Remove what the record lists, newest first; returns what was removed; deletes the record at the end."""
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"no readable deployment record: {exc}", where=str(record_path)) from exc
    removed = []
    remaining = list(record["resources"])
    while remaining:
        entry = remaining[-1]
        undo, probe = entry["undo"], entry.get("probe")
        service = clients(entry["service"])
        if probe is None or entry["identifier"] in _listed(service, probe):
            try:
                getattr(service, undo["operation"])(**undo["request"])
            except Exception as exc:
                if not is_not_found(exc):
                    raise
        removed.append(f"{entry['resource']} {entry['identifier']}")
        remaining.pop()
        _save(record_path, {**record, "resources": remaining})
    record_path.unlink()
    return removed


def _listed(service: Any, probe: Mapping[str, Any]) -> set[str]:
    response = getattr(service, probe["operation"])(**probe["request"])
    return {str(item[probe["field"]]) for item in response.get(probe["items"], ())}


def _deploy_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Deploy the pre-trained and the fine-tuned model "
        "as async endpoints configured like template.yaml's.",
    )
    parser.add_argument("--name", default="radimpress-compare", help="endpoint name prefix")
    parser.add_argument("--pretrained", metavar="S3URI", help="model.tar.gz of the pre-trained model")
    parser.add_argument("--finetuned", metavar="S3URI", help="model.tar.gz the fine-tuning job wrote")
    parser.add_argument("--image-uri", required=True, help="the JumpStart inference container image")
    parser.add_argument("--role", required=True, help="the endpoints' execution role ARN")
    parser.add_argument(
        "--output", required=True, help="s3://bucket/prefix for async-out/ and async-failures/"
    )
    parser.add_argument("--kms-key", help="KMS key for async outputs and the created topics")
    parser.add_argument("--success-topic", help="an existing SNS topic ARN (default: one is created)")
    parser.add_argument("--error-topic", help="an existing SNS topic ARN (default: one is created)")
    parser.add_argument("--instance-type", default="ml.g5.2xlarge")
    parser.add_argument("--max-instances", type=int, default=2)
    parser.add_argument("--record", default="build/deployment.json", help="where what was made is recorded")
    parser.add_argument("--dry-run", action="store_true", help="print the calls; make nothing")
    return parser


def _aws_clients() -> Clients:
    from training.aws import client  # noqa: PLC0415 - boto3 only when deploying

    return client


def deploy_main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "radimpress-train deploy",
    clients: Clients | None = None,
) -> int:
    args = _deploy_parser(prog).parse_args(argv)
    models = [
        (kind, url) for kind, url in (("pretrained", args.pretrained), ("finetuned", args.finetuned)) if url
    ]
    try:
        if not models:
            raise ConfigurationError("give --pretrained and/or --finetuned", where="models")
        specs = [
            EndpointSpec(
                name=f"{args.name}-{kind}",
                model_data_url=url,
                image_uri=args.image_uri,
                role_arn=args.role,
                output_uri=args.output,
                instance_type=args.instance_type,
                max_instances=args.max_instances,
                kms_key_id=args.kms_key,
                success_topic_arn=args.success_topic,
                error_topic_arn=args.error_topic,
            )
            for kind, url in models
        ]
        if args.dry_run:
            calls = [
                {"service": s.service, "operation": s.operation, "request": s.request}
                for spec in specs
                for s in plan_endpoint(spec)
            ]
            print(json.dumps(calls, indent=2, sort_keys=True))
            return 0
        record = deploy(specs, clients or _aws_clients(), Path(args.record))
    except ValidationError as exc:
        print(f"error: invalid endpoint: {exc}", file=sys.stderr)
        return 2
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"endpoints": record["endpoints"], "record": args.record}, indent=2))
    return 0


def teardown_main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "radimpress-train teardown",
    clients: Clients | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Remove exactly what deploy made (its record).")
    parser.add_argument("--record", default="build/deployment.json", help="the record deploy wrote")
    args = parser.parse_args(argv)
    from training.aws import is_not_found  # noqa: PLC0415 - botocore only when tearing down

    try:
        removed = teardown(Path(args.record), clients or _aws_clients(), is_not_found=is_not_found)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"removed {item}" for item in removed))
    return 0
