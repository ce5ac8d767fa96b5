"""Ingest with in-memory fakes: archive first, one submission per report, errors recorded, retries safe."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest

from radimpress.config import IngestSettings
from radimpress.drafting.engines.contract import build_request
from radimpress.drafting.prompts import build_prompt
from radimpress.errors import InferenceError, TransientError
from radimpress.pipeline.ingest import Ingestor, IngestOutcome, ingest
from radimpress.pipeline.records import ErrorRecord, SubmissionRecord, raw_key, report_key, sha256_hex
from radimpress.pseudonym import pseudonymize
from tests.conftest import load_event
from tests.fakes import FakeInference, InMemoryObjectStore, InMemoryOnce, fixed_clock

NOW = datetime(2024, 1, 2, 8, 0, 0, tzinfo=UTC)
KEY = b"test-pseudonym-key"
SETTINGS = IngestSettings.from_env(
    {
        "BUCKET_NAME": "radimpress-data-test",
        "IDEMPOTENCY_TABLE": "idempotency",
        "ENDPOINT_NAME": "radimpress-test-endpoint",
        "MODEL_CONTRACT": "jumpstart-v1",
        "PSEUDONYM_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
    }
)
LOINC = load_event("feed/01-loinc_tx.hl7")
BATCH = load_event("feed/09-batch.hl7")
ADT = load_event("hl7/malformed/adt_a01.hl7")
TEXT = load_event("feed/14-text.txt")


def run(
    raw: bytes,
    store: InMemoryObjectStore,
    inference: FakeInference,
    once: InMemoryOnce | None = None,
    message_id: str = "m-1",
) -> IngestOutcome:
    return ingest(
        raw,
        message_id=message_id,
        store=store,
        inference=inference,
        settings=SETTINGS,
        pseudonym_key=KEY,
        clock=fixed_clock(NOW),
        once=once or InMemoryOnce(),
    )


def errors_in(store: InMemoryObjectStore) -> list[ErrorRecord]:
    return [ErrorRecord.model_validate_json(store.get(key)) for key in store.list("errors/")]


def test_one_report_is_archived_first_then_requested_recorded_and_submitted() -> None:
    # Given one ORU^R01 message
    store, inference = InMemoryObjectStore(), FakeInference()
    # When ingested
    outcome = run(LOINC, store, inference)
    # Then the raw bytes were the first thing written, under their content address
    digest = sha256_hex(LOINC)
    assert store.puts[0] == f"raw/{digest[:2]}/{digest}" == outcome.raw_key
    assert store.get(outcome.raw_key) == LOINC
    # and the report key is sha256(MSH-10|accession|status)[:32]
    inference_id = report_key("SYN000000001", "ACC0000001", "F")
    assert outcome.submitted == (inference_id,)
    assert store.puts[1:] == [f"requests/{inference_id}.json", f"submissions/{inference_id}.json"]
    # and the request is the contract's payload for the study prompt around the findings
    submission = SubmissionRecord.from_json(store.get(f"submissions/{inference_id}.json"))
    assert store.get(submission.request_key) == build_request(
        build_prompt(submission.findings), "jumpstart-v1"
    )
    assert submission.findings.startswith("Heart size and pulmonary vascularity appear within normal limits.")
    assert submission.reference_impression is not None
    assert submission.reference_impression.startswith("This is XXXX since the previous study.")
    assert (submission.control_id, submission.accession, submission.status) == (
        "SYN000000001",
        "ACC0000001",
        "F",
    )
    assert submission.raw_key == outcome.raw_key and submission.message_id == "m-1"
    assert submission.submitted_at == NOW and submission.patient_key
    # and, for the analytics tables, keyed pseudonyms of the accession and control id under the ingest's key
    assert submission.accession_key == pseudonymize("ACC0000001", KEY) != pseudonymize("ACC0000001", b"x")
    assert submission.control_key == pseudonymize("SYN000000001", KEY)
    # and the endpoint was invoked once, with InferenceId = report key and the request as input
    (call,) = inference.calls
    assert call.endpoint_name == "radimpress-test-endpoint"
    assert call.inference_id == inference_id
    assert call.input_location == f"s3://radimpress-data-test/requests/{inference_id}.json"
    assert call.content_type == "application/json"
    assert outcome.rejected == () and outcome.deduplicated == ()


def test_no_patient_identifier_reaches_a_record() -> None:
    # Given a message whose PID carries a (synthetic) MRN and name
    pid = next(line for line in LOINC.decode().split("\r") if line.startswith("PID|"))
    mrn = pid.split("|")[3].split("^")[0]
    family = pid.split("|")[5].split("^")[0]
    store = InMemoryObjectStore()
    # When ingested
    run(LOINC, store, FakeInference())
    # Then only the raw archive holds them; requests and submission records hold the pseudonym only
    for key in store.list(""):
        if not key.startswith("raw/"):
            text = store.text(key)
            assert mrn not in text and family not in text, key


def test_each_report_of_an_hl7_batch_is_submitted() -> None:
    # Given an FHS/BHS batch file of three ORU messages
    store, inference = InMemoryObjectStore(), FakeInference()
    # When ingested
    outcome = run(BATCH, store, inference)
    # Then three inferences, one per report key, and one raw archive
    expected = tuple(report_key(f"SYN0000000{n:02d}", f"ACC00000{n:02d}", "F") for n in (9, 10, 11))
    assert outcome.submitted == expected
    assert [call.inference_id for call in inference.calls] == list(expected)
    assert len(store.list("raw/")) == 1


def test_a_redelivered_message_never_causes_a_second_inference() -> None:
    # Given a message already ingested once
    store, inference, once = InMemoryObjectStore(), FakeInference(), InMemoryOnce()
    first = run(LOINC, store, inference, once, message_id="m-1")
    submitted = store.get(f"submissions/{first.submitted[0]}.json")
    # When the same bytes arrive again under another message id
    second = run(LOINC, store, inference, once, message_id="m-2")
    # Then no second inference, the report counts as deduplicated, and its submission record is untouched
    assert len(inference.calls) == 1
    assert second.submitted == () and second.deduplicated == first.submitted
    assert store.get(f"submissions/{first.submitted[0]}.json") == submitted


def test_an_unsupported_message_is_an_error_record_and_nothing_is_submitted() -> None:
    # Given an ADT^A01 on the report interface
    store, inference = InMemoryObjectStore(), FakeInference()
    # When ingested
    outcome = run(ADT, store, inference, message_id="m-adt")
    # Then it is archived, recorded as a permanent ingest error pointing at the archive, and not submitted
    (error,) = errors_in(store)
    assert outcome.rejected == (error,)
    assert error.stage == "ingest" and error.error_type == "unsupported_message_type"
    assert error.raw_key == outcome.raw_key and store.get(error.raw_key) == ADT
    assert error.message_id == "m-adt" and error.inference_id is None and error.occurred_at == NOW
    assert store.list("errors/") == [f"errors/dt=2024-01-02/{error.error_id}.json"]
    assert store.get(store.list("errors/")[0]).endswith(b"}\n")  # one JSON object per line
    assert inference.calls == []


def test_a_redelivered_bad_message_rewrites_the_same_error_record() -> None:
    store = InMemoryObjectStore()
    run(ADT, store, FakeInference(), message_id="m-1")
    run(ADT, store, FakeInference(), message_id="m-1")
    assert len(store.list("errors/")) == 1


def test_a_report_without_findings_is_rejected() -> None:
    store, inference = InMemoryObjectStore(), FakeInference()
    outcome = run(load_event("hl7/malformed/no_findings.hl7"), store, inference)
    assert [error.error_type for error in outcome.rejected] == ["no_findings"]
    assert inference.calls == []


def test_a_transient_failure_propagates_and_the_retry_submits() -> None:
    # Given an endpoint that is throttled once
    store, once = InMemoryObjectStore(), InMemoryOnce()
    inference = FakeInference(fail_with=[TransientError("throttled", where="endpoint")])
    # When the message is ingested, the failure propagates (SQS will redeliver), but the raw bytes are safe
    with pytest.raises(TransientError):
        run(LOINC, store, inference, once)
    assert store.get(raw_key(sha256_hex(LOINC))) == LOINC
    assert errors_in(store) == []
    # When it is redelivered / Then it is submitted (the failed attempt did not count as done)
    outcome = run(LOINC, store, inference, once)
    assert len(inference.calls) == 1 and len(outcome.submitted) == 1


def test_an_endpoint_rejection_is_an_inference_error_record() -> None:
    # Given an endpoint that rejects the request
    store = InMemoryObjectStore()
    inference = FakeInference(
        fail_with=[InferenceError("endpoint rejected the request", where="radimpress-test")]
    )
    # When ingested / Then a permanent error record at stage inference, with the report key
    outcome = run(LOINC, store, inference)
    (error,) = outcome.rejected
    assert (error.stage, error.error_type) == ("inference", "inference_failed")
    assert error.inference_id == report_key("SYN000000001", "ACC0000001", "F")
    # and the report it read is named by its facility and keyed pseudonyms, never the clear accession
    line = store.get(store.list("errors/")[0]).decode()
    assert error.sending_facility and error.accession_key == pseudonymize("ACC0000001", KEY)
    assert error.control_key == pseudonymize("SYN000000001", KEY)
    assert "ACC0000001" not in line and "SYN000000001" not in line


def test_a_text_report_is_keyed_by_its_bytes() -> None:
    # Given a plain-text report (no MSH-10, no accession)
    store, inference = InMemoryObjectStore(), FakeInference()
    # When ingested twice with the same idempotency store
    once = InMemoryOnce()
    first = run(TEXT, store, inference, once)
    second = run(TEXT, store, inference, once, message_id="m-2")
    # Then its key derives from the raw bytes, and the second delivery is a duplicate
    assert first.submitted == (sha256_hex(f"raw:{sha256_hex(TEXT)}#1".encode())[:32],)
    assert second.deduplicated == first.submitted and len(inference.calls) == 1
    # and two different text reports do not collide
    other = run(TEXT.replace(b"clear", b"CLEAR"), store, inference, once)
    assert other.submitted != first.submitted


def test_ingestor_resolves_the_body_and_records_undecodable_ones() -> None:
    # Given an ingestor bound to fakes
    store, inference = InMemoryObjectStore(), FakeInference()
    ingestor = Ingestor(store, inference, SETTINGS, lambda: KEY, fixed_clock(NOW), InMemoryOnce())

    # When a base64 Latin-1 message and a body that is not base64 arrive
    latin1 = load_event("feed/13-latin1.hl7")
    good = ingestor.message(base64.b64encode(latin1).decode(), {"content-encoding": "base64"}, message_id="a")
    bad = ingestor.message("%%% not base64", {"content-encoding": "base64"}, message_id="b")
    # Then the first is archived decoded and submitted
    assert store.get(good.raw_key) == latin1 and len(good.submitted) == 1
    # and the second is archived as it arrived and recorded as a bad encoding
    (error,) = bad.rejected
    assert store.get(bad.raw_key) == b"%%% not base64"
    assert (error.error_type, error.where, error.raw_key) == ("bad_encoding", "content-encoding", bad.raw_key)


def test_error_records_hold_no_report_text() -> None:
    store = InMemoryObjectStore()
    run(load_event("hl7/malformed/no_findings.hl7"), store, FakeInference())
    (error,) = errors_in(store)
    line = json.loads(store.get(store.list("errors/")[0]))
    assert set(line) == {
        "error_id",
        "stage",
        "error_type",
        "message",
        "where",
        "raw_key",
        "inference_id",
        "message_id",
        "occurred_at",
        "schema_version",
        "sending_facility",
        "control_key",
        "accession_key",
    }
    assert re.fullmatch(r"[0-9a-f]{32}", error.error_id)
