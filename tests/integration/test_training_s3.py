"""training on S3 (moto): upload of the prepared channels, prepare --from-results on s3://.../results/."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from radimpress.adapters.parquet import write_results
from radimpress.drafting.prompts import build_prompt
from radimpress.pipeline.records import ResultRecord
from tests.training_fixtures import iu_rows
from training.prepare import main as prepare_main
from training.upload import main as upload_main

BUCKET = "radimpress-data"


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_upload_puts_the_listed_files_under_the_prefix_encrypted(s3, tmp_path, capsys):
    # Given a prepared dataset and a stray file in its folder
    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps(r) + "\n" for r in iu_rows(40)), encoding="utf-8")
    assert prepare_main(["--reports", str(reports), "--out", str(tmp_path / "data"), "--split", "dev"]) == 0
    (tmp_path / "data/train/notes.txt").write_text("not data")
    capsys.readouterr()
    # When uploaded with a KMS key
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    code = upload_main(
        ["--data", str(tmp_path / "data"), "--to", f"s3://{BUCKET}/ft", "--kms-key", key],
        s3_factory=lambda: s3,
    )
    # Then the manifest's files are there (not the stray one), SSE-KMS, and the channel URIs printed
    assert code == 0
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == [
        "ft/manifest.json",
        "ft/train/template.json",
        "ft/train/train.jsonl",
        "ft/validation/template.json",
        "ft/validation/validation.jsonl",
    ]
    head = s3.head_object(Bucket=BUCKET, Key="ft/train/train.jsonl")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert json.loads(capsys.readouterr().out) == {
        "train": f"s3://{BUCKET}/ft/train/",
        "validation": f"s3://{BUCKET}/ft/validation/",
    }


def test_upload_refuses_a_file_changed_since_prepare(s3, tmp_path, capsys):
    # Given a prepared dataset whose training file was edited afterwards
    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps(r) + "\n" for r in iu_rows(5)), encoding="utf-8")
    prepare_main(["--reports", str(reports), "--out", str(tmp_path / "data"), "--split", "all"])
    with (tmp_path / "data/train/train.jsonl").open("a") as handle:
        handle.write('{"prompt": "x", "completion": "y"}\n')
    # When / Then the upload stops before putting anything
    assert (
        upload_main(["--data", str(tmp_path / "data"), "--to", f"s3://{BUCKET}/ft"], s3_factory=lambda: s3)
        == 2
    )
    assert "changed since prepare" in capsys.readouterr().err
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_prepare_reads_finalized_reports_from_the_results_table_on_s3(s3, tmp_path):
    # Given two days of results on S3: a preliminary report finalized the next day, and one only preliminary
    def record(key, accession, status, findings, day) -> ResultRecord:
        moment = datetime(2026, 11, day, 9, 0, tzinfo=UTC)
        return ResultRecord(
            inference_id=key,
            report_key=key,
            accession=accession,
            status=status,
            patient_key="pk-" + accession,
            raw_key="raw/aa/aa",
            findings=findings,
            draft="Draft.",
            reference_impression="Signed impression.",
            engine="retrieval",
            model_id="m",
            submitted_at=moment,
            completed_at=moment,
            latency_ms=4,
        )

    s3.put_object(
        Bucket=BUCKET,
        Key="results/dt=2026-11-01/a.parquet",
        Body=write_results(
            [record("k1", "A1", "P", "Preliminary findings.", 1), record("k2", "B2", "P", "Never final.", 1)]
        ),
    )
    s3.put_object(
        Bucket=BUCKET,
        Key="results/dt=2026-11-02/b.parquet",
        Body=write_results([record("k3", "A1", "F", "Final findings.", 2)]),
    )
    s3.put_object(Bucket=BUCKET, Key="results/dt=2026-11-02/readme.txt", Body=b"not parquet")
    # When prepared from the table
    code = prepare_main(
        ["--from-results", f"s3://{BUCKET}/results/", "--split", "all", "--out", str(tmp_path / "o")]
    )
    # Then only the final version trains
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "o/train/train.jsonl").read_text().splitlines()]
    assert lines == [{"prompt": build_prompt("Final findings."), "completion": "Signed impression."}]
