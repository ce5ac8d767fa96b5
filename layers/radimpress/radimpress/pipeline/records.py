"""The records the pipeline writes: submissions (JSON), results (Parquet) and errors (JSON lines).

Field names and meanings are the contract in ``docs/architecture.md`` (the Glue tables read them), versioned
by :data:`SCHEMA_VERSION` and checked in as ``docs/records.schema.json``: columns are only ever added, never
removed or retyped (``tests/unit/test_record_schema.py``). The analytics records (results and errors, both
Glue tables) hold no direct identifier: the patient, the accession and the message control id appear only as
keyed pseudonyms (``patient_key``, ``accession_key``, ``control_key``). The clear accession and control id
stay where an operator looks a message up: the raw archive and the submission record, neither of which is a
Glue table. Error records hold the typed error's code, message and location, never a report body.

Results are plain models here; writing them as Parquet is :mod:`radimpress.adapters.parquet` (pyarrow is
heavy and only the completion and nightly paths import it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from radimpress.errors import RadimpressError

__all__ = [
    "ERROR_COLUMNS",
    "RESULT_COLUMNS",
    "RESULT_FIELDS",
    "SCHEMA_VERSION",
    "ErrorRecord",
    "ResultRecord",
    "Stage",
    "SubmissionRecord",
    "error_key",
    "error_message",
    "incompatible_changes",
    "partition",
    "raw_key",
    "report_key",
    "request_key",
    "result_key",
    "schema_document",
    "sha256_hex",
    "submission_key",
    "utc_day",
]

Stage = Literal["ingest", "inference", "completion"]

#: Version of the result and error schema; raised with every column added (columns are never removed).
SCHEMA_VERSION = 1

_MESSAGE_CHARS = 500  # an error message is a typed error's own text; bounded so a record stays small


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class _ReportFields(_Record):
    """What a submission and its result share: the report's keys and metadata (no patient identity)."""

    inference_id: str
    report_key: str
    # keyed pseudonyms (radimpress.pseudonym) of MSH-10 and the accession: results can be joined and counted
    # per accession without the analytics tables holding it; None when the ingest has no pseudonym key
    control_key: str | None = None
    accession_key: str | None = None
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
    """``submissions/<inference_id>.json``: what was sent for inference, read back at completion.

    Not a Glue table: it keeps the clear control id and accession so an operator can find the message."""

    control_id: str | None = None
    accession: str | None = None
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

    schema_version: int = SCHEMA_VERSION
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
    # CheXpert observation F1 of the draft against the radiologist's impression (radimpress.scoring.
    # observations), when the report carries one: whether the clinical content made it, beside ROUGE.
    observation_f1: float | None = None
    # Fluency problems of the draft (radimpress.language.fluency): comma-separated "kind:word", "" when none.
    fluency: str = ""
    fluency_count: int = 0


#: Column order of the results table (the Parquet schema and the Glue table follow it).
RESULT_FIELDS: tuple[str, ...] = tuple(ResultRecord.model_fields)


class ErrorRecord(_Record):
    """One line of ``errors/dt=YYYY-MM-DD/<error_id>.json``: a message or report that produced no result.

    A Glue table too, so no clear identifier: ``raw_key`` and ``message_id`` lead an operator to the message
    in the raw archive; the keys link it to results of the same report."""

    schema_version: int = SCHEMA_VERSION
    error_id: str
    stage: Stage
    error_type: str
    message: str = Field(max_length=_MESSAGE_CHARS)
    where: str | None = None
    raw_key: str | None = None
    inference_id: str | None = None
    message_id: str | None = None
    occurred_at: AwareDatetime
    # known once the message was read (not for an unreadable one): what operators group failures by
    sending_facility: str | None = None
    control_key: str | None = None
    accession_key: str | None = None

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
        sending_facility: str | None = None,
        control_key: str | None = None,
        accession_key: str | None = None,
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
            sending_facility=sending_facility,
            control_key=control_key,
            accession_key=accession_key,
        )


# Glue (Hive) type of every non-string column; the Parquet writer and the template's tables follow these.
_GLUE_TYPES = {
    "schema_version": "bigint",
    "supersedes_earlier": "boolean",
    "rouge1": "double",
    "rouge2": "double",
    "rougeL": "double",
    "rougeLsum": "double",
    "observation_f1": "double",
    "submitted_at": "timestamp",
    "completed_at": "timestamp",
    "latency_ms": "bigint",
    "flag_count": "bigint",
    "fluency_count": "bigint",
}

#: (name, Glue type) of the results table's columns, in file order.
RESULT_COLUMNS: tuple[tuple[str, str], ...] = tuple((n, _GLUE_TYPES.get(n, "string")) for n in RESULT_FIELDS)
#: (name, Glue type) of the errors table's columns. ``occurred_at`` is an ISO 8601 string in JSON lines
#: (the JSON SerDe does not parse offsets into timestamps); queries parse it.
ERROR_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (n, "bigint" if n == "schema_version" else "string") for n in ErrorRecord.model_fields
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


def schema_document() -> dict[str, object]:
    """The result and error schema as checked in (``docs/records.schema.json``): version and typed columns."""
    return {
        "version": SCHEMA_VERSION,
        "tables": {
            "results": [{"name": n, "type": t} for n, t in RESULT_COLUMNS],
            "errors": [{"name": n, "type": t} for n, t in ERROR_COLUMNS],
        },
    }


def incompatible_changes(published: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What ``current`` removes or retypes of the ``published`` schema (additions are allowed): one line each.

    Athena, QuickSight data sets and saved queries select columns by name, so a removed or retyped column
    breaks them silently on old partitions; an added one is null there and breaks nothing."""
    problems: list[str] = []
    if int(current["version"]) < int(published["version"]):
        problems.append(f"version went down: {published['version']} -> {current['version']}")
    for table, columns in published["tables"].items():
        now = {c["name"]: c["type"] for c in current["tables"].get(table, [])}
        if not now:
            problems.append(f"{table}: table removed")
            continue
        for column in columns:
            name, kind = column["name"], column["type"]
            if name not in now:
                problems.append(f"{table}.{name}: removed")
            elif now[name] != kind:
                problems.append(f"{table}.{name}: retyped {kind} -> {now[name]}")
    return problems
