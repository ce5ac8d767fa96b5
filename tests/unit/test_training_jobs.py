"""training.jobs: the status command's progress over the tracked metrics (botocore Stubber)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import Stubber

from training.jobs import format_progress, job_progress, main

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _described(
    status: str = "InProgress",
    secondary: str = "Training",
    metrics: dict[str, float] | None = None,
    end: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    description = {
        "TrainingJobName": "radimpress-flan-t5-xl-1",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/radimpress-flan-t5-xl-1",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/models/radimpress-flan-t5-xl-1/output/model.tar.gz"},
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "HyperParameters": {"epoch": '"3"', "instruction_tuned": '"True"'},
        "AlgorithmSpecification": {"TrainingImage": "image", "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.p3.16xlarge", "InstanceCount": 1, "VolumeSizeInGB": 300},
        "StoppingCondition": {"MaxRuntimeInSeconds": 360000},
        "CreationTime": START,
        "TrainingStartTime": START,
        "FinalMetricDataList": [
            {"MetricName": name, "Value": value, "Timestamp": START}
            for name, value in (metrics or {}).items()
        ],
        **extra,
    }
    if end is not None:
        description["TrainingEndTime"] = end
    return description


def test_progress_is_the_tracked_epoch_over_the_epochs_asked_for():
    # Given a job that logged epoch 1.5 of 3 and both losses
    metrics = {
        "huggingface-text2text:epoch": 1.5,
        "huggingface-text2text:train-loss": 0.8123,
        "huggingface-text2text:eval-loss": 0.7701,
    }
    # When its progress is read 2 h 5 min in
    progress = job_progress(_described(metrics=metrics), now=START + timedelta(hours=2, minutes=5))
    # Then it is half done by epoch, the losses shown as last seen
    assert progress.fraction == 0.5
    assert progress.basis == "epoch"
    line = format_progress(progress, width=10)
    assert "[#####.....]" in line
    assert "50%" in line
    assert "train-loss 0.8123" in line and "eval-loss 0.7701" in line
    assert "InProgress/Training" in line
    assert line.endswith("2h05m")


def test_before_the_first_epoch_progress_falls_back_to_runtime():
    # Given a job 10 hours into its 100-hour limit with no epoch logged yet
    progress = job_progress(_described(secondary="Downloading"), now=START + timedelta(hours=10))
    # Then the bar is the runtime share and says so
    assert progress.basis == "runtime"
    assert abs(progress.fraction - 0.1) < 1e-9
    assert "(by runtime)" in format_progress(progress)


def _client() -> Any:
    return boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def test_watch_polls_until_the_job_completes_and_prints_each_state(capsys):
    # Given a job that is training, then completed
    client = _client()
    end = START + timedelta(hours=5)
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for description in (
            _described(metrics={"huggingface-text2text:epoch": 2.0}),
            _described("Completed", "Completed", {"huggingface-text2text:epoch": 3.0}, end=end),
        ):
            stub.add_response(
                "describe_training_job",
                description,
                expected_params={"TrainingJobName": "radimpress-flan-t5-xl-1"},
            )
        # When status watches it
        code = main(
            ["radimpress-flan-t5-xl-1", "--watch", "--interval", "5"],
            client_factory=lambda: client,
            clock=lambda: START + timedelta(hours=6),
            sleep=sleeps.append,
        )
        stub.assert_no_pending_responses()
    # Then it printed both states, slept once between them, and the run time stops at the job's end
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert sleeps == [5.0]
    assert " 67%" in lines[0]
    assert "100%" in lines[1] and lines[1].endswith("5h00m")


def test_a_failed_job_exits_1_with_its_reason_as_json(capsys):
    # Given a failed job
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "describe_training_job",
            _described("Failed", "Failed", end=START + timedelta(minutes=3), FailureReason="OOM"),
        )
        # When status runs with --json
        code = main(["radimpress-flan-t5-xl-1", "--json"], client_factory=lambda: client, clock=lambda: START)
    # Then it exits 1 and the JSON carries the reason
    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "Failed"
    assert printed["failure_reason"] == "OOM"
