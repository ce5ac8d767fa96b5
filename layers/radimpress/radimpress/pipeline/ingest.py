"""Ingest: one queued payload in, its reports submitted for asynchronous inference (or recorded as errors).

For each SQS message: resolve the body (:mod:`radimpress.transports.inbound`), archive the raw bytes first
under a content-addressed key (so nothing is ever lost, and a redelivery rewrites identical bytes), read every
report in it (an HL7 batch may hold several), and for each report write the endpoint request and the
submission record, then call ``InvokeEndpointAsync`` with ``InferenceId`` = the report key.

Outcomes, mapped here and nowhere else:

* a :class:`~radimpress.errors.ReportError` (unreadable, no findings, not a radiology result) or an
  :class:`~radimpress.errors.InferenceError` (the endpoint rejected the request) is permanent: an error
  record is written under ``errors/`` and the message is acknowledged;
* a :class:`~radimpress.errors.TransientError` (throttling, 5xx, timeouts) propagates, so SQS redelivers
  the message and, after ``maxReceiveCount`` attempts, moves it to the DLQ.

The per-report submit is idempotent on the report key (``MSH-10|accession|status``): the caller injects
``once``, a decorator that runs a submit at most once per key (Powertools idempotency on DynamoDB in
production, see :mod:`radimpress.adapters.idempotency`), so a redelivered message never causes a second
inference; the duplicate is counted as ``ReportsDeduplicated``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from radimpress.config import IngestSettings
from radimpress.drafting.engines.contract import build_request
from radimpress.drafting.prompts import build_prompt
from radimpress.errors import InferenceError, NoFindingsError, RadimpressError, ReportError
from radimpress.observability import count, logger
from radimpress.pipeline.records import (
    ErrorRecord,
    Stage,
    SubmissionRecord,
    error_key,
    error_message,
    raw_key,
    report_key,
    request_key,
    sha256_hex,
    submission_key,
)
from radimpress.ports import Clock, InferenceClient, ObjectStore, s3_uri
from radimpress.pseudonym import pseudonymize
from radimpress.reading.model import Report
from radimpress.reading.reports import ReadOutcome, read_reports
from radimpress.transports import inbound

__all__ = [
    "IngestOutcome",
    "Ingestor",
    "Once",
    "Submit",
    "SubmitReceipt",
    "ingest",
    "make_submit",
    "run_every_time",
]

REQUEST_CONTENT_TYPE = "application/json"


class SubmitReceipt(BaseModel):
    """What submitting one report returned; ``duplicate`` when an earlier delivery already submitted it."""

    model_config = ConfigDict(frozen=True)

    inference_id: str
    output_location: str
    duplicate: bool = False


class Submit(Protocol):
    """The per-report submit, called as ``submit(submission=record)``: the keyword argument is what
    Powertools' ``idempotent_function`` hashes (its ``inference_id``)."""

    def __call__(self, *, submission: SubmissionRecord) -> SubmitReceipt: ...


#: Wraps a submit so it runs at most once per ``submission.inference_id``.
Once = Callable[[Submit], Submit]


