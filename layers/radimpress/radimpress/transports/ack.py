"""HL7 ACKs built directly as text: the listener's hot path (microseconds, where hl7apy takes milliseconds).

:func:`radimpress.reading.hl7lib.build_ack` builds the same ACK with hl7apy's named fields; the tests hold
the two to the same output, so this module is a fast spelling of that one, not a second opinion of what an
ACK says. What both do:

* the ACK is in the sender's version (MSH-12 echoed) and delimiters (MSH-1/MSH-2 echoed), every segment
  ``\\r``-terminated; MSH-3/MSH-4 name us, MSH-5/MSH-6 answer the sender's MSH-3/MSH-4;
* MSA-2 echoes MSH-10. A message whose MSH-10 cannot be read (no MSH, or an MSH cut short) is answered
  AR: an ACK the sender cannot match to what it sent would be taken for someone else's;
* MSH-15/MSH-16 (accept and application acknowledgment types) choose the mode. Both empty: original
  mode, MSA-1 AA/AE/AR. Either set: enhanced mode, and this is the *accept* acknowledgment, MSA-1
  CA/CE/CR, sent or withheld as MSH-15 asks (AL always, NE never, ER only on an error, SU only on
  success; empty or unknown is AL). The pipeline sends no application acknowledgment: the drafted
  impression comes back later as its own ORU^R01 (see :mod:`radimpress.transports.outbound`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from radimpress.errors import ReportError
from radimpress.reading.hl7.escapes import DEFAULT_DELIMITERS, Delimiters, escape
from radimpress.reading.hl7.header import MessageHeader, read_header
from radimpress.reading.hl7lib import ACK_APPLICATION, error_condition, error_location

__all__ = [
    "AckCode",
    "AckHeader",
    "AckMode",
    "Acknowledgement",
    "ack_modes",
    "ack_text",
    "acknowledge",
    "read_ack_header",
]

AckCode = Literal["AA", "AE", "AR", "CA", "CE", "CR"]
AckMode = Literal["original", "enhanced"]

_ENHANCED: dict[str, AckCode] = {"AA": "CA", "AE": "CE", "AR": "CR"}
_MSH_TAGS = (b"MSH", b"FHS", b"BHS")


@dataclass(frozen=True, slots=True)
class AckHeader:
    """What an ACK needs from the received MSH: the header (None when unreadable) and MSH-15/MSH-16."""

    header: MessageHeader | None
    accept_type: str
    application_type: str

    @property
    def mode(self) -> AckMode:
        return "enhanced" if self.accept_type or self.application_type else "original"

    @property
    def control_id(self) -> str | None:
        return self.header.control_id if self.header else None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The MSA-1 code sent, and the ER7 text (None: enhanced mode, and MSH-15 asked for no answer)."""

    code: AckCode
    text: str | None


def read_ack_header(payload: bytes) -> AckHeader:
    """The received MSH as an ACK reads it; never raises (an unreadable MSH gives ``header=None``)."""
    try:
        header: MessageHeader | None = read_header(payload)
    except ReportError:
        header = None
    accept, application = ack_modes(payload, header.delimiters.field if header else "|")
    return AckHeader(header, accept, application)


def ack_modes(payload: bytes, field: str) -> tuple[str, str]:
    """MSH-15 and MSH-16 of the first segment, upper-cased ("" when absent). Plain codes, read raw."""
    start = payload.find(b"MSH", 0, 64)
    if start < 0:
        return "", ""
    end = len(payload)
    for terminator in (b"\r", b"\n"):
        found = payload.find(terminator, start)
        if 0 <= found < end:
            end = found
    fields = payload[start:end].decode("latin-1").split(field)
    # fields[0] is "MSH", so MSH-n (n >= 2) is fields[n - 1]
    accept = fields[14].strip().upper() if len(fields) > 14 else ""
    application = fields[15].strip().upper() if len(fields) > 15 else ""
    return accept, application


def _wanted(accept_type: str, code: AckCode) -> bool:
    if accept_type == "NE":
        return False
    if accept_type == "ER":
        return code != "CA"
    if accept_type == "SU":
        return code == "CA"
    return True


def acknowledge(
    received: AckHeader,
    code: Literal["AA", "AE", "AR"],
    *,
    error: ReportError | None = None,
    sending_facility: str | None = None,
    control_id: str | None = None,
    now: datetime | None = None,
) -> Acknowledgement:
    """The ACK for a message read as ``received`` (see the module docstring)."""
    final: AckCode = _ENHANCED[code] if received.mode == "enhanced" else code
    if received.mode == "enhanced" and not _wanted(received.accept_type, final):
        return Acknowledgement(final, None)
    return Acknowledgement(
        final,
        ack_text(
            received.header,
            final,
            error=error,
            sending_facility=sending_facility,
            control_id=control_id,
            now=now,
        ),
    )


def ack_text(
    header: MessageHeader | None,
    code: AckCode,
    *,
    error: ReportError | None = None,
    sending_facility: str | None = None,
    control_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """The ER7 text of an ACK (the same as :func:`radimpress.reading.hl7lib.build_ack` builds)."""
    d: Delimiters = header.delimiters if header else DEFAULT_DELIMITERS
    f, c = d.field, d.component
    version = (header.version if header else None) or "2.5"
    # structure from 2.3.1; versions we cannot compare are taken as recent
    numbers = _numbers(version)
    trigger = header.trigger_event if header else None
    msh9 = "ACK"
    if trigger:
        msh9 += f"{c}{escape(trigger, d)}" + (f"{c}ACK" if numbers >= (2, 3, 1) else "")
    encoding = d.component + d.repetition + d.escape + d.subcomponent + d.truncation
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    msh = [
        "MSH",
        encoding,
        escape(ACK_APPLICATION, d),
        escape(sending_facility, d) if sending_facility else "",
        escape(header.sending_application, d) if header and header.sending_application else "",
        escape(header.sending_facility, d) if header and header.sending_facility else "",
        stamp,
        "",
        msh9,
        escape(control_id or uuid.uuid4().hex[:20].upper(), d),
        escape((header.processing_id if header else None) or "P", d),
        escape(version, d),
    ]
    msa = ["MSA", code, escape(header.control_id, d) if header and header.control_id else ""]
    segments = [msh, msa]
    if error is not None:
        msa.append(escape(str(error)[:80], d))
        segments.append(_err(error, d, numbers))
    return "".join(f.join(_trimmed(segment)) + "\r" for segment in segments)


def _err(error: ReportError, d: Delimiters, numbers: tuple[int, ...]) -> list[str]:
    condition, text = error_condition(error)
    location = error_location(error.where)
    c, s = d.component, d.subcomponent
    if numbers >= (2, 5):
        where = f"{location[0]}{c}1{c}{location[1]}" if location else ""
        return ["ERR", "", where, f"{condition}{c}{escape(text, d)}{c}HL70357", "E", "", "", "",
                escape(str(error)[:250], d)]  # fmt: skip
    segment, field = location or ("", "")
    code = f"{condition}{s}{escape(text, d)}{s}HL70357"
    return ["ERR", f"{segment}{c}{'1' if segment else ''}{c}{field}{c}{code}"]


def _trimmed(fields: list[str]) -> list[str]:
    while fields and not fields[-1]:
        fields = fields[:-1]
    return fields


def _numbers(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (2, 9)
