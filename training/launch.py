"""Launch the SageMaker JumpStart fine-tuning job of FLAN-T5 XL on the prepared dataset.

**Domain.** :class:`FineTuneJob` is the validated job: JumpStart model ``huggingface-text2text-flan-t5-xl``
on one ``ml.p3.16xlarge``, the hyperparameters the JumpStart FLAN-T5 example sets (``epoch`` 3,
``instruction_tuned`` True, ``max_input_length`` 1024; JumpStart's own defaults fill the rest), the
``training`` and ``validation`` channels (the folders :mod:`training.prepare` writes, uploaded to S3), the
output path, the role, the KMS key for output and volume, the maximum runtime and the job name.
:func:`job_definition` is its JSON form (what ``--dry-run`` prints).

**Two ways to launch.**

- The ``sagemaker`` SDK (``pip install radimpress[training]``): :func:`launch_with_sdk` builds a
  ``JumpStartEstimator``, which resolves the training image, the training script and the base model over
  the network, and calls ``fit``.
- Plain boto3, without the SDK: given the three URIs JumpStart would resolve (``--image-uri``,
  ``--source-uri``: the training script tarball, ``--model-uri``: the base model tarball),
  :func:`create_training_job_request` builds the ``CreateTrainingJob`` request, with the base model as the
  ``model`` channel, and :func:`submit_training_job` sends it.

Nothing here calls AWS at import or in ``--dry-run``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from radimpress.errors import ConfigurationError, RadimpressError
from training.cost import estimate_cost

__all__ = [
    "DEFAULT_HYPERPARAMETERS",
    "INSTANCE_TYPE",
    "MODEL_ID",
    "STUDY_METRIC_DEFINITIONS",
    "FineTuneJob",
    "JumpStartUris",
    "SageMakerClient",
    "create_training_job_request",
    "default_job_name",
    "estimator_arguments",
    "fit_inputs",
    "job_definition",
    "launch_with_sdk",
    "main",
    "submit_training_job",
]

MODEL_ID = "huggingface-text2text-flan-t5-xl"
INSTANCE_TYPE = "ml.p3.16xlarge"
#: What the JumpStart FLAN-T5 instruction fine-tuning example sets; every other hyperparameter keeps the
#: model's JumpStart default (the SDK merges them in; the boto3 path sends only what is listed here).
DEFAULT_HYPERPARAMETERS: Mapping[str, str] = {
    "epoch": "3",
    "instruction_tuned": "True",
    "max_input_length": "1024",
}
#: What the study's job tracked: JumpStart's FLAN-T5 metric names and regexes over the training log (the
#: Hugging Face Trainer prints its logs as Python dicts: ``{'loss': 1.23, ..., 'epoch': 0.5}``).
STUDY_METRIC_DEFINITIONS: tuple[Mapping[str, str], ...] = (
    {"Name": "huggingface-text2text:train-loss", "Regex": "'loss': ([0-9]+\\.[0-9]+)"},
    {"Name": "huggingface-text2text:eval-loss", "Regex": "'eval_loss': ([0-9]+\\.[0-9]+)"},
    {"Name": "huggingface-text2text:epoch", "Regex": "'epoch': ([0-9]+\\.[0-9]+)"},
)
VOLUME_SIZE_GB = 300
MAX_RUNTIME_SECONDS = 360_000

#: The script JumpStart training tarballs run, and the channel JumpStart hands the base model in.
ENTRY_POINT = "transfer_learning.py"
MODEL_CHANNEL = "model"

_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]+$")
_KMS_KEY = re.compile(r"^(arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:(key|alias)/.+|alias/.+|[0-9a-f\-]{36})$")
_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def _s3(value: str, what: str) -> str:
    if not _S3_URI.match(value):
        raise ValueError(f"{what} must be an s3://bucket/prefix URI, not {value!r}")
    return value


class FineTuneJob(BaseModel):
    """One fine-tuning job, validated; every field has the study's value except data, role and name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_name: str
    role_arn: str
    train_uri: str
    validation_uri: str | None = None
    output_uri: str
    kms_key_id: str | None = None
    model_id: str = MODEL_ID
    model_version: str = "*"
    instance_type: str = INSTANCE_TYPE
    instance_count: int = Field(default=1, ge=1)
    volume_size_gb: int = Field(default=VOLUME_SIZE_GB, ge=1)
    max_runtime_seconds: int = Field(default=MAX_RUNTIME_SECONDS, ge=1, le=28 * 24 * 3600)
    metric_definitions: tuple[dict[str, str], ...] = Field(
        default_factory=lambda: tuple(dict(m) for m in STUDY_METRIC_DEFINITIONS)
    )
    hyperparameters: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_HYPERPARAMETERS))
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("job_name")
    @classmethod
    def _job_name(cls, value: str) -> str:
        if not _JOB_NAME.match(value):
            raise ValueError(
                "a job name is 1-63 letters, digits and hyphens, starting with a letter or digit"
            )
        return value

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _ROLE_ARN.match(value):
            raise ValueError(f"not an IAM role ARN: {value!r}")
        return value

    @field_validator("train_uri", "output_uri")
    @classmethod
    def _required_s3(cls, value: str) -> str:
        return _s3(value, "the S3 location")

    @field_validator("validation_uri")
    @classmethod
    def _optional_s3(cls, value: str | None) -> str | None:
        return None if value is None else _s3(value, "the validation location")

    @field_validator("kms_key_id")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY.match(value):
            raise ValueError(f"not a KMS key id, key ARN or alias: {value!r}")
        return value

    @field_validator("instance_type")
    @classmethod
    def _instance(cls, value: str) -> str:
        if not value.startswith("ml."):
            raise ValueError(f"not a SageMaker instance type: {value!r}")
        return value

    @model_validator(mode="after")
    def _epochs(self) -> FineTuneJob:
        epoch = self.hyperparameters.get("epoch")
        if epoch is None or not epoch.isdigit() or int(epoch) < 1:
            raise ValueError("hyperparameter epoch must be a positive whole number")
        return self