def run_every_time(submit: Submit) -> Submit:
    """The ``once`` that deduplicates nothing (tools and tests that want every submit to run)."""
    return submit


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What one message gave: the archived raw key, inference ids submitted now or earlier, errors."""

    raw_key: str
    submitted: tuple[str, ...] = ()
    deduplicated: tuple[str, ...] = ()
    rejected: tuple[ErrorRecord, ...] = field(default=())


def make_submit(store: ObjectStore, inference: InferenceClient, settings: IngestSettings) -> Submit:
    """The submit of one report: request payload, submission record, then ``InvokeEndpointAsync``."""

    def submit(*, submission: SubmissionRecord) -> SubmitReceipt:
        prompt = build_prompt(submission.findings, settings.prompt_template)
        store.put(
            submission.request_key, build_request(prompt, settings.model_contract), REQUEST_CONTENT_TYPE
        )
        store.put(submission_key(submission.inference_id), submission.to_json_bytes(), "application/json")
        location = inference.submit(
            settings.endpoint_name,
            submission.inference_id,
            s3_uri(store.bucket, submission.request_key),
            REQUEST_CONTENT_TYPE,
        )
        return SubmitReceipt(inference_id=submission.inference_id, output_location=location)

    return submit


def ingest(
    raw: bytes,
    *,
    message_id: str,
    store: ObjectStore,
    inference: InferenceClient,
    settings: IngestSettings,
    pseudonym_key: bytes | None,
    clock: Clock,
    once: Once = run_every_time,
) -> IngestOutcome:
    """Archive ``raw``, then submit each report in it once; permanent failures become error records."""
    digest = sha256_hex(raw)
    archived = raw_key(digest)
    store.put(archived, raw, "application/octet-stream")
    try:
        outcomes: list[ReadOutcome] = read_reports(raw, source=message_id, pseudonym_key=pseudonym_key)
    except ReportError as exc:
        outcomes = [exc]
    submit = once(make_submit(store, inference, settings))
    submitted: list[str] = []
    deduplicated: list[str] = []
    rejected: list[ErrorRecord] = []
    for position, outcome in enumerate(outcomes, start=1):
        failure: RadimpressError | None = outcome if isinstance(outcome, ReportError) else None
        inference_id = None
        if isinstance(outcome, Report):
            inference_id = _report_key(outcome, digest, position)
            try:
                submission = _submission(
                    outcome,
                    inference_id=inference_id,
                    archived=archived,
                    message_id=message_id,
                    settings=settings,
                    clock=clock,
                    pseudonym_key=pseudonym_key,
                )
                receipt = submit(submission=submission)
            except (ReportError, InferenceError) as exc:
                failure = exc
            else:
                (deduplicated if receipt.duplicate else submitted).append(inference_id)
                logger.info(
                    "report deduplicated" if receipt.duplicate else "report submitted",
                    inference_id=inference_id,
                    message_id=message_id,
                )
        if failure is not None:
            stage: Stage = "inference" if isinstance(failure, InferenceError) else "ingest"
            read = outcome if isinstance(outcome, Report) else None
            record = ErrorRecord.build(
                stage=stage,
                error_type=failure.code,
                message=error_message(failure),
                where=failure.where,
                occurred_at=clock(),
                identity=f"{digest}#{position}",
                raw_key=archived,
                inference_id=inference_id,
                message_id=message_id,
                sending_facility=read.sending_facility if read else None,
                control_key=_keyed(read.control_id, pseudonym_key) if read else None,
                accession_key=_keyed(read.accession, pseudonym_key) if read else None,
            )
            store.put(error_key(record), record.to_json_line(), "application/json")
            logger.warning(
                "report rejected", error_type=record.error_type, where=record.where, message_id=message_id
            )
            rejected.append(record)
    count("ReportsSubmitted", len(submitted))
    count("ReportsDeduplicated", len(deduplicated))
    count("ReportsRejected", len(rejected))
    return IngestOutcome(archived, tuple(submitted), tuple(deduplicated), tuple(rejected))


def _report_key(report: Report, digest: str, position: int) -> str:
    """``MSH-10|accession|status`` for HL7; a text report has no control id, so its raw bytes key it."""
    if report.control_id:
        return report_key(report.control_id, report.accession, report.status)
    return sha256_hex(f"raw:{digest}#{position}".encode())[:32]


def _keyed(identifier: str | None, key: bytes | None) -> str | None:
    """The pseudonym of an accession or control id for the analytics tables (None without a key)."""
    return pseudonymize(identifier, key) if identifier and key else None


def _submission(
    report: Report,
    *,
    inference_id: str,
    archived: str,
    message_id: str,
    settings: IngestSettings,
    clock: Clock,
    pseudonym_key: bytes | None,
) -> SubmissionRecord:
    findings = (report.sections.findings or "").strip()
    if not findings:
        raise NoFindingsError("report has no findings to draft from", where="findings")
    return SubmissionRecord(
        inference_id=inference_id,
        report_key=inference_id,
        control_id=report.control_id,
        accession=report.accession,
        control_key=_keyed(report.control_id, pseudonym_key),
        accession_key=_keyed(report.accession, pseudonym_key),
        status=report.status,
        supersedes_earlier=report.supersedes_earlier,
        patient_key=report.patient_key,
        procedure_code=report.procedure_code,
        procedure_text=report.procedure_text,
        interpreter=report.interpreter,
        sending_facility=report.sending_facility,
        message_type=report.message_type,
        sending_application=report.sending_application,
        placer_order=report.extra.get("placer_order"),
        raw_key=archived,
        findings=findings,
        reference_impression=(report.sections.impression or "").strip() or None,
        comparison=report.sections.comparison,
        message_id=message_id,
        endpoint_name=settings.endpoint_name,
        model_contract=settings.model_contract,
        request_key=request_key(inference_id),
        submitted_at=clock(),
    )


@dataclass(frozen=True, slots=True)
class Ingestor:
    """The ingest dependencies bound once per container; :meth:`message` is the per-SQS-record entry."""

    store: ObjectStore
    inference: InferenceClient
    settings: IngestSettings
    pseudonym_key: Callable[[], bytes | None]
    clock: Clock
    once: Once = run_every_time

    def message(self, body: str, attributes: Mapping[str, str | None], *, message_id: str) -> IngestOutcome:
        """Resolve the SQS body (encoding, claim check) and ingest it. A body that cannot be resolved is
        archived as it arrived and recorded as an error."""
        try:
            raw = inbound.resolve(body, attributes, self.store)
        except ReportError as exc:
            return self._unresolvable(body.encode("utf-8"), exc, message_id)
        return ingest(
            raw,
            message_id=message_id,
            store=self.store,
            inference=self.inference,
            settings=self.settings,
            pseudonym_key=self.pseudonym_key(),
            clock=self.clock,
            once=self.once,
        )

    def _unresolvable(self, body: bytes, exc: ReportError, message_id: str) -> IngestOutcome:
        digest = sha256_hex(body)
        archived = raw_key(digest)
        self.store.put(archived, body, "application/octet-stream")
        record = ErrorRecord.build(
            stage="ingest",
            error_type=exc.code,
            message=error_message(exc),
            where=exc.where,
            occurred_at=self.clock(),
            identity=f"{digest}#body",
            raw_key=archived,
            message_id=message_id,
        )
        self.store.put(error_key(record), record.to_json_line(), "application/json")
        logger.warning(
            "message rejected", error_type=record.error_type, where=record.where, message_id=message_id
        )
        count("ReportsRejected")
        return IngestOutcome(archived, rejected=(record,))
