"""Completion with in-memory fakes: notifications -> scored results (one file per batch) or error records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from radimpress.config import CompletionSettings
from radimpress.errors import TransientError
from radimpress.pipeline.completion import AsyncInferenceNotification, CompletionBatch
from radimpress.pipeline.records import ErrorRecord, ResultRecord, SubmissionRecord, report_key
from tests.fakes import InMemoryObjectStore

SETTINGS = CompletionSettings.from_env(
    {"BUCKET_NAME": "radimpress-data-test", "MODEL_CONTRACT": "jumpstart-v1", "MODEL_ID": "flan-t5-test"}
)
SUBMITTED = datetime(2024, 1, 2, 8, 0, 0, tzinfo=UTC)
REFERENCE = "No acute cardiopulmonary abnormality."
INFERENCE_ID = report_key("SYN000000001", "ACC0000001", "F")


def json_writer(records: Sequence[ResultRecord]) -> bytes:
    """Stands in for the Parquet writer: one JSON object per record."""
    return b"".join(record.to_json_bytes() + b"\n" for record in records)


def read_back(data: bytes) -> list[ResultRecord]:
    return [ResultRecord.model_validate_json(line) for line in data.splitlines()]


def submission(inference_id: str = INFERENCE_ID, reference: str | None = REFERENCE) -> SubmissionRecord:
    return SubmissionRecord(
        inference_id=inference_id,
        report_key=inference_id,
        control_id="SYN000000001",
        accession="ACC0000001",
        control_key="c" * 24,
        accession_key="a" * 24,
        status="F",
        patient_key="d8b43d71fbd772a129129832",
        procedure_code="71046",
        procedure_text="XR CHEST 2 VIEWS",
        interpreter="TESTRAD-ASH^AVA",
        sending_facility="IUSAMPLE",
        message_type="ORU^R01",
        raw_key="raw/ab/abcdef",
        findings="The lungs are clear. No pleural effusion or pneumothorax.",
        reference_impression=reference,
        message_id="m-1",
        endpoint_name="radimpress-test-endpoint",
        model_contract="jumpstart-v1",
        request_key=f"requests/{inference_id}.json",
        submitted_at=SUBMITTED,
    )


def notification(
    inference_id: str = INFERENCE_ID, *, status: str = "Completed", completed: datetime | None = None
) -> AsyncInferenceNotification:
    document: dict[str, Any] = {
        "awsRegion": "us-east-1",
        "eventTime": (completed or SUBMITTED + timedelta(seconds=7, milliseconds=250)).isoformat(),
        "receivedTime": SUBMITTED.isoformat(),
        "invocationStatus": status,
        "requestParameters": {
            "contentType": "application/json",
            "endpointName": "radimpress-test-endpoint",
            "inputLocation": f"s3://radimpress-data-test/requests/{inference_id}.json",
        },
        "inferenceId": inference_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    if status == "Completed":
        document["responseParameters"] = {
            "contentType": "application/json",
            "outputLocation": f"s3://radimpress-data-test/async-out/{inference_id}.out",
        }
    else:
        document["failureReason"] = "ClientError: Received server error (500) from model.\nTraceback ..."
        document["responseParameters"] = {
            "contentType": "text/plain; charset=utf-8",
            "failureLocation": f"s3://radimpress-data-test/async-failures/{inference_id}-error.out",
        }
    return AsyncInferenceNotification.model_validate_json(json.dumps(document))


def store_with(record: SubmissionRecord | None, output: bytes | None) -> InMemoryObjectStore:
    store = InMemoryObjectStore()
    if record is not None:
        store.put(f"submissions/{record.inference_id}.json", record.to_json_bytes(), "application/json")
    if output is not None:
        store.put_uri(f"s3://radimpress-data-test/async-out/{INFERENCE_ID}.out", output)
    return store


def batch(store: InMemoryObjectStore) -> CompletionBatch:
    return CompletionBatch(store, SETTINGS, batch_id="batch-0001", write=json_writer)


def test_a_completed_inference_becomes_one_scored_result_in_the_batch_file() -> None:
    # Given a submission and the endpoint's JumpStart v1 output for it
    store = store_with(submission(), json.dumps({"generated_texts": ["  No acute abnormality.  "]}).encode())
    # When the success notification is completed and the batch closes
    with batch(store) as completions:
        result = completions.complete(notification())
    # Then one results file for the completion day holds the result
    assert completions.written == ["results/dt=2024-01-02/batch-0001.parquet"]
    (stored,) = read_back(store.get("results/dt=2024-01-02/batch-0001.parquet"))
    assert stored == result
    # with the report's keys and metadata, the draft and the reference
    assert isinstance(result, ResultRecord)
    assert (result.inference_id, result.report_key) == (INFERENCE_ID, INFERENCE_ID)
    assert (result.control_key, result.accession_key, result.status) == ("c" * 24, "a" * 24, "F")
    # but not the clear control id and accession: the results table is analytics, they stay in submissions/
    assert "SYN000000001" not in result.model_dump_json() and "ACC0000001" not in result.model_dump_json()
    assert result.patient_key == "d8b43d71fbd772a129129832" and result.raw_key == "raw/ab/abcdef"
    assert result.draft == "No acute abnormality."
    assert result.reference_impression == REFERENCE
    # and ROUGE F-measures (hand-computed: 3 of 4 reference unigrams, 1 of 3 reference bigrams)
    assert result.rouge1 == pytest.approx(6 / 7)
    assert result.rouge2 == pytest.approx(0.4)
    assert result.rougeL == pytest.approx(6 / 7)
    assert result.rougeLsum == pytest.approx(6 / 7)
    # and the latency from submission to the endpoint's completion time, the engine and the model
    assert result.latency_ms == 7250
    assert result.completed_at == SUBMITTED + timedelta(seconds=7, milliseconds=250)
    assert (result.engine, result.model_id, result.outcome) == (
        "sagemaker:radimpress-test-endpoint",
        "flan-t5-test",
        "drafted",
    )


def test_the_tgi_response_shape_is_read_too() -> None:
    store = store_with(submission(), json.dumps([{"generated_text": REFERENCE}]).encode())
    with batch(store) as completions:
        result = completions.complete(notification())
    assert isinstance(result, ResultRecord)
    assert result.draft == REFERENCE
    assert result.rouge1 == pytest.approx(1.0)
    assert result.rouge2 == pytest.approx(1.0)


def test_a_draft_contradicting_the_findings_is_stored_with_its_safety_flags() -> None:
    # Given findings that negate pneumothorax and a draft that asserts a right pneumothorax, "stable"
    store = store_with(
        submission(), json.dumps({"generated_texts": ["Stable small right pneumothorax."]}).encode()
    )
    # When it completes
    with batch(store) as completions:
        result = completions.complete(notification())
    # Then the result carries the flag codes for the dashboard (no comparison in this report)
    assert isinstance(result, ResultRecord)
    codes = result.flags.split(",")
    assert "negation_conflict:pneumothorax" in codes
    assert "unsupported_comparison:comparison" in codes
    assert result.flag_count == len(codes)


def test_a_faithful_draft_has_no_flags() -> None:
    store = store_with(submission(), json.dumps({"generated_texts": [REFERENCE]}).encode())
    with batch(store) as completions:
        result = completions.complete(notification())
    assert isinstance(result, ResultRecord)
    assert (result.flags, result.flag_count) == ("", 0)


def test_the_result_carries_observation_f1_and_fluency() -> None:
    # Given a draft that restates the radiologist's impression and one that is a cut sentence
    faithful = store_with(submission(), json.dumps({"generated_texts": [REFERENCE]}).encode())
    cut = store_with(submission(), json.dumps({"generated_texts": ["Small effusion in the."]}).encode())
    with batch(faithful) as completions:
        good = completions.complete(notification())
    with batch(cut) as completions:
        broken = completions.complete(notification())

    # Then the faithful one agrees on every observation and reads as a sentence; the other does neither
    assert isinstance(good, ResultRecord) and isinstance(broken, ResultRecord)
    assert (good.observation_f1, good.fluency, good.fluency_count) == (1.0, "", 0)
    assert broken.observation_f1 is not None and broken.observation_f1 < 1.0
    assert (broken.fluency, broken.fluency_count) == ("cut_sentence:the", 1)


def test_without_a_reference_impression_there_is_no_score() -> None:
    store = store_with(submission(reference=None), json.dumps({"generated_texts": ["Clear lungs."]}).encode())
    with batch(store) as completions:
        result = completions.complete(notification())
    assert isinstance(result, ResultRecord)
    assert (result.rouge1, result.rouge2, result.rougeL, result.rougeLsum) == (None, None, None, None)


def test_a_failed_inference_is_an_error_record_pointing_at_the_raw_message() -> None:
    # Given a submission whose inference failed
    store = store_with(submission(), None)
    # When the error notification is completed
    with batch(store) as completions:
        error = completions.complete(notification(status="Failed"))
    # Then an inference error record: the reason's first line, the failure location, the raw key
    assert isinstance(error, ErrorRecord)
    assert (error.stage, error.error_type) == ("inference", "inference_failed")
    assert error.message == "ClientError: Received server error (500) from model."
    assert error.where == f"s3://radimpress-data-test/async-failures/{INFERENCE_ID}-error.out"
    assert (error.raw_key, error.inference_id, error.message_id) == ("raw/ab/abcdef", INFERENCE_ID, "m-1")
    assert store.list("errors/") == [f"errors/dt=2024-01-02/{error.error_id}.json"]
    # and no results file (nothing was drafted)
    assert completions.written == [] and store.list("results/") == []


@pytest.mark.parametrize(
    "output",
    [b"not json", b'{"generated_texts": []}', b'{"generated_texts": ["   "]}', b'{"answer": "x"}'],
    ids=["not-json", "no-text", "blank-text", "unknown-shape"],
)
def test_an_unreadable_output_is_a_completion_error(output: bytes) -> None:
    store = store_with(submission(), output)
    with batch(store) as completions:
        error = completions.complete(notification())
    assert isinstance(error, ErrorRecord)
    assert (error.stage, error.error_type) == ("completion", "bad_model_output")
    assert store.list("results/") == []


def test_a_notification_for_an_unknown_inference_is_an_error() -> None:
    # Given no submission record (e.g. an inference started outside the pipeline)
    store = store_with(None, b'{"generated_texts": ["x"]}')
    with batch(store) as completions:
        error = completions.complete(notification())
    assert isinstance(error, ErrorRecord)
    assert (error.stage, error.error_type, error.raw_key) == ("completion", "unknown_inference", None)


def test_a_missing_output_object_is_an_error() -> None:
    store = store_with(submission(), None)
    with batch(store) as completions:
        error = completions.complete(notification())
    assert isinstance(error, ErrorRecord) and error.error_type == "unknown_inference"
    assert error.where == "outputLocation"


def test_a_batch_is_one_file_per_completion_day() -> None:
    # Given two completions either side of midnight (UTC) and a third on the first day
    store = InMemoryObjectStore()
    late, early = datetime(2024, 1, 2, 23, 59, 59, tzinfo=UTC), datetime(2024, 1, 3, 0, 0, 1, tzinfo=UTC)
    for n in range(3):
        inference_id = f"{n:032x}"
        store.put(
            f"submissions/{inference_id}.json", submission(inference_id).to_json_bytes(), "application/json"
        )
        store.put(f"async-out/{inference_id}.out", b'{"generated_texts": ["Clear."]}', "application/json")
    # When the three are completed in one batch
    with batch(store) as completions:
        for n, done in enumerate((late, early, late)):
            completions.complete(notification(f"{n:032x}", completed=done))
    # Then there is one file per day, holding that day's results
    assert completions.written == [
        "results/dt=2024-01-02/batch-0001.parquet",
        "results/dt=2024-01-03/batch-0001.parquet",
    ]
    assert len(read_back(store.get(completions.written[0]))) == 2
    assert len(read_back(store.get(completions.written[1]))) == 1


def test_a_transient_store_failure_propagates_and_nothing_is_written() -> None:
    # Given S3 throttling reads
    store = store_with(submission(), b'{"generated_texts": ["x"]}')
    store.fail_gets = TransientError("S3 throttled", where="submissions/")
    # When completed / Then the failure propagates (the record is retried) and the batch writes no file
    with pytest.raises(TransientError), batch(store) as completions:
        completions.complete(notification())
    assert store.list("results/") == [] and completions.written == []


def test_the_notification_model_reads_the_documented_shapes() -> None:
    # Given SageMaker's error notification without responseParameters but with a top-level failureLocation
    document = {
        "awsRegion": "us-east-1",
        "eventTime": "2022-01-25T22:46:00.608Z",
        "receivedTime": "2022-01-25T22:46:00.455Z",
        "invocationStatus": "Failed",
        "failureReason": "ClientError: Received server error (500) from model.",
        "failureLocation": "s3://b/async-failures/x.out",
        "requestParameters": {"endpointName": "e", "inputLocation": "s3://b/requests/x.json"},
        "inferenceId": "x",
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    # When parsed / Then the fields are typed and the failure location is found
    parsed = AsyncInferenceNotification.model_validate(document)
    assert parsed.invocation_status == "Failed" and parsed.where_failed == "s3://b/async-failures/x.out"
    assert parsed.event_time == datetime(2022, 1, 25, 22, 46, 0, 608000, tzinfo=UTC)
    assert parsed.output_location is None