def default_job_name(clock: Callable[[], float] = time.time) -> str:
    """``radimpress-flan-t5-xl-YYYYmmdd-HHMMSS`` (UTC): a new name per launch, as SageMaker requires."""
    return "radimpress-flan-t5-xl-" + time.strftime("%Y%m%d-%H%M%S", time.gmtime(clock()))


def job_definition(job: FineTuneJob) -> dict[str, Any]:
    """The job as JSON-ready data (``--dry-run``)."""
    return job.model_dump(mode="json")


def fit_inputs(job: FineTuneJob) -> dict[str, str]:
    """The data channels: ``training`` and, when given, ``validation``."""
    inputs = {"training": job.train_uri}
    if job.validation_uri is not None:
        inputs["validation"] = job.validation_uri
    return inputs


def estimator_arguments(job: FineTuneJob) -> dict[str, Any]:
    """The keyword arguments of ``JumpStartEstimator`` for ``job``."""
    arguments: dict[str, Any] = {
        "model_id": job.model_id,
        "model_version": job.model_version,
        "role": job.role_arn,
        "instance_type": job.instance_type,
        "instance_count": job.instance_count,
        "volume_size": job.volume_size_gb,
        "max_run": job.max_runtime_seconds,
        "hyperparameters": dict(job.hyperparameters),
        "metric_definitions": [dict(m) for m in job.metric_definitions],
        "output_path": job.output_uri,
    }
    if job.kms_key_id is not None:
        arguments["output_kms_key"] = job.kms_key_id
        arguments["volume_kms_key"] = job.kms_key_id
    if job.tags:
        arguments["tags"] = [{"Key": key, "Value": value} for key, value in sorted(job.tags.items())]
    return arguments


class JumpStartUris(BaseModel):
    """What JumpStart resolves for a model: training image, training script tarball, base model tarball."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    image_uri: str
    source_uri: str
    model_uri: str

    @field_validator("source_uri", "model_uri")
    @classmethod
    def _tarball(cls, value: str) -> str:
        return _s3(value, "a JumpStart artifact")


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "InputMode": "File",
    }


def create_training_job_request(job: FineTuneJob, uris: JumpStartUris) -> dict[str, Any]:
    """The ``CreateTrainingJob`` request that runs JumpStart's training script on ``job``'s data."""
    channels = [_channel(name, uri) for name, uri in fit_inputs(job).items()]
    channels.append(_channel(MODEL_CHANNEL, uris.model_uri))
    output: dict[str, Any] = {"S3OutputPath": job.output_uri}
    resources: dict[str, Any] = {
        "InstanceType": job.instance_type,
        "InstanceCount": job.instance_count,
        "VolumeSizeInGB": job.volume_size_gb,
    }
    if job.kms_key_id is not None:
        output["KmsKeyId"] = job.kms_key_id
        resources["VolumeKmsKeyId"] = job.kms_key_id
    request: dict[str, Any] = {
        "TrainingJobName": job.job_name,
        "RoleArn": job.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": uris.image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": [dict(m) for m in job.metric_definitions],
        },
        # the SageMaker training toolkit in the image downloads and runs the script tarball
        "HyperParameters": {
            **job.hyperparameters,
            "sagemaker_program": ENTRY_POINT,
            "sagemaker_submit_directory": uris.source_uri,
        },
        "InputDataConfig": channels,
        "OutputDataConfig": output,
        "ResourceConfig": resources,
        "StoppingCondition": {"MaxRuntimeInSeconds": job.max_runtime_seconds},
    }
    if job.tags:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(job.tags.items())]
    return request


# --- adapters: the sagemaker SDK and boto3 -----------------------------------------------------------------


class SageMakerClient(Protocol):
    """The one call of a boto3 SageMaker client this module makes."""

    def create_training_job(self, **request: Any) -> Mapping[str, Any]: ...


def submit_training_job(client: SageMakerClient, request: Mapping[str, Any]) -> str:
    """Send the request; returns the new job's ARN."""
    response = client.create_training_job(**request)
    return str(response["TrainingJobArn"])


