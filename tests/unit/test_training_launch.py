"""training.launch: the validated job, the SDK adapter (faked), the boto3 request (botocore Stubber)."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from radimpress.errors import ConfigurationError
from training.launch import (
    DEFAULT_HYPERPARAMETERS,
    STUDY_METRIC_DEFINITIONS,
    FineTuneJob,
    JumpStartUris,
    create_training_job_request,
    default_job_name,
    estimator_arguments,
    job_definition,
    launch_with_sdk,
    main,
    submit_training_job,
)

ROLE = "arn:aws:iam::123456789012:role/RadimpressTraining"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
URIS = JumpStartUris(
    image_uri="763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:1.13-gpu",
    source_uri="s3://jumpstart-cache-prod-us-east-1/source-directory-tarballs/flan-t5/train.tar.gz",
    model_uri="s3://jumpstart-cache-prod-us-east-1/huggingface-training/flan-t5-xl/model.tar.gz",
)


def _job(**overrides) -> FineTuneJob:
    fields = {
        "job_name": "radimpress-flan-t5-xl-1",
        "role_arn": ROLE,
        "train_uri": "s3://radimpress-training/data/train/",
        "validation_uri": "s3://radimpress-training/data/validation/",
        "output_uri": "s3://radimpress-training/models/",
        "kms_key_id": KMS,
    }
    return FineTuneJob(**{**fields, **overrides})


def _client() -> Any:
    return boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_job_has_the_studys_model_instance_and_epochs():
    # Given only data, role and name
    job = _job()
    # Then the rest is the study's setup
    definition = job_definition(job)
    assert definition["model_id"] == "huggingface-text2text-flan-t5-xl"
    assert definition["instance_type"] == "ml.p3.16xlarge"
    assert definition["instance_count"] == 1
    assert definition["hyperparameters"] == {
        "epoch": "3",
        "instruction_tuned": "True",
        "max_input_length": "1024",
    }
    assert json.loads(json.dumps(definition)) == definition  # JSON-ready


@pytest.mark.parametrize(
    "override",
    [
        {"train_uri": "/local/train"},
        {"output_uri": "https://bucket/x"},
        {"role_arn": "RadimpressTraining"},
        {"kms_key_id": "not a key"},
        {"job_name": "has_underscore"},
        {"job_name": "x" * 64},
        {"instance_count": 0},
        {"instance_type": "p3.16xlarge"},
        {"hyperparameters": {"epoch": "three"}},
        {"hyperparameters": {"learning_rate": "0.0001"}},
        {"unknown_field": 1},
    ],
)
def test_invalid_jobs_are_rejected(override):
    # Given / When / Then an invalid field fails validation
    with pytest.raises(ValidationError):
        _job(**override)


def test_default_job_name_is_a_valid_utc_stamped_name():
    # Given a fixed clock (2024-01-02 03:04:05 UTC)
    name = default_job_name(lambda: 1704164645.0)
    # Then the name carries the time and is a valid job name
    assert name == "radimpress-flan-t5-xl-20240102-030405"
    assert _job(job_name=name).job_name == name


def test_estimator_arguments_carry_the_job():
    # Given a job with a KMS key and a tag
    job = _job(tags={"project": "radimpress"})
    # When turned into JumpStartEstimator arguments
    arguments = estimator_arguments(job)
    # Then every setting is passed on
    assert arguments == {
        "model_id": "huggingface-text2text-flan-t5-xl",
        "model_version": "*",
        "role": ROLE,
        "instance_type": "ml.p3.16xlarge",
        "instance_count": 1,
        "volume_size": 300,
        "max_run": 360000,
        "hyperparameters": dict(DEFAULT_HYPERPARAMETERS),
        "metric_definitions": [dict(m) for m in STUDY_METRIC_DEFINITIONS],
        "output_path": "s3://radimpress-training/models/",
        "output_kms_key": KMS,
        "volume_kms_key": KMS,
        "tags": [{"Key": "project", "Value": "radimpress"}],
    }


def test_sdk_launch_builds_the_estimator_and_fits_both_channels(monkeypatch):
    # Given a fake sagemaker SDK that records what it is given
    calls: dict[str, Any] = {}

    class FakeEstimator:
        def __init__(self, **kwargs):
            calls["init"] = kwargs

        def fit(self, inputs, **kwargs):
            calls["fit"] = (inputs, kwargs)

    module = types.ModuleType("sagemaker.jumpstart.estimator")
    module.JumpStartEstimator = FakeEstimator  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sagemaker", types.ModuleType("sagemaker"))
    monkeypatch.setitem(sys.modules, "sagemaker.jumpstart", types.ModuleType("sagemaker.jumpstart"))
    monkeypatch.setitem(sys.modules, "sagemaker.jumpstart.estimator", module)
    job = _job()
    # When launched through the SDK
    launch_with_sdk(job)
    # Then the estimator gets the job and fit gets the training and validation channels, without waiting
    assert calls["init"] == estimator_arguments(job)
    assert calls["fit"] == (
        {
            "training": "s3://radimpress-training/data/train/",
            "validation": "s3://radimpress-training/data/validation/",
        },
        {"job_name": "radimpress-flan-t5-xl-1", "wait": False},
    )


def test_missing_sdk_says_how_to_install_it(monkeypatch):
    # Given no sagemaker SDK
    monkeypatch.setitem(sys.modules, "sagemaker", None)
    # When / Then launching through it is a configuration error naming the extra
    with pytest.raises(ConfigurationError, match=r"pip install 'radimpress\[training\]'"):
        launch_with_sdk(_job())


def _expected_request(job: FineTuneJob) -> dict[str, Any]:
    def channel(name: str, uri: str) -> dict[str, Any]:
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

    return {
        "TrainingJobName": "radimpress-flan-t5-xl-1",
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": URIS.image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": [dict(m) for m in STUDY_METRIC_DEFINITIONS],
        },
        "HyperParameters": {
            "epoch": "3",
            "instruction_tuned": "True",
            "max_input_length": "1024",
            "sagemaker_program": "transfer_learning.py",
            "sagemaker_submit_directory": URIS.source_uri,
        },
        "InputDataConfig": [
            channel("training", "s3://radimpress-training/data/train/"),
            channel("validation", "s3://radimpress-training/data/validation/"),
            channel("model", URIS.model_uri),
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://radimpress-training/models/", "KmsKeyId": KMS},
        "ResourceConfig": {
            "InstanceType": "ml.p3.16xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 300,
            "VolumeKmsKeyId": KMS,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 360000},
    }


def test_boto3_request_is_sent_as_built():
    # Given a job, the resolved JumpStart URIs and a stubbed SageMaker client expecting the exact request
    job = _job()
    client = _client()
    arn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/radimpress-flan-t5-xl-1"
    with Stubber(client) as stub:
        stub.add_response(
            "create_training_job", {"TrainingJobArn": arn}, expected_params=_expected_request(job)
        )
        # When the request is built and submitted
        result = submit_training_job(client, create_training_job_request(job, URIS))
        # Then the client got exactly that request (valid against the service model); the ARN is returned
        stub.assert_no_pending_responses()
    assert result == arn


def test_boto3_request_without_validation_or_kms_has_neither():
    # Given a job with neither a validation channel nor a KMS key
    request = create_training_job_request(_job(validation_uri=None, kms_key_id=None), URIS)
    # Then only the training and model channels are sent, and no key
    assert [c["ChannelName"] for c in request["InputDataConfig"]] == ["training", "model"]
    assert "KmsKeyId" not in request["OutputDataConfig"]
    assert "VolumeKmsKeyId" not in request["ResourceConfig"]


ARGS = [
    "--train",
    "s3://radimpress-training/data/train/",
    "--validation",
    "s3://radimpress-training/data/validation/",
    "--output",
    "s3://radimpress-training/models/",
    "--role",
    ROLE,
    "--kms-key",
    KMS,
    "--job-name",
    "radimpress-flan-t5-xl-1",
]
URI_ARGS = ["--image-uri", URIS.image_uri, "--source-uri", URIS.source_uri, "--model-uri", URIS.model_uri]


def test_cli_dry_run_prints_the_job_and_request_without_aws(capsys):
    # Given the CLI with URIs and a dry run, and a client factory that must not be called
    def no_client():
        raise AssertionError("a dry run calls no AWS API")

    # When it runs
    code = main(
        [*ARGS, *URI_ARGS, "--hyperparameter", "learning_rate=0.0001", "--dry-run"], client_factory=no_client
    )
    # Then it prints the job definition and the CreateTrainingJob request
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed["job"]["hyperparameters"] == {**DEFAULT_HYPERPARAMETERS, "learning_rate": "0.0001"}
    assert printed["job"]["validation_uri"] == "s3://radimpress-training/data/validation/"
    assert printed["create_training_job"]["HyperParameters"]["learning_rate"] == "0.0001"
    # And the cost: 360,000 s = 100 h of one ml.p3.16xlarge at its recorded list price is the ceiling
    assert printed["estimated_cost"]["ceiling_hours"] == 100.0
    assert printed["estimated_cost"]["ceiling_usd"] == round(100 * 28.152, 2)
    assert printed["estimated_cost"]["expected_usd"] is None


def test_metric_regexes_read_the_trainer_log_lines():
    # Given a line as the Hugging Face Trainer logs it in the job
    import re

    line = "{'loss': 0.8123, 'learning_rate': 9.5e-05, 'epoch': 1.25} {'eval_loss': 0.7044, 'epoch': 1.25}"
    # When each study regex is applied
    found = {m["Name"].split(":")[1]: re.findall(m["Regex"], line) for m in STUDY_METRIC_DEFINITIONS}
    # Then each tracked metric is read (train loss not confused with eval loss)
    assert found == {"train-loss": ["0.8123"], "eval-loss": ["0.7044"], "epoch": ["1.25", "1.25"]}


def test_cost_estimate_uses_the_given_price_and_hours(capsys):
    # Given a dry run with a negotiated price and an expected duration
    code = main([*ARGS, "--price-per-hour", "20", "--expected-hours", "7.5", "--dry-run"])
    # Then the estimate uses them
    cost = json.loads(capsys.readouterr().out)["estimated_cost"]
    assert code == 0
    assert cost["expected_usd"] == 150.0
    assert cost["ceiling_usd"] == 2000.0
    assert cost["price_source"] == "--price-per-hour"


def test_cli_launches_through_boto3_when_given_the_uris(capsys):
    # Given a stubbed client expecting the request
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "create_training_job",
            {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/x"},
            expected_params=_expected_request(_job()),
        )
        # When the CLI runs without --dry-run
        code = main([*ARGS, *URI_ARGS], client_factory=lambda: client)
        stub.assert_no_pending_responses()
    # Then the job's ARN is printed
    assert code == 0
    assert capsys.readouterr().out.strip() == "arn:aws:sagemaker:us-east-1:123456789012:training-job/x"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--image-uri", URIS.image_uri], "give all of"),
        (["--hyperparameter", "epoch"], "KEY=VALUE"),
        (["--hyperparameter", "epoch=0"], "invalid job"),
    ],
)
def test_cli_rejects_incomplete_or_invalid_input(extra, message, capsys):
    # Given / When the CLI gets incomplete URIs or a bad hyperparameter
    code = main([*ARGS, *extra, "--dry-run"])
    # Then it exits 2 with the reason
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_without_sdk_or_uris_fails_with_the_install_hint(monkeypatch, capsys):
    # Given no SDK and no URIs
    monkeypatch.setitem(sys.modules, "sagemaker", None)
    # When the CLI launches
    code = main(ARGS)
    # Then it exits 2 saying how to install the SDK
    assert code == 2
    assert "pip install 'radimpress[training]'" in capsys.readouterr().err
