"""What reading a rendered message should give, and how a reader's result is compared with it.

:func:`expected_for` derives the expectation from the same envelope the renderer used; the comparisons
collapse whitespace (the line breaks wrapping added) and nothing else.
"""

from __future__ import annotations

from typing import TypedDict

from radimpress.datasets.samplefeed.identities import envelope
from radimpress.datasets.samplefeed.reports import ReportLike
from radimpress.datasets.samplefeed.shape import Shape
from radimpress.datasets.samplefeed.text import SECTION_ORDER, section_text
from radimpress.reading.model import Report

__all__ = ["Expected", "collapse_whitespace", "expected_for", "metadata_mismatches", "section_mismatches"]


class Expected(TypedDict):
    """What a reader should get back from one rendered message."""

    iu_id: str
    message_type: str | None  # the first two components of MSH-9, e.g. "ORU^R01"
    control_id: str | None
    accession: str | None
    status: str | None
    procedure_code: str | None
    procedure_text: str | None
    interpreter_family: str | None  # the reader may format the whole name its own way
    indication: str | None
    comparison: str | None
    findings: str | None
    impression: str | None


def expected_for(
    report: ReportLike,
    shape: Shape,
    *,
    index: int,
    status: str = "F",
    accession: str | None = None,
) -> Expected:
    """What reading ``render(report, shape, index=index, ...)`` should give (one message)."""
    sections = {name: section_text(report, name) for name in SECTION_ORDER}
    iu_id = str(report.get("id") or "")
    if shape is Shape.TEXT:
        return Expected(
            iu_id=iu_id,
            message_type=None,
            control_id=None,
            accession=None,
            status=None,
            procedure_code=None,
            procedure_text=None,
            interpreter_family=None,
            indication=sections["indication"],
            comparison=sections["comparison"],
            findings=sections["findings"],
            impression=sections["impression"],
        )
    env = envelope(index, status, accession, shape)
    message_type = {Shape.MDM_T02: "MDM^T02", Shape.ORF_R04: "ORF^R04"}.get(shape, "ORU^R01")
    return Expected(
        iu_id=iu_id,
        message_type=message_type,
        control_id=env.control_id,
        accession=env.accession,
        status=status,
        procedure_code=env.procedure[0],
        procedure_text=env.procedure[1],
        interpreter_family=env.interpreter[1],
        indication=sections["indication"],
        comparison=sections["comparison"],
        findings=sections["findings"],
        impression=sections["impression"],
    )


def collapse_whitespace(text: str | None) -> str | None:
    """The comparison form of a section: runs of whitespace (line breaks from wrapping) as one space."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def section_mismatches(report: Report, expected: Expected) -> list[str]:
    """The sections among findings and impression whose text differs from the source, whitespace collapsed."""
    return [
        name
        for name in ("findings", "impression")
        if collapse_whitespace(getattr(report.sections, name)) != collapse_whitespace(expected[name])
    ]


def metadata_mismatches(report: Report, expected: Expected) -> list[str]:
    """The metadata fields whose value differs from what the message carried."""
    got_type = "^".join((report.message_type or "").split("^")[:2]) or None
    checks = {
        "message_type": got_type == expected["message_type"],
        "control_id": report.control_id == expected["control_id"],
        "accession": report.accession == expected["accession"],
        "status": report.status == expected["status"],
        "procedure_code": report.procedure_code == expected["procedure_code"],
        "procedure_text": report.procedure_text == expected["procedure_text"],
        "interpreter": (
            report.interpreter is None
            if expected["interpreter_family"] is None
            else expected["interpreter_family"] in (report.interpreter or "")
        ),
    }
    return [name for name, ok in checks.items() if not ok]
