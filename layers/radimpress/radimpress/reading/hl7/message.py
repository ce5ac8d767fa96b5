"""One HL7 v2 result message (ORU, ORF, MDM) to a :class:`~radimpress.reading.model.Report`.

A single pass over the segments collects the report text from OBX-5 (text and coded value types) and NTE-3
as :class:`~radimpress.reading.model.TextBlock` runs hinted by OBX-3, hands them to the section splitter,
and reads the metadata from MSH, OBR (accession, procedure, status, interpreter), ORC, TXA (MDM documents)
and PID, which becomes a keyed pseudonym or nothing.
"""

from __future__ import annotations

from radimpress.errors import (
    NoFindingsError,
    NoReportTextError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.pseudonym import pseudonymize
from radimpress.reading.hl7.decoding import codec_for
from radimpress.reading.hl7.escapes import Delimiters, unescape
from radimpress.reading.hl7.fields import coded_text, field, leaf, person
from radimpress.reading.hl7.fields import component as _component  # `_read` has a local component
from radimpress.reading.hl7.header import header as _header  # `_read` has a local header
from radimpress.reading.hl7.header import prepare
from radimpress.reading.hl7.hints import BODY, Hint
from radimpress.reading.hl7.hints import hint as _hint  # `_read` has a local hint
from radimpress.reading.hl7.segments import all_segments, segments
from radimpress.reading.model import Report, TextBlock
from radimpress.reading.sections.split import BodyBlock, split_sections

__all__ = ["MAX_REPORT_TEXT_CHARS", "SUPPORTED_MESSAGE_TYPES", "parse_message"]


#: Result messages radimpress drafts from (MSH-9.1); every trigger event is accepted, text decides.
SUPPORTED_MESSAGE_TYPES = frozenset({"ORU", "ORF", "MDM"})
#: A radiology report is a few KB; more narrative than this is a feed fault, not a report.
MAX_REPORT_TEXT_CHARS = 1_000_000


_TEXT_TYPES = frozenset({"TX", "FT", "ST", "", "TEXT", "TXT"})
_CODED_TYPES = frozenset({"CE", "CWE", "CNE", "CF"})
_STATUS_WORDS = {
    "FINAL": "F",
    "PRELIMINARY": "P",
    "PRELIM": "P",
    "CORRECTED": "C",
    "CORRECTION": "C",
    "ADDENDED": "A",
    "ADDENDUM": "A",
    "CANCELLED": "X",
    "CANCELED": "X",
}
# TXA-17 document completion status (HL7 table 0271) -> result status.
_TXA_STATUS = {"AU": "F", "LA": "F", "PA": "P", "IP": "P", "DI": "P", "DO": "P", "IN": "P"}


def _status(raw: str, component: str) -> str | None:
    """OBR-25 / OBX-11 code, upper-cased; the words some senders spell out mapped to their codes."""
    status = raw.split(component, 1)[0].strip().upper()
    if not status:
        return None
    return _STATUS_WORDS.get(status, status)


class _NotSegments(Exception):
    """A line that is not a segment: the message needs `segments` (raised only while reading lines)."""


def parse_message(message: str, *, source: str, pseudonym_key: bytes | None = None) -> Report:
    """One HL7 v2 result message (ORU, ORF, MDM) -> a :class:`Report` with sections and metadata.

    Raises only :class:`ReportError` subclasses, each saying where: unreadable MSH (MSH-1/MSH-2/MSH-9),
    unsupported message type (MSH-9), no report text (OBX-5), no findings (OBX-5), too much text (OBX-5).
    Patient identity never reaches the report: PID-3 becomes ``patient_key`` (keyed HMAC) or nothing.
    """
    try:
        return _parse(message, source, pseudonym_key)
    except ReportError:
        raise
    except Exception as exc:  # a defect here must still surface as a typed, attributable error
        raise UnreadableMessageError(
            f"unreadable HL7 message ({type(exc).__name__})", where="message"
        ) from exc


def _parse(message: str, source: str, pseudonym_key: bytes | None) -> Report:
    # The segment loop reads the lines as they are and checks on the way that each is a segment (one pass
    # instead of two); a line that is not one, a continuation inside OBX-5, sends the message to
    # `segments` and the read starts over. What a first read raised counts only if every line is a segment.
    message, d, lines = prepare(message, lines=True)
    try:
        return _read(message, d, lines, source, pseudonym_key, checked=False)
    except _NotSegments:
        pass
    except Exception:
        if all_segments(lines, d.field):
            raise
    return _read(message, d, segments(message, d.field), source, pseudonym_key, checked=True)


def _read(
    message: str,
    d: Delimiters,
    segments: list[str],
    source: str,
    pseudonym_key: bytes | None,
    *,
    checked: bool,
) -> Report:
    """The report in ``segments`` (``checked``: known to be segments, else lines that may not be)."""
    fs, rep, esc = d.field, d.repetition, d.escape
    msh = segments[0].split(fs)
    if len(msh) < 9:
        raise UnreadableMessageError("MSH ends before the message type: truncated", where="MSH-9")
    charset = codec_for(field(msh, 17).split(rep, 1)[0])
    header = _header(msh, d, charset)
    code = header.message_code
    if code not in SUPPORTED_MESSAGE_TYPES:
        shown = header.message_type or "an empty message type"
        raise UnsupportedMessageTypeError(f"{shown} is not a result message", where="MSH-9")

    blocks: list[TextBlock] = []
    lines: list[str] = []
    hint: Hint = None
    after_obx = False
    text_chars = 0
    pid: str | None = None
    orc: str | None = None
    txa: list[str] | None = None
    obrs: list[list[str]] = []
    obx_status: str | None = None
    component, subcomponent = d.component, d.subcomponent
    last_status = ""
    need_obx_status = True  # OBX-11 counts only when the first OBR has no OBR-25
    last_observation: str | None = None
    obx_hint: Hint = None
    last_rest: str | None = None  # the fields after OBX-5 of the last common OBX, whose OBX-11 is done

    def flush() -> None:
        if lines:
            text = "\n".join(lines)
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if text.strip():
                blocks.append(BodyBlock(text) if hint == BODY else TextBlock(text, hint))
            lines.clear()

    for segment in segments[1:]:
        tag = segment[:3]
        if tag == "OBX":
            # Hot loop. The common OBX (a text value type, fields after OBX-5) takes one split into seven and
            # no other branch; OBX-3 and OBX-11 are resolved once per distinct raw value.
            f = segment.split(fs, 6)
            if len(f) == 7 and f[0] == "OBX" and (f[2] == "TX" or f[2] in _TEXT_TYPES):  # "TX": no hashing
                _tag, _set_id, _value_type, observation, _sub_id, value, rest = f
                coded = False
                if need_obx_status and rest != last_rest:
                    last_rest = rest
                    after = rest.split(fs, 6)  # OBX-6 ... OBX-11 at [5]
                    if len(after) > 5 and after[5] and after[5] != last_status:
                        last_status = after[5]
                        status = _status(last_status, component)
                        if obx_status is None or status in ("C", "A"):
                            obx_status = status
            else:
                if not checked and segment[3:4] != fs:
                    raise _NotSegments
                last_rest = None
                if need_obx_status:
                    f = segment.split(fs, 12)
                n = len(f)
                value_type = f[2] if n > 2 else ""
                coded = False
                narrative = True
                if value_type not in _TEXT_TYPES:
                    value_type = value_type.split(component, 1)[0].strip().upper()
                    coded = value_type in _CODED_TYPES
                    narrative = coded or value_type in _TEXT_TYPES  # not NM, ED (embedded PDF), RP, ...
                if need_obx_status and n > 11 and f[11] and f[11] != last_status:
                    last_status = f[11]
                    status = _status(last_status, component)
                    if obx_status is None or status in ("C", "A"):
                        obx_status = status
                if not narrative:
                    continue
                value = f[5] if n > 5 else ""
                observation = f[3] if n > 3 else ""
            text_chars += len(value)
            if text_chars > MAX_REPORT_TEXT_CHARS:
                raise UnreadableMessageError(
                    f"report text exceeds {MAX_REPORT_TEXT_CHARS} characters", where="OBX-5"
                )
            if observation != last_observation:
                last_observation = observation
                obx_hint = _hint(observation, component, subcomponent) if observation else None
            if obx_hint != hint:
                flush()
                hint = obx_hint
            after_obx = True
            if not value:
                lines.append("")  # line-per-OBX reports send blank lines as empty OBX-5
            elif coded or rep in value:
                for item in value.split(rep):
                    text = coded_text(item, d) if coded else item
                    lines.append(unescape(text, d, charset=charset) if esc in text else text)
            elif esc in value:
                lines.append(unescape(value, d, charset=charset))
            else:
                lines.append(value)
        elif not checked and segment[3:4] != fs:
            raise _NotSegments
        elif tag == "NTE":
            f = segment.split(fs)
            value = f[3] if len(f) > 3 else ""
            if not value:
                continue
            text_chars += len(value)
            if text_chars > MAX_REPORT_TEXT_CHARS:
                raise UnreadableMessageError(
                    f"report text exceeds {MAX_REPORT_TEXT_CHARS} characters", where="NTE-3"
                )
            # A note after an OBX comments on that observation: same section. After OBR it is free text.
            nte_hint: Hint = hint if after_obx else None
            if nte_hint != hint:
                flush()
                hint = nte_hint
            for item in value.split(rep):
                lines.append(unescape(item, d, charset=charset) if esc in item else item)
        elif tag == "OBR":
            flush()
            hint = None
            after_obx = False
            obrs.append(segment.split(fs, 33))
            if len(obrs) == 1 and field(obrs[0], 25).strip():
                need_obx_status = False
        elif tag == "PID" and pid is None:
            pid = segment  # split only if a pseudonym is wanted
        elif tag == "TXA" and txa is None:
            txa = segment.split(fs)
        elif tag == "ORC" and orc is None:
            orc = segment  # split only if OBR has no accession
        elif tag == "MSH":
            raise UnreadableMessageError("a second MSH: more than one message", where="MSH")
        # Z-segments and everything else: ignored, never fatal.
    flush()

    if not blocks:
        raise NoReportTextError("no report text in OBX-5 or NTE-3", where="OBX-5")
    sections = split_sections(blocks)
    if not sections.findings or not sections.findings.strip():
        raise NoFindingsError("report text has no findings", where="OBX-5")

    obr = obrs[0] if obrs else []
    accession = (
        leaf(field(obr, 3), d, charset) or leaf(field(obr, 18), d, charset) or leaf(field(obr, 2), d, charset)
    )
    extra: dict[str, str] = {}
    others = [leaf(field(o, 3), d, charset) for o in obrs[1:]]
    additional = [a for a in dict.fromkeys(others) if a and a != accession]
    if additional:
        extra["additional_accessions"] = ",".join(additional)
    # the placer order number (OBR-2, else ORC-2): the draft sent back as ORU^R01 names the same order
    placer = leaf(field(obr, 2), d, charset)
    if (accession is None or placer is None) and orc is not None:
        orc_fields = orc.split(fs, 4)
        if accession is None:
            accession = leaf(field(orc_fields, 3), d, charset) or leaf(field(orc_fields, 2), d, charset)
        placer = placer or leaf(field(orc_fields, 2), d, charset)
    if placer:
        extra["placer_order"] = placer
    status = _status(field(obr, 25), d.component) or obx_status
    interpreter = person(field(obr, 32), d, charset)
    observation_time = leaf(field(obr, 7), d, charset)

    if txa is not None:
        document_number = leaf(field(txa, 12), d, charset)
        if accession is None:
            accession = (
                leaf(field(txa, 15), d, charset)
                or document_number
                or leaf(field(txa, 16), d, charset)
                or leaf(field(txa, 14), d, charset)
            )
        if document_number:
            extra["document_number"] = document_number
        document_type = _component(field(txa, 2), 1, d, charset)
        if document_type:
            extra["document_type"] = document_type
        if not field(obr, 25).strip():
            txa_status = _TXA_STATUS.get((leaf(field(txa, 17), d, charset) or "").upper())
            status = txa_status or obx_status
            if status == "F" and obx_status in ("C", "A"):
                status = obx_status
            trigger = header.trigger_event
            if status == "F" and trigger in ("T08", "T10"):
                status = "C"  # edit / replacement of an authenticated document supersedes it
            elif status == "F" and trigger == "T06":
                status = "A"
        interpreter = (
            interpreter
            or person(field(txa, 22), d, charset)
            or person(field(txa, 10), d, charset)
            or person(field(txa, 9), d, charset)
        )
        observation_time = observation_time or leaf(field(txa, 4), d, charset)

    patient_key = None
    if pseudonym_key is not None and pid is not None:
        pid3 = field(pid.split(fs, 4), 3).split(rep, 1)[0].split(d.component)
        identifier = unescape(pid3[0], d, charset=charset).strip()
        if identifier:
            authority = pid3[3].split(d.subcomponent, 1)[0].strip() if len(pid3) > 3 else ""
            identity = f"{identifier}^{authority}" if authority else identifier
            patient_key = pseudonymize(identity, pseudonym_key)

    return Report(
        source=source,
        format="hl7",
        sections=sections,
        message_type=header.message_type,
        control_id=header.control_id,
        version=header.version,
        message_time=header.message_time,
        sending_application=header.sending_application,
        sending_facility=header.sending_facility,
        accession=accession,
        procedure_code=_component(field(obr, 4), 1, d, charset),
        procedure_text=_component(field(obr, 4), 2, d, charset) or _component(field(obr, 4), 5, d, charset),
        observation_time=observation_time,
        status=status,
        interpreter=interpreter,
        patient_key=patient_key,
        extra=extra,
    )
