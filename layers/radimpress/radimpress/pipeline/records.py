"""The records the pipeline writes: submissions (JSON), results (Parquet) and errors (JSON lines).

Field names and meanings are the contract in ``docs/architecture.md`` (the Glue tables read them). No record
holds a patient identifier: only ``patient_key``, a keyed pseudonym. Error records hold the typed error's
code, message and location, never a report body.

Results are plain models here; writing them as Parquet is :mod:`radimpress.adapters.parquet` (pyarrow is
heavy and only the completion and nightly paths import it).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from radimpress.errors import RadimpressError

__all__ = [
    "RESULT_FIELDS",
    "ErrorRecord",
    "ResultRecord",
    "Stage",
    "SubmissionRecord",
    "error_key",
    "error_message",
    "partition",
    "raw_key",
    "report_key",
    "request_key",
    "result_key",
    "sha256_hex",
    "submission_key",
    "utc_day",
]

Stage = Literal["ingest", "inference", "completion"]

_MESSAGE_CHARS = 500  # an error message is a typed error's own text; bounded so a record stays small


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class _ReportFields(_Record):
    """What a submission and its result share: the report's keys and metadata (no patient identity)."""

    inference_id: str
    report_key: str
    control_id: str | None = None
    accession: str | None = None
    status: str | None = None
    supersedes_earlier: bool = False
    patient_key: str | None = None
    procedure_code: str | None = None
    procedure_text: str | None = None
    interpreter: str | None = None
    sending_facility: str | None = None
    message_type: str | None = None
    raw_key: str
    findings: str


class SubmissionRecord(_ReportFields):
    """``submissions/<inference_id>.json``: what was sent for inference, read back at completion."""

    message_id: str
    # for the draft sent back as HL7 (MSH-5 and the order); additive, absent in older records
    sending_application: str | None = None
    placer_order: str | None = None
    reference_impression: str | None = None
    comparison: str | None = None  # the report's comparison section: a draft saying "stable" needs one
    endpoint_name: str
    model_contract: str
    request_key: str
    submitted_at: AwareDatetime

    @classmethod
    def from_json(cls, data: bytes) -> SubmissionRecord:
        return cls.model_validate_json(data)


class ResultRecord(_ReportFields):
    """One row of ``results/dt=YYYY-MM-DD/<batch-id>.parquet``: a drafted impression and how it scored."""

    draft: str
    reference_impression: str | None = None
    rouge1: float | None = None
    rouge2: float | None = None
    rougeL: float | None = None
    rougeLsum: float | None = None
    engine: str
    model_id: str
    submitted_at: AwareDatetime
    completed_at: AwareDatetime
    latency_ms: int
    outcome: Literal["drafted"] = "drafted"
    # Safety flags of the draft (radimpress.drafting.safety): comma-separated stable codes, "" when none, so
    # Athena/QuickSight can filter and count without a nested type.
    flags: str = ""
    flag_count: int = 0


#: Column order of the results table (the Parquet schema and the Glue table follow it).
RESULT_FIELDS: tuple[str, ...] = tuple(ResultRecord.model_fields)


class ErrorRecord(_Record):
    """One line of ``errors/dt=YYYY-MM-DD/<error_id>.json``: a message or report that produced no result."""

    error_id: str
    stage: Stage
    error_type: str
    message: str = Field(max_length=_MESSAGE_CHARS)
    where: str | None = None
    raw_key: str | None = None
    inference_id: str | None = None
    message_id: str | None = None
    occurred_at: AwareDatetime

    def to_json_line(self) -> bytes:
        return self.to_json_bytes() + b"\n"

    @classmethod
    def build(
        cls,
        *,
        stage: Stage,
        error_type: str,
        message: str,
        occurred_at: datetime,
        identity: str,
        where: str | None = None,
        raw_key: str | None = None,
        inference_id: str | None = None,
        message_id: str | None = None,
    ) -> ErrorRecord:
        """An error record whose id derives from ``stage`` and ``identity`` (what failed), so a redelivery
        of the same failure overwrites its record instead of adding a second one."""
        return cls(
            error_id=sha256_hex(f"{stage}|{identity}".encode())[:32],
            stage=stage,
            error_type=error_type,
            message=message[:_MESSAGE_CHARS],
            where=where,
            raw_key=raw_key,
            inference_id=inference_id,
            message_id=message_id,
            occurred_at=occurred_at,
        )


def error_message(error: RadimpressError) -> str:
    """A typed error's own message, without the `` (at <where>)`` its ``str`` adds (``where`` is a field)."""
    return str(error).removesuffix(f" (at {error.where})" if error.where else "")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def report_key(control_id: str | None, accession: str | None, status: str | None) -> str:
    """The report key (= inference id = idempotency key): sha256 of ``MSH-10|accession|status``."""
    text = f"{control_id or ''}|{accession or ''}|{status or ''}"
    return sha256_hex(text.encode("utf-8"))[:32]


def partition(day: date) -> str:
    return f"dt={day.isoformat()}"


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def raw_key(digest: str) -> str:
    """``raw/<sha256[0:2]>/<sha256>``: content-addressed, so a redelivery rewrites identical bytes."""
    return f"raw/{digest[:2]}/{digest}"


def request_key(inference_id: str) -> str:
    return f"requests/{inference_id}.json"


def submission_key(inference_id: str) -> str:
    return f"submissions/{inference_id}.json"


def error_key(record: ErrorRecord) -> str:
    return f"errors/{partition(utc_day(record.occurred_at))}/{record.error_id}.json"


def result_key(day: date, batch_id: str) -> str:
    return f"results/{partition(day)}/{batch_id}.parquet"
