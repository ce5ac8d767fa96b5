"""The HL7 v2 message header: whether a payload is HL7 at all, the delimiters MSH-1/MSH-2 define and what
MSH says about a message (:class:`MessageHeader`), enough to route it, acknowledge it and decode it.

Intake reads only this much of a message (:func:`read_header`, :func:`looks_like_hl7`) before it answers the
sender; the message reader starts from the same MSH (:func:`prepare`, :func:`header`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from radimpress.errors import ReportError, UnreadableMessageError
from radimpress.reading.hl7.decoding import codec_for, utf16_codec
from radimpress.reading.hl7.escapes import Delimiters
from radimpress.reading.hl7.fields import component as _component  # `header` has a local component
from radimpress.reading.hl7.fields import field, leaf
from radimpress.reading.hl7.segments import segments, split_messages

__all__ = ["MessageHeader", "header", "looks_like_hl7", "prepare", "read_header"]


class MessageHeader(NamedTuple):
    """What MSH says about a message: enough to route it, acknowledge it and decode it."""

    delimiters: Delimiters
    sending_application: str | None
    sending_facility: str | None
    receiving_application: str | None
    receiving_facility: str | None
    message_time: str | None
    message_code: str | None
    trigger_event: str | None
    control_id: str | None
    processing_id: str | None
    version: str | None
    charset: str | None

    @property
    def message_type(self) -> str | None:
        """``"ORU^R01"`` form (MSH-9.1^MSH-9.2), ``"ORU"`` when the trigger is absent."""
        if not self.message_code:
            return None
        return f"{self.message_code}^{self.trigger_event}" if self.trigger_event else self.message_code


# A header segment at the start: optional BOM / whitespace / MLLP start block / NUL padding, then the
# tag and a punctuation character as field separator.
_HEAD_RE = re.compile(r"[\s\x0b\x00\ufeff]*(?:MSH|FHS|BHS)[!-/:-@\[-`{-~]")
_HEAD_BYTES_RE = re.compile(rb"(?:\xef\xbb\xbf)?[\s\x0b\x00]*(?:MSH|FHS|BHS)[!-/:-@\[-`{-~]")
_HL7_ISH_RE = re.compile(
    r"[\s\x0b\x00\ufeff]*(?:MSH(?:[\r\n]|\Z)|(?:PID|PV1|ORC|OBR|OBX|NTE|TXA|EVN|MSA|QRD)\|)"
)


def looks_like_hl7(payload: bytes | str) -> bool:
    """True when ``payload`` is HL7 v2 rather than a plain-text report.

    That is: after a BOM, blanks and an MLLP start block, it starts with MSH, FHS or BHS and a delimiter.
    Two more starts count as HL7 so that they get the HL7 reader's typed error instead of being read as
    a text report that would carry segment fields, patient identity included, into its sections: a bare
    ``MSH`` line (no delimiters) and a common segment tag with ``|`` (a message that lost its MSH).
    """
    if isinstance(payload, bytes):
        if _HEAD_BYTES_RE.match(payload) is not None:
            return True
        utf16 = utf16_codec(payload[:64])
        head = payload[:256]
        if utf16 is None:
            text = head.decode("latin-1")
        else:
            text = head[: len(head) - len(head) % 2].decode(utf16, "replace")
    else:
        text = payload
    return _HEAD_RE.match(text) is not None or _HL7_ISH_RE.match(text) is not None


_DEFAULT_ENCODING = ("^", "~", "\\", "&")


def _delimiters(message: str) -> Delimiters:
    """Delimiters from MSH-1/MSH-2 (the first 10 characters say it all; cached per distinct head)."""
    return _delimiters_of(message[:10].split("\r", 1)[0])


@lru_cache(maxsize=256)
def _delimiters_of(head: str) -> Delimiters:
    """Tolerant of a short MSH-2 when the standard characters fill the gaps without colliding."""
    if len(head) < 4 or head[3].isalnum() or head[3].isspace():
        raise UnreadableMessageError("MSH has no field separator", where="MSH-1")
    field = head[3]
    encoding = head[4:].split(field, 1)[0]
    if not encoding:
        raise UnreadableMessageError("MSH has no encoding characters", where="MSH-2")
    if len(encoding) > 5 or any(c.isalnum() or c.isspace() for c in encoding):
        raise UnreadableMessageError("MSH-2 is not a set of encoding characters", where="MSH-2")
    chars = list(encoding[:4])
    for default in _DEFAULT_ENCODING[len(chars) :]:
        if default in chars or default == field:
            raise UnreadableMessageError("MSH-2 lacks encoding characters", where="MSH-2")
        chars.append(default)
    truncation = encoding[4] if len(encoding) == 5 else ""
    used = [field, *chars, truncation] if truncation else [field, *chars]
    if len(set(used)) != len(used):
        raise UnreadableMessageError("MSH-1/MSH-2 repeat a delimiter", where="MSH-2")
    return Delimiters(field, chars[0], chars[1], chars[2], chars[3], truncation)


def header(msh: list[str], d: Delimiters, charset: str | None) -> MessageHeader:
    # MSH-1 is the separator itself, so MSH-n is msh[n - 1]; pad once instead of bounds-checking each.
    if len(msh) < 18:
        msh = msh + [""] * (18 - len(msh))
    comps = msh[8].split(d.component)
    code = comps[0].strip().upper()
    trigger = comps[1].strip().upper() if len(comps) > 1 else ""
    if not code and len(comps) > 2 and "_" in comps[2]:
        code, _, trigger = comps[2].strip().upper().partition("_")
    elif "_" in code and not trigger:
        code, _, trigger = code.partition("_")
    declared = msh[17].split(d.repetition, 1)[0].strip()
    component, repetition, escape = d.component, d.repetition, d.escape
    # leaf of each field, its common case (no delimiter, nothing to unescape) inline
    app, facility, receiver, receiving_facility, time, control_id, processing_id, version = (
        (value.strip() or None)
        if component not in value and repetition not in value and escape not in value
        else leaf(value, d, charset)
        for value in (msh[2], msh[3], msh[4], msh[5], msh[6], msh[9], msh[10], msh[11])
    )
    return MessageHeader(
        d,
        app or _component(msh[2], 2, d, charset),
        facility or _component(msh[3], 2, d, charset),
        receiver,
        receiving_facility,
        time,
        code or None,
        trigger or None,
        control_id,
        processing_id,
        version,
        declared or None,
    )


def prepare(message: str, *, lines: bool = False) -> tuple[str, Delimiters, list[str]]:
    """The message as one normalised message, its delimiters and its segments (or, with ``lines``, its
    lines as they are: see `_parse` in :mod:`radimpress.reading.hl7.message`)."""
    # Single-character checks only (memchr-fast); a second MSH is caught by the segment loop.
    if not message.startswith("MSH") or "\n" in message or "\x0b" in message or "\x1c" in message:
        messages = split_messages(message)
        if len(messages) != 1:
            raise UnreadableMessageError(f"expected one message, found {len(messages)}", where="MSH")
        message = messages[0]
    d = _delimiters(message)
    return message, d, message.rstrip("\r").split("\r") if lines else segments(message, d.field)


def read_header(message: bytes | str) -> MessageHeader:
    """MSH of the first message in ``message`` (routing, ACKs); typed errors as :func:`split_messages`."""
    messages = split_messages(message)
    if not messages:
        raise UnreadableMessageError("payload holds no HL7 message", where="MSH")
    try:
        _, d, segments = prepare(messages[0])
        msh = segments[0].split(d.field)
        return header(msh, d, codec_for(field(msh, 17).split(d.repetition, 1)[0]))
    except ReportError:
        raise
    except Exception as exc:  # a defect here must still surface as a typed, attributable error
        raise UnreadableMessageError(f"unreadable MSH ({type(exc).__name__})", where="MSH") from exc
