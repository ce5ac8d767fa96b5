"""Completion: SageMaker asynchronous-inference notifications in, result records (or error records) out.

The endpoint publishes one notification per inference to its SuccessTopic or ErrorTopic; SNS delivers it to
the CompletionQueue and Lambda hands the function a batch. For each notification:

* ``Completed``: read the output at ``responseParameters.outputLocation`` (either JumpStart response shape,
  via :func:`radimpress.drafting.engines.contract.parse_response`), read the submission record the ingest
  function wrote, score the draft against the radiologist's impression when the report had one
  (ROUGE-1/2/L/Lsum, rouge-score semantics) and make a :class:`~radimpress.pipeline.records.ResultRecord`;
* ``Failed``, an unreadable output or an unknown inference id: an
:class:`~radimpress.pipeline.records.ErrorRecord`
  (stage ``inference`` for what the endpoint reported, ``completion`` for what happened here), written at
  once; the message is acknowledged.

Each result is also sent back as HL7 when the batch has an ``outbox`` (the outbound queue): an ORU^R01
with the original order, the draft as a preliminary OBX and its flags as NTEs
(:func:`radimpress.reading.hl7lib.build_draft_oru`), sent before the result is kept, so a failed send
retries the record. Its MSH-10 derives from the inference id, so a redelivered notification re-sends the
same message id and the receiver can drop the copy.

S3 throttling or unavailability raises :class:`~radimpress.errors.TransientError` and the record is retried.
All results of one batch go to ONE Parquet file per completion date, ``results/dt=<date>/<batch-id>.parquet``,
written by :meth:`CompletionBatch.flush` after the batch; if that write fails the invocation fails and the
whole batch is redelivered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from radimpress.config import CompletionSettings
from radimpress.drafting.engines.contract import parse_response
from radimpress.drafting.safety import flag_draft
from radimpress.errors import InferenceError, RadimpressError, TransientError, UnknownInferenceError
from radimpress.language.fluency import fluency_problems
from radimpress.observability import count, logger
from radimpress.pipeline.records import (
    ErrorRecord,
    ResultRecord,
    SubmissionRecord,
    error_key,
    error_message,
    result_key,
    submission_key,
    utc_day,
)
from radimpress.ports import MessageQueue, ObjectNotFoundError, ObjectStore, OutboundMessage, split_s3_uri
from radimpress.reading.hl7lib import build_draft_oru
from radimpress.scoring.observations import observation_f1
from radimpress.scoring.rouge import score_pair

__all__ = [
    "AsyncInferenceNotification",
    "Completed",
    "CompletionBatch",
    "RequestParameters",
    "ResponseParameters",
    "ResultWriter",
    "UnknownInferenceError",
    "draft_oru",
]

_REASON_CHARS = 200


class _Camel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class RequestParameters(_Camel):
    endpoint_name: str = Field(alias="endpointName")
    input_location: str = Field(alias="inputLocation")
    content_type: str | None = Field(default=None, alias="contentType")
    accept: str | None = None


class ResponseParameters(_Camel):
    content_type: str | None = Field(default=None, alias="contentType")
    output_location: str | None = Field(default=None, alias="outputLocation")
    failure_location: str | None = Field(default=None, alias="failureLocation")


class AsyncInferenceNotification(_Camel):
    """The JSON SageMaker publishes when an asynchronous inference completes or fails.

    Success carries ``responseParameters.outputLocation``; failure carries ``failureReason`` and, when the
    endpoint config has an S3FailurePath, a ``failureLocation`` (in ``responseParameters``; some
    integrations put it at the top level, which is accepted too).
    """

    aws_region: str | None = Field(default=None, alias="awsRegion")
    event_time: AwareDatetime = Field(alias="eventTime")
    received_time: AwareDatetime | None = Field(default=None, alias="receivedTime")
    invocation_status: Literal["Completed", "Failed"] = Field(alias="invocationStatus")
    failure_reason: str | None = Field(default=None, alias="failureReason")
    failure_location: str | None = Field(default=None, alias="failureLocation")
    request_parameters: RequestParameters = Field(alias="requestParameters")
    response_parameters: ResponseParameters | None = Field(default=None, alias="responseParameters")
    inference_id: str = Field(alias="inferenceId", min_length=1)
    event_version: str = Field(default="1.0", alias="eventVersion")
    event_source: Literal["aws:sagemaker"] = Field(default="aws:sagemaker", alias="eventSource")
    event_name: Literal["InferenceResult"] = Field(default="InferenceResult", alias="eventName")

    @property
    def output_location(self) -> str | None:
        return self.response_parameters.output_location if self.response_parameters else None

    @property
    def where_failed(self) -> str | None:
        nested = self.response_parameters.failure_location if self.response_parameters else None
        return nested or self.failure_location


ResultWriter = Callable[[Sequence[ResultRecord]], bytes]
Completed = ResultRecord | ErrorRecord


class CompletionBatch:
    """The results and errors of one SQS batch of notifications.

    Used as a context manager: when the block exits without an exception, every result of the batch is
    written (:meth:`flush`) as ONE Parquet file per completion date; error records are written as they occur.
    """

    def __init__(
        self,
        store: ObjectStore,
        settings: CompletionSettings,
        *,
        batch_id: str,
        write: ResultWriter,
        outbox: MessageQueue | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.settings = settings
        self.batch_id = batch_id
        self.write = write
        self.results: list[ResultRecord] = []
        self.errors: list[ErrorRecord] = []
        self.written: list[str] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.written.extend(self.flush())

    def complete(self, notification: AsyncInferenceNotification) -> Completed:
        """Turn one notification into a result (kept for :meth:`flush`) or an error record (written now)."""
        submission = self._submission(notification.inference_id)
        if notification.invocation_status == "Failed":
            reason = (notification.failure_reason or "the endpoint reported a failure").splitlines()[0]
            reported = InferenceError(reason[:_REASON_CHARS], where=notification.where_failed)
            return self._reject(notification, submission, reported, stage="inference")
        if submission is None:
            unknown = UnknownInferenceError("no submission record for this inference", where="submissions/")
            return self._reject(notification, None, unknown, stage="completion")
        try:
            draft = parse_response(self._output(notification))
        except (InferenceError, UnknownInferenceError) as exc:
            return self._reject(notification, submission, exc, stage="completion")
        result = _result(notification, submission, draft, self.settings)
        if self.outbox is not None:
            self._send_back(submission, result)
        self.results.append(result)
        count("InferenceSucceeded")
        logger.info("result drafted", inference_id=result.inference_id, latency_ms=result.latency_ms)
        return result

    def _send_back(self, submission: SubmissionRecord, result: ResultRecord) -> None:
        oru = draft_oru(submission, result, self.settings.observation_code)
        assert self.outbox is not None
        if self.outbox.send([OutboundMessage(oru, {"content-type": "application/hl7-v2"})]):
            # refused as an entry (e.g. throttled per message): the record is retried, like a 5xx
            raise TransientError("the outbound queue refused the draft", where="outbound")
        count("DraftsSentBack")

    def flush(self) -> list[str]:
        """Write the results so far, one Parquet file per completion date; the keys written."""
        by_day: defaultdict[date, list[ResultRecord]] = defaultdict(list)
        for result in self.results:
            by_day[utc_day(result.completed_at)].append(result)
        keys = []
        for day, results in sorted(by_day.items()):
            key = result_key(day, self.batch_id)
            self.store.put(key, self.write(results), "application/vnd.apache.parquet")
            keys.append(key)
        count("ResultsWritten", len(self.results))
        self.results.clear()
        return keys

    def _submission(self, inference_id: str) -> SubmissionRecord | None:
        try:
            return SubmissionRecord.from_json(self.store.get(submission_key(inference_id)))
        except ObjectNotFoundError:
            return None

    def _output(self, notification: AsyncInferenceNotification) -> bytes:
        location = notification.output_location
        if not location:
            raise UnknownInferenceError(
                "success notification without an output location", where="outputLocation"
            )
        try:
            bucket, key = split_s3_uri(location)
        except ValueError:
            raise UnknownInferenceError(
                "output location is not an s3:// URI", where="outputLocation"
            ) from None
        try:
            return self.store.get(key, bucket=bucket)
        except ObjectNotFoundError:
            raise UnknownInferenceError("the output object does not exist", where="outputLocation") from None

    def _reject(
        self,
        notification: AsyncInferenceNotification,
        submission: SubmissionRecord | None,
        failure: RadimpressError,
        *,
        stage: Literal["inference", "completion"],
    ) -> ErrorRecord:
        record = ErrorRecord.build(
            stage=stage,
            error_type=failure.code,
            message=error_message(failure),
            where=failure.where,
            occurred_at=notification.event_time,
            identity=notification.inference_id,
            raw_key=submission.raw_key if submission else None,
            inference_id=notification.inference_id,
            message_id=submission.message_id if submission else None,
            sending_facility=submission.sending_facility if submission else None,
            control_key=submission.control_key if submission else None,
            accession_key=submission.accession_key if submission else None,
        )
        self.store.put(error_key(record), record.to_json_line(), "application/json")
        self.errors.append(record)
        count("InferenceFailed" if stage == "inference" else "CompletionRejected")
        logger.warning(
            "inference failed" if stage == "inference" else "completion rejected",
            inference_id=notification.inference_id,
            error_type=record.error_type,
        )
        return record


def _result(
    notification: AsyncInferenceNotification,
    submission: SubmissionRecord,
    draft: str,
    settings: CompletionSettings,
) -> ResultRecord:
    reference = submission.reference_impression
    scores = score_pair(draft, reference) if reference else None
    flags = flag_draft(submission.findings, draft, comparison=submission.comparison)
    problems = fluency_problems(draft)
    completed_at = notification.event_time
    latency = completed_at - submission.submitted_at
    return ResultRecord(
        **submission.model_dump(include=_SHARED_FIELDS),
        draft=draft,
        rouge1=scores.rouge1 if scores else None,
        rouge2=scores.rouge2 if scores else None,
        rougeL=scores.rougeL if scores else None,
        rougeLsum=scores.rougeLsum if scores else None,
        engine=f"sagemaker:{notification.request_parameters.endpoint_name}",
        model_id=settings.model_id,
        completed_at=completed_at,
        latency_ms=max(0, round(latency.total_seconds() * 1000)),
        flags=",".join(flag.code for flag in flags),
        flag_count=len(flags),
        observation_f1=observation_f1(draft, reference) if reference else None,
        fluency=",".join(f"{problem.kind.value}:{problem.word}" for problem in problems),
        fluency_count=len(problems),
    )


_SHARED_FIELDS = set(ResultRecord.model_fields) & set(SubmissionRecord.model_fields)


def draft_oru(
    submission: SubmissionRecord, result: ResultRecord, observation_code: tuple[str, str, str]
) -> str:
    """The ORU^R01 that carries ``result``'s draft back to the system that sent the report."""
    return build_draft_oru(
        draft=result.draft,
        control_id=f"D{result.inference_id[:19]}",  # 20 characters: MSH-10's length before v2.7
        accession=submission.accession,
        placer_order=submission.placer_order,
        procedure_code=submission.procedure_code,
        procedure_text=submission.procedure_text,
        receiving_application=submission.sending_application,
        receiving_facility=submission.sending_facility,
        original_control_id=submission.control_id,
        flags=[flag for flag in result.flags.split(",") if flag],
        engine=result.engine,
        model_id=result.model_id,
        observation_code=observation_code,
        now=result.completed_at,
    )