def launch_with_sdk(job: FineTuneJob, *, wait: bool = False, sagemaker_session: Any = None) -> Any:
    """Start ``job`` with the SDK's ``JumpStartEstimator`` (SDK v2); returns the estimator.

    The estimator resolves the training image, the training script and the base model from JumpStart's
    metadata for ``job.model_id``; ``sagemaker_session`` (default: the SDK's own) carries the AWS session.
    Raises :class:`ConfigurationError` when the SDK is not installed.
    """
    try:
        from sagemaker.jumpstart.estimator import (  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
            JumpStartEstimator,
        )
    except ImportError as exc:
        raise ConfigurationError(
            "the sagemaker SDK (v2) is not installed: pip install 'radimpress[training]' "
            "(or launch with --image-uri --source-uri --model-uri, through boto3)",
            where="sagemaker",
        ) from exc
    arguments = estimator_arguments(job)
    if sagemaker_session is not None:
        arguments["sagemaker_session"] = sagemaker_session
        arguments["region"] = sagemaker_session.boto_region_name
    estimator = JumpStartEstimator(**arguments)
    estimator.fit(fit_inputs(job), job_name=job.job_name, wait=wait)
    return estimator


def _key_values(items: Sequence[str], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"expected KEY=VALUE, not {item!r}", where=what)
        result[key] = value
    return result


def _parser(prog: str = "python -m training.launch") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="S3 prefix of the training channel (train/)")
    parser.add_argument("--validation", help="S3 prefix of the validation channel (validation/)")
    parser.add_argument("--output", required=True, help="S3 prefix for the fine-tuned model")
    parser.add_argument("--role", required=True, help="SageMaker execution role ARN")
    parser.add_argument("--kms-key", help="KMS key for the output and the training volume")
    parser.add_argument("--job-name", help="default: radimpress-flan-t5-xl-<UTC time>")
    parser.add_argument("--model-version", default="*", help="JumpStart model version (default: latest)")
    parser.add_argument("--instance-type", default=INSTANCE_TYPE)
    parser.add_argument("--max-runtime", type=int, default=MAX_RUNTIME_SECONDS, help="seconds (360000)")
    parser.add_argument("--volume-size", type=int, default=VOLUME_SIZE_GB, help="GB (300)")
    parser.add_argument("--price-per-hour", type=float, help="USD per instance-hour for the cost estimate")
    parser.add_argument("--expected-hours", type=float, help="the run you expect, for the cost estimate")
    parser.add_argument("--hyperparameter", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--image-uri", help="training image (boto3 path, with --source-uri --model-uri)")
    parser.add_argument("--source-uri", help="JumpStart training script tarball (boto3 path)")
    parser.add_argument("--model-uri", help="JumpStart base model tarball (boto3 path)")
    parser.add_argument("--dry-run", action="store_true", help="print the job definition; call no AWS API")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "python -m training.launch",
    client_factory: Callable[[], SageMakerClient] | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    args = _parser(prog).parse_args(argv)
    uri_args = (args.image_uri, args.source_uri, args.model_uri)
    try:
        if any(uri_args) and not all(uri_args):
            raise ConfigurationError(
                "give all of --image-uri --source-uri --model-uri, or none", where="uris"
            )
        job = FineTuneJob(
            job_name=args.job_name or default_job_name(clock),
            role_arn=args.role,
            train_uri=args.train,
            validation_uri=args.validation,
            output_uri=args.output,
            kms_key_id=args.kms_key,
            model_version=args.model_version,
            instance_type=args.instance_type,
            max_runtime_seconds=args.max_runtime,
            volume_size_gb=args.volume_size,
            hyperparameters={**DEFAULT_HYPERPARAMETERS, **_key_values(args.hyperparameter, "hyperparameter")},
            tags=_key_values(args.tag, "tag"),
        )
        uris = (
            JumpStartUris(image_uri=args.image_uri, source_uri=args.source_uri, model_uri=args.model_uri)
            if all(uri_args)
            else None
        )
        if args.dry_run:
            document: dict[str, Any] = {"job": job_definition(job)}
            if uris is not None:
                document["create_training_job"] = create_training_job_request(job, uris)
            document["estimated_cost"] = estimate_cost(
                job, price_per_hour=args.price_per_hour, expected_hours=args.expected_hours
            ).as_json()
            print(json.dumps(document, indent=2, sort_keys=True))
            return 0
        if uris is not None:
            if client_factory is None:
                from radimpress.adapters._aws import client  # noqa: PLC0415 - boto3 only when launching

                client_factory = lambda: client("sagemaker")  # noqa: E731
            arn = submit_training_job(client_factory(), create_training_job_request(job, uris))
            print(arn)
        else:
            launch_with_sdk(job)
            print(job.job_name)
    except ValidationError as exc:
        print(f"error: invalid job: {exc}", file=sys.stderr)
        return 2
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
