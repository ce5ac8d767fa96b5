"""HL7 v2 payloads to messages and messages to segments.

``split_messages`` turns one payload (bytes or text, a single message, MLLP frames or a batch file) into
every message it holds, normalised to ``\\r`` terminators and split per patient; ``segments`` turns one
message into its segments, joining a raw newline inside OBX-5 back onto the segment it belongs to.
"""

from __future__ import annotations

import re

from radimpress.errors import ReportError, UnreadableMessageError
from radimpress.reading.hl7.decoding import decode

__all__ = ["all_segments", "segments", "split_messages"]


_BATCH_TAGS = frozenset({"FHS", "BHS", "BTS", "FTS"})


_BOUNDARY_RE = re.compile(r"\r(?:MSH|BTS|FTS|PID)")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _normalise(text: str) -> str:
    """One text with ``\\r`` segment terminators: no BOM, no MLLP bytes, no NUL padding, no outer blanks."""
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\x0b" in text or "\x1c" in text:
        # MLLP: <VT> message <FS><CR>, possibly several frames. The frame bytes never occur in HL7 data.
        text = text.replace("\x0b", "").replace("\x1c", "\r")
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.strip()


def _is_header_line(line: str, tag: str) -> bool:
    return line.startswith(tag) and (len(line) == 3 or not (line[3].isalnum() or line[3].isspace()))


def _patient_key_of(line: str, msh: str) -> str:
    """Raw PID-3 first repetition (or the PID minus its set id) to tell patients apart in one message."""
    fs = msh[3] if len(msh) > 3 else "|"
    rep = msh[5] if len(msh) > 5 else "~"
    fields = line.split(fs)
    if len(fields) > 3 and fields[3]:
        return fields[3].split(rep, 1)[0]
    return fs.join(fields[2:])


def _split_patients(lines: list[str]) -> list[list[str]]:
    """A message holding several patients (ORF^R04, multi-patient ORU) -> one message per patient.

    Report text of different patients must never be concatenated into one report. Segments before the
    first PID (MSH, MSA, QRD, ...) are repeated in front of each patient's segments.
    """
    pid_at = [i for i, line in enumerate(lines) if line.startswith("PID")]
    if len(pid_at) < 2:
        return [lines]
    msh = lines[0]
    prefix = lines[: pid_at[0]]
    groups: list[list[str]] = []
    last_key: str | None = None
    for n, start in enumerate(pid_at):
        end = pid_at[n + 1] if n + 1 < len(pid_at) else len(lines)
        key = _patient_key_of(lines[start], msh)
        if groups and key == last_key:
            groups[-1].extend(lines[start:end])
        else:
            groups.append(prefix + lines[start:end])
        last_key = key
    return groups


def _unreadable_payload(text: str) -> UnreadableMessageError:
    if not text:
        return UnreadableMessageError("empty payload", where="byte 0")
    sample = text[:512]
    if len(_CONTROL_RE.findall(sample)) > len(sample) // 20:
        return UnreadableMessageError("binary content, not an HL7 v2 message", where="byte 0")
    return UnreadableMessageError("no MSH segment: not an HL7 v2 message", where="MSH")


def split_messages(payload: bytes | str) -> list[str]:
    """Every HL7 message in ``payload`` as text with ``\\r`` terminators, in order.

    Strips a BOM, surrounding blanks and MLLP framing (several frames allowed), normalises CRLF and LF
    terminators, drops batch envelopes (FHS/BHS ... BTS/FTS) and splits at each MSH; a message holding
    several patients is split per patient. Bytes are decoded as UTF-8, else per MSH-18, else cp1252 with a
    latin-1 fallback. An empty batch gives ``[]``; empty, binary or MSH-less payloads raise
    :class:`UnreadableMessageError`, undecodable declared charsets :class:`EncodingError`.
    """
    try:
        return _split(payload)
    except ReportError:
        raise
    except Exception as exc:  # a defect here must still surface as a typed, attributable error
        raise UnreadableMessageError(f"unreadable payload ({type(exc).__name__})", where="payload") from exc


def _split(payload: bytes | str) -> list[str]:
    text = _normalise(decode(payload) if isinstance(payload, bytes) else payload)
    if text.startswith("MSH"):
        boundaries = _BOUNDARY_RE.findall(text)  # one scan: another message, a batch trailer, a 2nd PID
        if not boundaries or boundaries == ["\rPID"]:
            return [text]
    messages: list[list[str]] = []
    current: list[str] | None = None
    saw_batch = False
    for line in text.split("\r"):
        if not line:
            continue
        tag = line[:3]
        if tag == "MSH" and _is_header_line(line, "MSH"):
            current = [line]
            messages.append(current)
        elif tag in _BATCH_TAGS and _is_header_line(line, tag):
            saw_batch = True
            current = None
        elif current is not None:
            current.append(line)
    if not messages:
        if saw_batch:
            return []
        raise _unreadable_payload(text)
    return ["\r".join(group) for lines in messages for group in _split_patients(lines)]


def all_segments(lines: list[str], field: str) -> bool:
    """Whether every line is a segment with fields: three characters and the field separator."""
    return all(line[3:4] == field for line in lines)


def segments(message: str, field: str) -> list[str]:
    """Segments in order; a line that is not a segment (a raw newline inside OBX-5) continues the last."""
    lines = message.rstrip("\r").split("\r")
    if all_segments(lines, field):
        return lines  # the common case: every line is a segment with fields
    segments: list[str] = []
    for line in lines:
        if not line:
            continue
        tag = line[:3]
        if (line[3:4] == field or len(line) == 3) and tag.isalnum() and tag.isupper():
            segments.append(line)
        elif segments:
            segments[-1] += "\n" + line
    return segments
