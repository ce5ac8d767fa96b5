"""Value objects of the domain core: a report's sections and its metadata.

Plain frozen dataclasses with slots rather than pydantic models: a report is built on the hot path
(thousands per second) from already-validated parts, and nothing here is read from the outside world.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "SECTION_NAMES",
    "DraftContext",
    "Report",
    "ResultStatus",
    "SectionName",
    "Sections",
    "TextBlock",
]

SectionName = Literal["indication", "comparison", "technique", "findings", "impression", "addendum", "other"]
SECTION_NAMES: tuple[SectionName, ...] = (
    "indication",
    "comparison",
    "technique",
    "findings",
    "impression",
    "addendum",
    "other",
)


class ResultStatus(StrEnum):
    """OBR-25 / OBX-11 result status codes (HL7 table 0123 / 0085) that matter for drafting."""

    PRELIMINARY = "P"
    FINAL = "F"
    CORRECTED = "C"
    ADDENDED = "A"
    CANCELLED = "X"
    RESULTS_PENDING = "I"
    SCHEDULED = "S"
    RESULTS_STORED = "R"


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A run of report text and, when the sender coded it (OBX-3), the section it belongs to."""

    text: str
    hint: SectionName | None = None


@dataclass(frozen=True, slots=True)
class Sections:
    """The report split into sections; ``None`` where the report has no such section."""

    indication: str | None = None
    comparison: str | None = None
    technique: str | None = None
    findings: str | None = None
    impression: str | None = None
    addendum: str | None = None
    other: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in SECTION_NAMES}


@dataclass(frozen=True, slots=True)
class Report:
    """One radiology report as read from a feed. Holds no patient identity, only ``patient_key``."""

    source: str
    format: Literal["hl7", "text"]
    sections: Sections
    message_type: str | None = None
    control_id: str | None = None
    version: str | None = None
    message_time: str | None = None
    sending_application: str | None = None
    sending_facility: str | None = None
    accession: str | None = None
    procedure_code: str | None = None
    procedure_text: str | None = None
    observation_time: str | None = None
    status: str | None = None
    interpreter: str | None = None
    patient_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def procedure(self) -> str | None:
        if self.procedure_code and self.procedure_text:
            return f"{self.procedure_code}^{self.procedure_text}"
        return self.procedure_text or self.procedure_code

    @property
    def supersedes_earlier(self) -> bool:
        """A corrected result replaces the earlier result for the same accession."""
        return self.status == ResultStatus.CORRECTED

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI / record shape: metadata plus sections, ``None`` where absent."""
        return {
            "source": self.source,
            "message_type": self.message_type,
            "control_id": self.control_id,
            "accession": self.accession,
            "status": self.status,
            "procedure": self.procedure,
            "interpreter": self.interpreter,
            "sections": self.sections.as_dict(),
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DraftContext:
    """What a report says besides its findings, for engines that can use it. Every field is optional."""

    procedure_code: str | None = None
    procedure_text: str | None = None
    interpreter: str | None = None
    indication: str | None = None
    comparison: str | None = None
