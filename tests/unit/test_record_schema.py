"""The result and error schema is versioned and only grows: docs/records.schema.json is its published form."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from radimpress.local.cfn_yaml import load_template
from radimpress.pipeline.records import (
    ERROR_COLUMNS,
    RESULT_COLUMNS,
    SCHEMA_VERSION,
    ErrorRecord,
    ResultRecord,
    incompatible_changes,
    schema_document,
)
from tests.fakes import make_result

REPO = Path(__file__).resolve().parents[2]
PUBLISHED: dict[str, Any] = json.loads((REPO / "docs" / "records.schema.json").read_text(encoding="utf-8"))
TEMPLATE = load_template(REPO / "template.yaml")


def glue_columns(logical_id: str) -> list[tuple[str, str]]:
    table = TEMPLATE["Resources"][logical_id]["Properties"]["TableInput"]
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def test_the_code_removes_and_retypes_nothing_the_published_schema_has() -> None:
    # Given the checked-in schema, When compared with the records' schema, Then nothing was removed or retyped
    assert incompatible_changes(PUBLISHED, schema_document()) == []


def test_the_published_schema_is_the_current_one() -> None:
    # Given the records' schema, Then the checked-in file holds it (an added column is added there, with
    # SCHEMA_VERSION raised, in the same commit)
    assert schema_document() == PUBLISHED, "update docs/records.schema.json and raise SCHEMA_VERSION"
    assert PUBLISHED["version"] == SCHEMA_VERSION


def test_a_removed_or_retyped_column_or_a_lower_version_is_reported() -> None:
    # Given the published schema with a column added, one removed and one retyped, and the version lowered
    changed = copy.deepcopy(PUBLISHED)
    results = changed["tables"]["results"]
    results.append({"name": "new_metric", "type": "double"})
    results[:] = [c for c in results if c["name"] != "latency_ms"]
    next(c for c in results if c["name"] == "rougeL")["type"] = "string"
    changed["version"] = PUBLISHED["version"] - 1
    del changed["tables"]["errors"]
    # When compared
    problems = incompatible_changes(PUBLISHED, changed)
    # Then each incompatibility is named, and the addition is not one
    assert problems == [
        f"version went down: {PUBLISHED['version']} -> {PUBLISHED['version'] - 1}",
        "results.rougeL: retyped double -> string",
        "results.latency_ms: removed",
        "errors: table removed",
    ]


def test_the_glue_tables_are_the_schema() -> None:
    assert glue_columns("ResultsTable") == list(RESULT_COLUMNS)
    assert glue_columns("ErrorsTable") == list(ERROR_COLUMNS)


def test_the_analytics_tables_hold_no_clear_accession_or_control_id() -> None:
    # Given the columns of both Glue tables
    names = {name for name, _ in (*RESULT_COLUMNS, *ERROR_COLUMNS)}
    # Then the accession and control id are there only as keyed pseudonyms
    assert not names & {"accession", "control_id", "patient_id", "mrn"}
    assert {"accession_key", "control_key", "patient_key"} <= names


def test_every_record_says_its_schema_version() -> None:
    assert make_result("a" * 32, None).schema_version == SCHEMA_VERSION
    assert ErrorRecord.model_fields["schema_version"].default == SCHEMA_VERSION
    assert ResultRecord.model_fields["observation_f1"].default is None  # declared, not yet computed
