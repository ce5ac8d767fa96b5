"""The SDK route of ``finetune``: JumpStartEstimator on moto, JumpStart metadata from local files.

Runs in ``.venv-sdk`` (see README.md here); skipped in the dev virtualenv, where the SDK cannot be
installed beside the pinned packages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# The SDK builds its default JumpStart session at import, with the region it finds then.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
sagemaker = pytest.importorskip(
    "sagemaker.jumpstart.estimator",
    reason="the sagemaker SDK v2 conflicts with the dev venv's pins; `make test-sdk` runs this in .venv-sdk",
)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from training.launch import STUDY_METRIC_DEFINITIONS, FineTuneJob, launch_with_sdk, main  # noqa: E402

METADATA = Path(__file__).parent / "jumpstart"
CACHE_BUCKET = "radimpress-jumpstart-cache"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def jumpstart(monkeypatch, tmp_path):
    """Moto, local JumpStart metadata, telemetry opted out (and any telemetry call recorded)."""
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(
        "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"
    )
    for name, value in {
        "AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE": str(METADATA / "manifest"),
        "AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE": str(METADATA / "specs"),
        "AWS_JUMPSTART_CONTENT_BUCKET_OVERRIDE": CACHE_BUCKET,
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    from sagemaker.telemetry import telemetry_logging

    telemetry: list[Any] = []
    monkeypatch.setattr(telemetry_logging, "_send_telemetry_request", lambda *a, **k: telemetry.append(a))
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="radimpress-training")
        role = boto3.client("iam").create_role(RoleName="RadimpressTraining", AssumeRolePolicyDocument="{}")
        yield {"role": role["Role"]["Arn"], "telemetry": telemetry}


def _recording_session() -> tuple[Any, list[dict[str, Any]]]:
    """A SageMaker session whose CreateTrainingJob requests are recorded as sent (moto's describe does not
    return every field it was given, e.g. MetricDefinitions)."""
    from sagemaker.session import Session

    boto_session = boto3.Session(region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    boto_session.events.register(
        "provide-client-params.sagemaker.CreateTrainingJob", lambda params, **_: sent.append(dict(params))
    )
    return Session(boto_session=boto_session), sent


def test_jumpstart_estimator_sends_the_studys_training_job(jumpstart):
    # Given the study's job on both channels with a KMS key
    job = FineTuneJob(
        job_name="radimpress-flan-t5-xl-1",
        role_arn=jumpstart["role"],
        train_uri="s3://radimpress-training/data/train/",
        validation_uri="s3://radimpress-training/data/validation/",
        output_uri="s3://radimpress-training/models/",
        kms_key_id=KMS,
    )
    session, sent = _recording_session()
    # When launched through the SDK
    launch_with_sdk(job, sagemaker_session=session)
    # Then one CreateTrainingJob went out with the study's settings and JumpStart's resolved artifacts
    assert len(sent) == 1
    request = sent[0]
    assert request["TrainingJobName"] == "radimpress-flan-t5-xl-1"
    assert request["ResourceConfig"] == {
        "InstanceType": "ml.p3.16xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 300,
        "VolumeKmsKeyId": KMS,
    }
    assert request["StoppingCondition"]["MaxRuntimeInSeconds"] == 360000
    assert request["OutputDataConfig"] == {
        "S3OutputPath": "s3://radimpress-training/models/",
        "KmsKeyId": KMS,
    }
    spec = request["AlgorithmSpecification"]
    assert spec["TrainingImage"].startswith(
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training"
    )
    # the study's regexes first, then the model's own from its JumpStart spec (the SDK merges them)
    assert spec["MetricDefinitions"][:3] == [dict(m) for m in STUDY_METRIC_DEFINITIONS]
    assert spec["MetricDefinitions"][3:] == [
        {"Name": "huggingface-textgeneration:eval-loss", "Regex": "'eval_loss': ([0-9]+\\.[0-9]+)"}
    ]
    hyper = {key: json.loads(value) for key, value in request["HyperParameters"].items()}
    assert hyper["epoch"] == "3"
    assert hyper["instruction_tuned"] == "True"
    assert hyper["learning_rate"] == "0.0001"  # JumpStart's default, merged in by the SDK
    assert hyper["sagemaker_program"] == "transfer_learning.py"
    assert hyper["sagemaker_submit_directory"] == (
        f"s3://{CACHE_BUCKET}/source-directory-tarballs/huggingface/transfer_learning/text2text/v1.0.0/sourcedir.tar.gz"
    )
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]
    }
    assert channels == {
        "training": "s3://radimpress-training/data/train/",
        "validation": "s3://radimpress-training/data/validation/",
        "model": f"s3://{CACHE_BUCKET}/huggingface-training/train-huggingface-text2text-flan-t5-xl.tar.gz",
    }
    # And moto holds the job; no telemetry was sent
    described = boto3.client("sagemaker").describe_training_job(TrainingJobName="radimpress-flan-t5-xl-1")
    assert described["ResourceConfig"]["VolumeSizeInGB"] == 300
    assert jumpstart["telemetry"] == []


def test_cli_default_route_is_the_sdk(jumpstart, capsys):
    # Given the CLI without the boto3 URIs
    code = main(
        [
            "--train",
            "s3://radimpress-training/data/train/",
            "--output",
            "s3://radimpress-training/models/",
            "--role",
            jumpstart["role"],
            "--job-name",
            "radimpress-flan-t5-xl-2",
        ]
    )
    # Then the job is created through the SDK and its name printed
    assert code == 0
    assert capsys.readouterr().out.strip() == "radimpress-flan-t5-xl-2"
    described = boto3.client("sagemaker").describe_training_job(TrainingJobName="radimpress-flan-t5-xl-2")
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] == 360000
