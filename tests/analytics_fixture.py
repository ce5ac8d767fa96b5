"""A small, hand-countable results/errors mirror: the fixture the SQL, dashboard and browser tests share.

Four results over two days and three error records, laid out as the bucket is (``<mirror>/bucket/results/
dt=.../*.parquet``, ``errors/dt=.../*.json``), with the Glue tables' columns. Every expected figure in the
tests is counted by hand from the rows below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from radimpress.adapters.parquet import write_results
from radimpress.local.query import GlueTable, connect
from radimpress.pipeline.records import ERROR_COLUMNS, RESULT_COLUMNS, ErrorRecord, ResultRecord

DATABASE = "radimpress_test"
E1 = "sagemaker:radimpress-ep"
E2 = "embedded:consensus"
CHEST, HEAD = "XR CHEST 2 VIEWS", "CT HEAD WO CONTRAST"
RAD_A, RAD_B = "TESTRAD-ASH^AVA", "TESTRAD-BEE^BO"


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2024, 1, day, hour, minute, tzinfo=UTC)


def result(
    name: str,
    submitted: datetime,
    completed: datetime,
    *,
    engine: str,
    exam: str,
    radiologist: str,
    rouge: tuple[float, float, float, float] | None,
    flags: tuple[str, ...] = (),
    observation_f1: float | None = None,
) -> ResultRecord:
    rouge1, rouge2, rouge_l, rouge_lsum = rouge if rouge else (None, None, None, None)
    return ResultRecord(
        inference_id=name * 32,
        report_key=name * 32,
        control_key=f"c{name * 23}",
        accession_key=f"a{name * 23}",
        status="F",
        patient_key="p" * 24,
        procedure_text=exam,
        interpreter=radiologist,
        sending_facility="IUSAMPLE",
        message_type="ORU^R01",
        raw_key=f"raw/{name * 2}/{name * 64}",
        findings=f"Findings of report {name}.",
        draft=f"Draft impression {name}.",
        reference_impression=f"Radiologist impression {name}." if rouge else None,
        rouge1=rouge1,
        rouge2=rouge2,
        rougeL=rouge_l,
        rougeLsum=rouge_lsum,
        engine=engine,
        model_id="test-model",
        submitted_at=submitted,
        completed_at=completed,
        latency_ms=round((completed - submitted).total_seconds() * 1000),
        flags=",".join(flags),
        flag_count=len(flags),
        observation_f1=observation_f1,
    )


RESULTS = (
    # 2024-01-02: three drafts by the SageMaker engine, one unscored; two flagged (three flags)
    result(
        "a", at(2, 8, 50), at(2, 9, 10), engine=E1, exam=CHEST, radiologist=RAD_A, rouge=(0.5, 0.25, 0.5, 0.5)
    ),
    result(
        "b",
        at(2, 9, 20),
        at(2, 9, 30),
        engine=E1,
        exam=CHEST,
        radiologist=RAD_B,
        rouge=(1.0, 1.0, 1.0, 1.0),
        flags=("laterality_conflict",),
    ),
    result(
        "c",
        at(2, 9, 40),
        at(2, 10, 5),
        engine=E1,
        exam=HEAD,
        radiologist=RAD_A,
        rouge=None,
        flags=("laterality_conflict", "unsupported_comparison"),
    ),
    # 2024-01-03: one draft by the embedded engine, the only one with an observation F1
    result(
        "d",
        at(3, 11, 0),
        at(3, 11, 1),
        engine=E2,
        exam=HEAD,
        radiologist=RAD_B,
        rouge=(0.2, 0.0, 0.1, 0.1),
        observation_f1=0.8,
    ),
)


def error(name: str, stage: str, error_type: str, occurred: datetime, facility: str | None) -> ErrorRecord:
    return ErrorRecord.build(
        stage=stage,  # type: ignore[arg-type]
        error_type=error_type,
        message=f"{error_type} happened",
        occurred_at=occurred,
        identity=name,
        raw_key=f"raw/{name * 2}/{name * 64}",
        sending_facility=facility,
    )


ERRORS = (
    error("e", "ingest", "no_findings", at(2, 9, 0), "IUSAMPLE"),
    error("f", "ingest", "bad_encoding", at(2, 9, 15), None),
    error("g", "inference", "inference_failed", at(3, 12, 0), "IUSAMPLE"),
)

TABLES = (
    GlueTable("results", "s3://bucket/results/", "parquet", RESULT_COLUMNS, (("dt", "string"),)),
    GlueTable("errors", "s3://bucket/errors/", "json", ERROR_COLUMNS, (("dt", "string"),)),
)


def write_mirror(root: Path) -> Path:
    """The fixture's objects under ``root/bucket/``, one results file per day and one line per error."""
    for day in sorted({r.completed_at.date() for r in RESULTS}):
        folder = root / "bucket" / "results" / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = [r for r in RESULTS if r.completed_at.date() == day]
        (folder / "batch-1.parquet").write_bytes(write_results(rows))
    for record in ERRORS:
        folder = root / "bucket" / "errors" / f"dt={record.occurred_at.date().isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{record.error_id}.json").write_bytes(record.to_json_line())
    return root


def connect_fixture(root: Path) -> duckdb.DuckDBPyConnection:
    return connect(TABLES, write_mirror(root), database=DATABASE)
