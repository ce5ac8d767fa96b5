"""The one module that imports an HL7 library (hl7apy): ACKs, drafts back as ORU^R01, strict validation.

Where hl7apy serves, and where it does not (measured on this project's 3.3-KB ORU^R01 fixtures):

* It is good at *building* messages with named fields (``msh.msh_10``, ``msa.msa_1``) for the version we
  answer in, so the ACK below is built with it rather than by string concatenation.
* It is not our reader. Parsing takes about 25 ms and ~800 KiB per message (our split-based reader in
  :mod:`radimpress.reading.hl7` takes tens of microseconds); it rejects MSH-12 ``2.4.1``, ``2.6.1``, ``2.9``
  and an empty version, which real feeds send; with its default ``find_groups=True`` it silently drops Z-, DG1
  and MSA segments and, on CRLF-terminated input, everything after MSH; it has no unescape; and in strict
  mode it rejects most real messages (a long FT report exceeds a length limit, a local OBX-3 code has a
  subcomponent, a name sits in a date field). python-hl7 is tolerant but still about 1.4 ms per message,
  far from the >= 10,000 reports/s (parse + sections) the hot path needs. So the hot path never imports
  an HL7 library; :func:`validate_strict` is an opt-in diagnostic for interface analysts, not a gate.

Nothing here logs or returns message content: ACK texts are our own error messages (no field values) and
strict-validation problems are reduced to structure, because hl7apy's own messages can quote field values,
patient data included.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from hl7apy import exceptions as hl7apy_exceptions
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message as hl7apy_parse_message

from radimpress.errors import (
    EncodingError,
    NoFindingsError,
    NoReportTextError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.reading.hl7.escapes import DEFAULT_DELIMITERS, Delimiters, escape
from radimpress.reading.hl7.header import MessageHeader, read_header
from radimpress.reading.hl7.segments import split_messages

__all__ = [
    "ACK_APPLICATION",
    "IMPRESSION_CODE",
    "AckCode",
    "ack_code_for",
    "build_ack",
    "build_draft_oru",
    "error_condition",
    "error_location",
    "read_draft_oru",
    "validate_strict",
]

AckCode = Literal["AA", "AE", "AR", "CA", "CE", "CR"]

#: MSH-3 of every message radimpress sends.
ACK_APPLICATION = "RADIMPRESS"

# Versions hl7apy ships structures for, oldest first; an ACK is built in the newest one not above the
# sender's version (2.4.1 -> 2.4, 2.9 -> 2.8.2) and MSH-12 then echoes the sender's own version.
_HL7APY_VERSIONS = ("2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "2.8.1", "2.8.2")
_FALLBACK_VERSION = "2.5"

# HL7 table 0357 (message error condition codes) for each of our errors.
_ERROR_CONDITIONS: dict[type[ReportError], tuple[str, str]] = {
    UnreadableMessageError: ("100", "Segment sequence error"),
    EncodingError: ("102", "Data type error"),
    UnsupportedMessageTypeError: ("200", "Unsupported message type"),
    NoReportTextError: ("101", "Required field missing"),
    NoFindingsError: ("207", "Application internal error"),
}

# hl7apy exceptions whose text names only structure (segment, field, version), never a value.
_STRUCTURAL_EXCEPTIONS: tuple[type[Exception], ...] = (
    hl7apy_exceptions.ValidationError,
    hl7apy_exceptions.UnsupportedVersion,
    hl7apy_exceptions.ChildNotFound,
    hl7apy_exceptions.ChildNotValid,
    hl7apy_exceptions.MaxChildLimitReached,
    hl7apy_exceptions.InvalidName,
    hl7apy_exceptions.InvalidEncodingChars,
    hl7apy_exceptions.InvalidDataType,
)


def ack_code_for(error: ReportError | None) -> AckCode:
    """MSA-1 for an outcome: AA accepted; AR rejected as a message (unreadable, bad charset, not a
    result type); AE accepted as a message but its content is unusable (no text, no findings)."""
    if error is None:
        return "AA"
    if isinstance(error, UnreadableMessageError | EncodingError | UnsupportedMessageTypeError):
        return "AR"
    return "AE"


def _version_for(received: str | None) -> str:
    if not received:
        return _FALLBACK_VERSION
    if received in _HL7APY_VERSIONS:
        return received
    try:
        wanted = tuple(int(part) for part in received.split("."))
    except ValueError:
        return _FALLBACK_VERSION
    candidates = [v for v in _HL7APY_VERSIONS if not _at_least(v, *wanted)]  # v < wanted
    return candidates[-1] if candidates else _HL7APY_VERSIONS[0]


def _at_least(version: str, *wanted: int) -> bool:
    return tuple(int(part) for part in version.split(".")) >= wanted


def error_condition(error: ReportError) -> tuple[str, str]:
    """The HL7 table 0357 condition (code, text) that ERR reports for ``error``."""
    return _ERROR_CONDITIONS.get(type(error), ("207", "Application internal error"))


def error_location(where: str | None) -> tuple[str, str] | None:
    """``"OBX-5"`` -> ``("OBX", "5")``; None for byte offsets and other non-field locations."""
    if not where:
        return None
    segment, _, field = where.partition("-")
    if len(segment) == 3 and segment.isalnum() and segment.isupper() and field.isdigit():
        return segment, field
    return None


def _timestamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


def _header_or_none(received: bytes | str) -> MessageHeader | None:
    try:
        return read_header(received)
    except ReportError:
        return None  # still acknowledge (AR): the sender must learn the message was refused


def build_ack(
    received: bytes | str,
    *,
    error: ReportError | None = None,
    code: AckCode | None = None,
    control_id: str | None = None,
    now: datetime | None = None,
    sending_application: str = ACK_APPLICATION,
    sending_facility: str | None = None,
) -> str:
    """An HL7 ACK for ``received``: ER7 text, every segment ``\\r``-terminated, no MLLP framing.

    In the sender's delimiters (MSH-1/MSH-2) and version (MSH-12). MSH-5/MSH-6 answer the sender's
    MSH-3/MSH-4 (their namespace ids), MSA-2 echoes its MSH-10, MSH-9 is ``ACK^<trigger>^ACK``. ``code``
    defaults to :func:`ack_code_for` of ``error``; an error adds MSA-3 (its text) and ERR (table 0357
    condition and, when it names a field, the location: ERR-2 from v2.5, ERR-1 before). An unreadable
    ``received`` still gets an ACK with the MSH fields it lacks left empty. The listener's hot path builds
    the same text directly (:mod:`radimpress.transports.ack`); the tests hold the two together.
    """
    header = _header_or_none(received)
    ack_code = code or ack_code_for(error)
    received_version = header.version if header else None
    version = _version_for(received_version)
    trigger = header.trigger_event if header else None
    d = header.delimiters if header else DEFAULT_DELIMITERS

    def esc(text: str) -> str:
        return escape(text, d)

    encoding = {
        "FIELD": d.field,
        "COMPONENT": d.component,
        "REPETITION": d.repetition,
        "ESCAPE": d.escape,
        "SUBCOMPONENT": d.subcomponent,
        "GROUP": "\r",
        "SEGMENT": "\r",
    }
    ack = Message("ACK", version=version, validation_level=VALIDATION_LEVEL.TOLERANT, encoding_chars=encoding)
    msh = ack.msh
    msh.msh_2 = d.component + d.repetition + d.escape + d.subcomponent + d.truncation
    msh.msh_3 = esc(sending_application)
    if sending_facility:
        msh.msh_4 = esc(sending_facility)
    if header and header.sending_application:
        msh.msh_5 = esc(header.sending_application)
    if header and header.sending_facility:
        msh.msh_6 = esc(header.sending_facility)
    msh.msh_7 = _timestamp(now)
    c = d.component
    if trigger:  # message structure (MSH-9.3) exists from v2.3.1
        structure = f"{c}ACK" if _at_least(version, 2, 3, 1) else ""
        msh.msh_9 = f"ACK{c}{esc(trigger)}{structure}"
    else:
        msh.msh_9 = "ACK"
    msh.msh_10 = esc(control_id or uuid.uuid4().hex[:20].upper())
    msh.msh_11 = esc((header.processing_id if header else None) or "P")
    msh.msh_12 = esc(received_version or version)

    msa = ack.msa
    msa.msa_1 = ack_code
    if header and header.control_id:
        msa.msa_2 = esc(header.control_id)
    if error is not None:
        msa.msa_3 = esc(str(error)[:80])
        _add_err(ack, error, version, d)
    return str(ack.to_er7()).rstrip("\r") + "\r"


def _add_err(ack: Message, error: ReportError, version: str, d: Delimiters) -> None:
    condition, condition_text = error_condition(error)
    location = error_location(error.where)
    c, sub = d.component, d.subcomponent
    err = ack.add_segment("ERR")
    if _at_least(version, 2, 5):
        if location:
            err.err_2 = f"{location[0]}{c}1{c}{location[1]}"
        err.err_3 = f"{condition}{c}{escape(condition_text, d)}{c}HL70357"
        err.err_4 = "E"
        err.err_8 = escape(str(error)[:250], d)
    else:
        segment, field = location or ("", "")
        code = f"{condition}{sub}{escape(condition_text, d)}{sub}HL70357"
        err.err_1 = f"{segment}{c}{'1' if segment else ''}{c}{field}{c}{code}"


def validate_strict(message: bytes | str) -> list[str]:
    """Problems hl7apy's strict validation finds in ``message``; ``[]`` when it passes.

    Opt-in diagnostics (for onboarding a new feed), never on the hot path: most real messages fail it
    for reasons :mod:`radimpress.reading.hl7` tolerates. Problems name structure only, never field values.
    The message is normalised first (BOM, MLLP, CRLF/LF) so hl7apy sees what our reader sees.
    """
    try:
        messages = split_messages(message)
    except ReportError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    if len(messages) != 1:
        return [f"expected one message, payload holds {len(messages)}"]
    try:
        parsed = hl7apy_parse_message(messages[0], validation_level=VALIDATION_LEVEL.STRICT)
        parsed.validate()
    except _STRUCTURAL_EXCEPTIONS as exc:
        return [f"{type(exc).__name__}: {exc}"]
    except hl7apy_exceptions.MaxLengthReached as exc:
        return [f"MaxLengthReached: a value exceeds its maximum length of {exc.limit}"]
    except Exception as exc:  # noqa: BLE001 - third-party parser: any failure is a finding, not a crash
        return [f"{type(exc).__name__}: invalid value (content withheld)"]
    return []


#: LOINC 19005-8, "Radiology Imaging study [Impression] (narrative)": the OBX-3 of a drafted impression
#: unless the site configures its own code.
IMPRESSION_CODE = ("19005-8", "Impression", "LN")
_ORU_VERSION = "2.5.1"


def build_draft_oru(
    *,
    draft: str,
    control_id: str,
    accession: str | None,
    placer_order: str | None = None,
    procedure_code: str | None = None,
    procedure_text: str | None = None,
    receiving_application: str | None = None,
    receiving_facility: str | None = None,
    original_control_id: str | None = None,
    flags: Sequence[str] = (),
    engine: str,
    model_id: str,
    observation_code: tuple[str, str, str] = IMPRESSION_CODE,
    processing_id: str = "P",
    now: datetime | None = None,
) -> str:
    """A drafted impression as an ORU^R01 (v2.5.1) back to the reporting system: ER7, ``\\r`` after each
    segment, no MLLP framing.

    The order is the original one (ORC-2/OBR-2 placer, ORC-3/OBR-3 filler = the accession) so the
    reporting system files the draft with its study; OBR-25 and OBX-11 are ``P`` (preliminary: a draft
    for the radiologist, never a final result); OBX-3 is ``observation_code`` (LOINC 19005-8 unless the
    site has its own), OBX-5 the draft (one OBX per line), OBX-17 the engine and model. NTE
    segments after the OBX carry each safety flag and a note naming the engine and the message drafted
    from. No PID: radimpress keeps no patient identity, and the order numbers identify the study.
    """
    d = DEFAULT_DELIMITERS

    def esc(text: str | None) -> str:
        return escape(text or "", d)

    oru = Message("ORU_R01", version=_ORU_VERSION, validation_level=VALIDATION_LEVEL.TOLERANT)
    msh = oru.msh
    msh.msh_3 = esc(ACK_APPLICATION)
    if receiving_application:
        msh.msh_5 = esc(receiving_application)
    if receiving_facility:
        msh.msh_6 = esc(receiving_facility)
    msh.msh_7 = _timestamp(now)
    msh.msh_9 = "ORU^R01^ORU_R01"
    msh.msh_10 = esc(control_id)
    msh.msh_11 = esc(processing_id)
    msh.msh_12 = _ORU_VERSION
    order = oru.add_group("ORU_R01_PATIENT_RESULT").add_group("ORU_R01_ORDER_OBSERVATION")
    orc = order.add_segment("ORC")
    orc.orc_1 = "RE"
    if placer_order:
        orc.orc_2 = esc(placer_order)
    if accession:
        orc.orc_3 = esc(accession)
    obr = order.add_segment("OBR")
    obr.obr_1 = "1"
    if placer_order:
        obr.obr_2 = esc(placer_order)
    if accession:
        obr.obr_3 = esc(accession)
    if procedure_code or procedure_text:
        obr.obr_4 = f"{esc(procedure_code)}^{esc(procedure_text)}"
    obr.obr_7 = _timestamp(now)
    obr.obr_25 = "P"
    # one OBX per line (hl7apy would escape a \.br\ formatting command in the value)
    lines = [line.strip() for line in draft.strip().splitlines() if line.strip()] or [""]
    for number, line in enumerate(lines, start=1):
        observation = order.add_group("ORU_R01_OBSERVATION")
        obx = observation.add_segment("OBX")
        obx.obx_1 = str(number)
        obx.obx_2 = "TX"
        obx.obx_3 = "^".join(esc(part) for part in observation_code)
        obx.obx_5 = esc(line)
        obx.obx_11 = "P"
        obx.obx_14 = _timestamp(now)
        obx.obx_17 = f"{esc(engine)}^{esc(model_id)}"
    notes = [f"safety flag: {flag}" for flag in flags]
    origin = f" from message {original_control_id}" if original_control_id else ""
    notes.append(f"machine-drafted impression{origin} by {engine} ({model_id}): preliminary, for review")
    for number, text in enumerate(notes, start=1):
        nte = observation.add_segment("NTE")
        nte.nte_1 = str(number)
        nte.nte_2 = "L"
        nte.nte_3 = esc(text)
    return str(oru.to_er7()).rstrip("\r") + "\r"


def read_draft_oru(message: str) -> dict[str, object]:
    """What :func:`build_draft_oru` put in ``message``, read back with hl7apy (for tests and checks)."""
    parsed = hl7apy_parse_message(message.replace("\r\n", "\r"), find_groups=True)
    order = parsed.oru_r01_patient_result.oru_r01_order_observation
    observations = list(order.oru_r01_observation)
    obx = [observation.obx for observation in observations]
    return {
        "message_type": parsed.msh.msh_9.to_er7(),
        "control_id": parsed.msh.msh_10.to_er7(),
        "placer_order": order.obr.obr_2.to_er7(),
        "accession": order.obr.obr_3.to_er7(),
        "result_status": order.obr.obr_25.to_er7(),
        "code": obx[0].obx_3.to_er7(),
        "draft": "\n".join(segment.obx_5.to_er7() for segment in obx),
        "observation_status": {segment.obx_11.to_er7() for segment in obx},
        "method": obx[0].obx_17.to_er7(),
        "notes": [nte.nte_3.to_er7() for nte in observations[-1].nte],
    }
