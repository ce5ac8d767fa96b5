"""HL7 v2 reader for radiology results: tolerant, fast, pure Python, no HL7 library on this path.

Why our own split-based parser rather than an HL7 library (measured on a 3.3-KB ORU^R01, see
``bench/parse.py`` and the notes in :mod:`radimpress.reading.hl7lib`):

* hl7apy takes about 25 ms and ~800 KiB per message, rejects MSH-12 ``2.4.1``/``2.6.1``/``2.9`` and an
  empty MSH-12, with its default ``find_groups=True`` silently drops Z-, DG1 and MSA segments and, on CRLF
  input, everything after MSH; it has no unescape. That is two orders of magnitude too slow and, worse,
  lossy without telling us.
* python-hl7 (``hl7.parse``) is tolerant and takes about 1.4 ms, still ~14x over our whole budget of
  100 µs per report (>= 10,000 reports/s on one core *including* section splitting), and its containers
  build an object per field we never read.
* ``str.split`` of the same message takes about 9 µs. Radiology results need a handful of fields from five
  segment types, so we split each segment once, index the fields we need and unescape only the values we
  keep. Every HL7 library import lives in :mod:`radimpress.reading.hl7lib` (ACKs, optional strict validation).

Tolerance is the point: interface engines send LF or CRLF terminators, BOMs, MLLP framing bytes in files,
batches, raw newlines inside OBX-5, unescaped delimiters, wrong MSH-18 charsets, unknown versions and
Z-segments. Each is normalised or ignored; what cannot be read raises a typed
:class:`~radimpress.errors.ReportError` that says where, never any other exception and never the body.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import NamedTuple

from radimpress.errors import (
    EncodingError,
    NoFindingsError,
    NoReportTextError,
    ReportError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.pseudonym import pseudonymize
from radimpress.reading.model import Report, SectionName, TextBlock
from radimpress.reading.sections import split_sections

__all__ = [
    "DEFAULT_DELIMITERS",
    "MAX_PAYLOAD_BYTES",
    "MAX_REPORT_TEXT_CHARS",
    "SUPPORTED_MESSAGE_TYPES",
    "Delimiters",
    "MessageHeader",
    "escape",
    "looks_like_hl7",
    "parse_message",
    "read_header",
    "section_hint",
    "split_messages",
    "unescape",
]

#: Result messages radimpress drafts from (MSH-9.1); every trigger event is accepted, text decides.
SUPPORTED_MESSAGE_TYPES = frozenset({"ORU", "ORF", "MDM"})
#: A radiology report is a few KB; more narrative than this is a feed fault, not a report.
MAX_REPORT_TEXT_CHARS = 1_000_000
#: Whole payloads (a batch file, embedded PDFs in ED fields) above this are refused before decoding.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


class Delimiters(NamedTuple):
    """The message's own delimiters from MSH-1 and MSH-2 (``truncation`` is v2.7+'s fifth, else "")."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""


DEFAULT_DELIMITERS = Delimiters()


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


# --------------------------------------------------------------------------------------------------
# Normalisation: bytes -> text -> messages
# --------------------------------------------------------------------------------------------------

_BATCH_TAGS = frozenset({"FHS", "BHS", "BTS", "FTS"})
# A header segment at the start: optional BOM / whitespace / MLLP start block / NUL padding, then the
# tag and a punctuation character as field separator.
_HEAD_RE = re.compile(r"[\s\x0b\x00\ufeff]*(?:MSH|FHS|BHS)[!-/:-@\[-`{-~]")
_HEAD_BYTES_RE = re.compile(rb"(?:\xef\xbb\xbf)?[\s\x0b\x00]*(?:MSH|FHS|BHS)[!-/:-@\[-`{-~]")
_HL7_ISH_RE = re.compile(
    r"[\s\x0b\x00\ufeff]*(?:MSH(?:[\r\n]|\Z)|(?:PID|PV1|ORC|OBR|OBX|NTE|TXA|EVN|MSA|QRD)\|)"
)
_BOUNDARY_RE = re.compile(r"\r(?:MSH|BTS|FTS|PID)")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

_LATIN1_FALLBACK = "radimpress.latin1"


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes (0x81 0x8D 0x8F 0x90 0x9D) undefined; latin-1 maps every byte.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(_LATIN1_FALLBACK, _latin1_for_undefined)

# HL7 table 0211 (MSH-18) names and the aliases engines really send -> Python codecs.
_HL7_CHARSETS = {
    "ASCII": "ascii",
    "ISOIR6": "ascii",
    "UNICODEUTF8": "utf-8",
    "UTF8": "utf-8",
    "UNICODE": "utf-16",
    "UNICODEUTF16": "utf-16",
    "UNICODEUTF32": "utf-32",
    "ISOIR87": "iso2022_jp",
    "ISOIR159": "iso2022_jp_2",
    "ISOIR14": "shift_jis",
    "GB180302000": "gb18030",
    "KSX1001": "euc_kr",
    "BIG5": "big5",
}
# Declared charsets never believed over the bytes: UTF-8/ASCII (decoding as UTF-8 already failed), the
# UTF-16/32 family (the bytes had ASCII structure) and Latin-1, which Windows senders use for cp1252.
_NOT_BELIEVED = frozenset({"ascii", "utf-8", "utf-16", "utf-32", "cp1252", "iso8859-1"})


@lru_cache(maxsize=64)
def _codec_for(declared: str) -> str | None:
    """Canonical Python codec name for an MSH-18 value; None when empty or unknown."""
    name = declared.strip().upper()
    if not name:
        return None
    if name.startswith("8859/"):
        name = "ISO8859-" + name[5:].strip()
    codec = _HL7_CHARSETS.get(re.sub(r"[^A-Z0-9]", "", name), name)
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return None


def _declared_charset(data: bytes) -> str | None:
    """MSH-18 read from raw bytes, before we know how to decode them (ASCII structure only)."""
    start = data.find(b"MSH")
    if start < 0 or len(data) < start + 4:
        return None
    end = len(data)
    for terminator in (b"\r", b"\n"):
        found = data.find(terminator, start)
        if 0 <= found < end:
            end = found
    fields = data[start:end].split(data[start + 3 : start + 4])
    if len(fields) <= 17:
        return None
    return fields[17].split(b"~", 1)[0].decode("latin-1")


def _utf16_codec(data: bytes) -> str | None:
    """UTF-16 by BOM, or by an ASCII segment tag interleaved with NULs (LE: tag at even offsets)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:64]
    if b"\x00" not in head:
        return None  # the common case, decided by one memchr
    for tag in (b"M\x00S\x00H", b"F\x00H\x00S", b"B\x00H\x00S"):
        at = head.find(tag)
        if at >= 0:
            return "utf-16-le" if at % 2 == 0 else "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    """Bytes to text: UTF-8 when valid, else MSH-18 when it names a charset, else cp1252/latin-1."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise UnreadableMessageError(
            f"payload of {len(data)} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit", where="payload"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    utf16 = _utf16_codec(data)
    if utf16 is not None:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise EncodingError(f"invalid {utf16.upper()} text", where=f"byte {exc.start}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8, whatever MSH-18 claims. Another declared charset is believed when it decodes;
    # otherwise read it as Windows senders write: cp1252, latin-1 for cp1252's five undefined bytes.
    declared = _declared_charset(data)
    codec = _codec_for(declared) if declared else None
    if codec is not None and codec not in _NOT_BELIEVED:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            if not codec.startswith("iso8859"):
                # Reading a CJK message as cp1252 would silently produce pure mojibake.
                raise EncodingError(
                    f"bytes are not valid {declared!r} as declared", where=f"MSH-18 (byte {exc.start})"
                ) from exc
    return data.decode("cp1252", _LATIN1_FALLBACK)


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
    text = _normalise(_decode(payload) if isinstance(payload, bytes) else payload)
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
        utf16 = _utf16_codec(payload[:64])
        head = payload[:256]
        if utf16 is None:
            text = head.decode("latin-1")
        else:
            text = head[: len(head) - len(head) % 2].decode(utf16, "replace")
    else:
        text = payload
    return _HEAD_RE.match(text) is not None or _HL7_ISH_RE.match(text) is not None


# --------------------------------------------------------------------------------------------------
# Escapes
# --------------------------------------------------------------------------------------------------

_FORMAT_RE = re.compile(r"\.(br|sp|in|ti|sk|ce|fi|nf)\s*([+-]?\d{1,6})?\s*", re.IGNORECASE)
_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_MAX_BLANK_LINES = 20


def _decode_hex(digits: str, charset: str | None) -> str:
    raw = bytes.fromhex(digits)
    try:
        return raw.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return raw.decode("cp1252", _LATIN1_FALLBACK)


def _escape_sequence(body: str, delimiters: Delimiters, charset: str | None) -> str | None:
    """The text an escape sequence stands for, or None when it is not a valid one (kept literally)."""
    if len(body) == 1:
        if body == "F":
            return delimiters.field
        if body == "S":
            return delimiters.component
        if body == "T":
            return delimiters.subcomponent
        if body == "R":
            return delimiters.repetition
        if body == "E":
            return delimiters.escape
        if body == "P" and delimiters.truncation:
            return delimiters.truncation
        if body in ("H", "N"):  # highlight on / normal text: formatting only
            return ""
        return None
    lead = body[0]
    if lead == ".":
        match = _FORMAT_RE.fullmatch(body)
        if match is None:
            return None
        command = match.group(1).lower()
        if command in {"br", "ce"}:
            return "\n"
        if command == "sp":
            count = int(match.group(2)) if match.group(2) else 1
            return "\n" * max(1, min(abs(count), _MAX_BLANK_LINES))
        if command == "sk":
            return " "
        return ""  # .in .ti .fi .nf: indentation and fill mode, meaningless in plain text
    if lead == "X":
        digits = body[1:]
        if _HEX_RE.fullmatch(digits) is None:
            return None
        return _decode_hex(digits, charset)
    if lead in ("C", "M") and _HEX_RE.fullmatch(body[1:]) is not None:
        return ""  # ISO 2022 character set switches: the text is already decoded
    if lead == "Z":
        return ""  # locally defined escape: no portable meaning
    return None


def unescape(text: str, delimiters: Delimiters = DEFAULT_DELIMITERS, *, charset: str | None = None) -> str:
    """Decode HL7 escape sequences in one leaf value using the message's own delimiters.

    ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` (and ``\\P\\`` when MSH-2 defines truncation), ``\\Xhh..\\`` (bytes in
    ``charset``, cp1252/latin-1 fallback), ``\\.br\\`` and ``\\.ce\\`` (newline), ``\\.sp n\\`` (n newlines,
    ``\\.sp\\`` = 1), ``\\.sk n\\`` (a space), ``\\H\\ \\N\\ \\.in\\ \\.ti\\ \\.fi\\ \\.nf\\``, character-set
    switches and ``\\Z..\\`` (dropped). Anything malformed or unterminated is kept literally. Total: any
    string in, a string out.
    """
    esc = delimiters.escape
    if not esc or esc not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        start = text.find(esc, pos)
        if start < 0:
            break
        end = text.find(esc, start + 1)
        if end < 0:
            break
        decoded = _escape_sequence(text[start + 1 : end], delimiters, charset) if end > start + 1 else None
        if decoded is None:
            # Not an escape: keep the opening character and rescan from the closing one, which may
            # open a valid sequence ("C:\temp\F\" keeps "\temp" and still decodes "\F\").
            out.append(text[pos:end])
            pos = end
        else:
            out.append(text[pos:start])
            out.append(decoded)
            pos = end + 1
    out.append(text[pos:])
    return "".join(out)


@lru_cache(maxsize=64)
def _escape_table(delimiters: Delimiters) -> dict[int, str]:
    e = delimiters.escape
    table = {
        ord(e): f"{e}E{e}",
        ord(delimiters.field): f"{e}F{e}",
        ord(delimiters.component): f"{e}S{e}",
        ord(delimiters.subcomponent): f"{e}T{e}",
        ord(delimiters.repetition): f"{e}R{e}",
        ord("\n"): f"{e}.br{e}",
        ord("\r"): f"{e}X0D{e}",
    }
    if delimiters.truncation:
        table[ord(delimiters.truncation)] = f"{e}P{e}"
    return table


def escape(text: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """Escape ``text`` for one HL7 leaf value: delimiters as ``\\F\\`` etc., newlines as ``\\.br\\``.

    ``unescape(escape(s), d) == s`` for every string ``s``.
    """
    return text.translate(_escape_table(delimiters))


# --------------------------------------------------------------------------------------------------
# Section hints from OBX-3
# --------------------------------------------------------------------------------------------------

# LOINC radiology report section codes (the LOINC side of DICOM CID 7001 headings) and their DICOM
# (DCM) counterparts, headings and items. 18748-4 is the whole diagnostic imaging report: no hint.
_LOINC_HINTS: dict[str, SectionName | None] = {
    "18782-3": "findings",
    "59776-5": "findings",
    "19005-8": "impression",
    "55110-1": "impression",
    "55112-7": "impression",
    "18834-2": "comparison",
    "55114-3": "comparison",
    "11329-0": "indication",
    "55752-0": "indication",
    "18785-6": "indication",
    "55115-0": "indication",
    "55108-5": "indication",
    "42349-1": "indication",
    "55111-9": "technique",
    "55107-7": "addendum",
    "18783-1": "other",
    "55113-5": "other",
    "18748-4": None,
}
_DCM_HINTS: dict[str, SectionName | None] = {
    "121060": "indication",
    "121062": "indication",
    "121109": "indication",
    "121110": "indication",
    "121064": "technique",
    "121065": "technique",
    "121066": "comparison",
    "121068": "comparison",
    "121069": "comparison",
    "121070": "findings",
    "121071": "findings",
    "121072": "impression",
    "121073": "impression",
    "121076": "impression",
    "121077": "impression",
    "121111": "impression",
    "121074": "other",
    "121075": "other",
    "121078": "addendum",
}
# Local suffix / code tokens (IDX-, Centricity-, Meditech-style "&GDT", "&IMP", ...). GDT ("general
# description text") is in many systems the whole report body, so it gives no hint by itself.
_TOKEN_HINTS: dict[str, SectionName] = {
    "IMP": "impression",
    "IMPR": "impression",
    "ADN": "addendum",
    "ADT": "addendum",
    "ADD": "addendum",
    "TCM": "other",
    "REC": "other",
    "FIND": "findings",
}
_KEYWORD_HINTS: tuple[tuple[re.Pattern[str], SectionName], ...] = (
    (re.compile(r"\bFINDINGS?\b"), "findings"),
    (re.compile(r"\b(?:IMPRESSIONS?|CONCLUSIONS?|OPINION)\b"), "impression"),
    (re.compile(r"\bADDEND(?:UM|UMS|A)\b"), "addendum"),
    (
        re.compile(r"\b(?:HISTORY|INDICATIONS?|REASON FOR (?:EXAM|STUDY)|CLINICAL (?:INFO|INFORMATION))\b"),
        "indication",
    ),
    (re.compile(r"\bCOMPARISONS?\b"), "comparison"),
    (re.compile(r"\bTECHNIQUE\b"), "technique"),
    (re.compile(r"\b(?:RECOMMENDATIONS?|TECHNOLOGIST|TECH (?:NOTE|COMMENT))\b"), "other"),
)
_NON_WORD = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=4096)
def _hint(raw: str, component: str, subcomponent: str) -> SectionName | None:
    comps = raw.split(component)
    code, alt_code = comps[0], comps[3] if len(comps) > 3 else ""
    for candidate in (code, alt_code):
        if candidate in _LOINC_HINTS:
            return _LOINC_HINTS[candidate]
    systems = {c.strip().upper() for c in comps[2:3] + comps[5:6]}
    if "DCM" in systems:
        for candidate in (code, alt_code):
            if candidate in _DCM_HINTS:
                return _DCM_HINTS[candidate]
    upper = raw.upper()
    tokens = {token for comp in upper.split(component) for token in comp.split(subcomponent)}
    found = {_TOKEN_HINTS[token.strip()] for token in tokens if token.strip() in _TOKEN_HINTS}
    if len(found) == 1:
        return found.pop()
    words = _NON_WORD.sub(" ", upper)
    keyword_hits = {section for pattern, section in _KEYWORD_HINTS if pattern.search(words)}
    if len(keyword_hits) == 1:
        return keyword_hits.pop()
    return None  # body text (GDT, 18748-4), combined ("FINDINGS AND IMPRESSION") or unknown: text decides


def section_hint(observation_id: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> SectionName | None:
    """The section an OBX-3 observation identifier codes, or None to let the text headers decide."""
    return _hint(observation_id, delimiters.component, delimiters.subcomponent)


# --------------------------------------------------------------------------------------------------
# Message parsing
# --------------------------------------------------------------------------------------------------

_DEFAULT_ENCODING = ("^", "~", "\\", "&")
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


def _all_segments(lines: list[str], field: str) -> bool:
    """Whether every line is a segment with fields: three characters and the field separator."""
    return all(line[3:4] == field for line in lines)


def _segments(message: str, field: str) -> list[str]:
    """Segments in order; a line that is not a segment (a raw newline inside OBX-5) continues the last."""
    lines = message.rstrip("\r").split("\r")
    if _all_segments(lines, field):
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


def _leaf(value: str, d: Delimiters, charset: str | None) -> str | None:
    """First repetition, first component of a field, unescaped and stripped; None when empty."""
    if not value:
        return None
    if d.component not in value and d.repetition not in value and d.escape not in value:
        return value.strip() or None  # the common case: a plain value
    first = value
    for separator in (d.repetition, d.component):  # up to the first of either: split-free when absent
        cut = first.find(separator)
        if cut >= 0:
            first = first[:cut]
    if d.escape in first:
        first = unescape(first, d, charset=charset)
    return first.strip() or None


def _component(value: str, index: int, d: Delimiters, charset: str | None) -> str | None:
    """Component ``index`` (1-based) of the first repetition, unescaped and stripped."""
    if not value:
        return None
    comps = value.split(d.repetition, 1)[0].split(d.component)
    if index > len(comps):
        return None
    text = comps[index - 1]
    if d.escape in text:
        text = unescape(text, d, charset=charset)
    return text.strip() or None


def _field(fields: list[str], index: int) -> str:
    return fields[index] if len(fields) > index else ""


def _status(raw: str, component: str) -> str | None:
    """OBR-25 / OBX-11 code, upper-cased; the words some senders spell out mapped to their codes."""
    status = raw.split(component, 1)[0].strip().upper()
    if not status:
        return None
    return _STATUS_WORDS.get(status, status)


def _person(value: str, d: Delimiters, charset: str | None) -> str | None:
    """A staff name (OBR-32, TXA-22/10/9) rendered readably: ID^FAMILY^GIVEN -> "GIVEN FAMILY".

    Handles CNN subcomponents (v2.3+ NDL: ``ID&FAMILY&GIVEN&MIDDLE&SUFFIX&PREFIX&DEGREE``), CN/XCN
    components (v2.2, TXA), a name sent without its ID (``FAMILY^GIVEN``: the first component has no
    digit and there is no third) and free text, which is kept as given. Staff, not patient data.
    """
    if not value:
        return None
    comps = value.split(d.repetition, 1)[0].split(d.component)
    first = comps[0]
    if d.subcomponent in first:
        parts = first.split(d.subcomponent)
    elif len(comps) > 1 and comps[1].strip() and not comps[1].strip()[:1].isdigit():
        parts = comps
        if not any(c.isdigit() for c in first) and not (len(comps) > 2 and comps[2].strip()):
            parts = ["", *comps]  # FAMILY^GIVEN^MIDDLE^SUFFIX^PREFIX^DEGREE: an XPN without the ID
    else:
        return unescape(first, d, charset=charset).strip() or None
    padded = (*parts, "", "", "", "", "", "", "")[:7]
    if d.escape in value:
        padded = tuple(unescape(part, d, charset=charset) for part in padded)
    ident, family, given, middle, suffix, prefix, degree = (part.strip() for part in padded)
    name = " ".join(p for p in (prefix, given, middle, family, suffix) if p)
    if name and degree:
        name = f"{name}, {degree}"
    return name or ident or None


def _coded_text(value: str, d: Delimiters) -> str:
    comps = value.split(d.component)
    for index in (1, 4, 0):  # text, alternate text, then the code itself
        if len(comps) > index and comps[index].strip():
            return comps[index]
    return ""


def _header(msh: list[str], d: Delimiters, charset: str | None) -> MessageHeader:
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
    # _leaf of each field, its common case (no delimiter, nothing to unescape) inline
    app, facility, receiver, receiving_facility, time, control_id, processing_id, version = (
        (value.strip() or None)
        if component not in value and repetition not in value and escape not in value
        else _leaf(value, d, charset)
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


def _prepare(message: str, *, lines: bool = False) -> tuple[str, Delimiters, list[str]]:
    """The message as one normalised message, its delimiters and its segments (or, with ``lines``, its
    lines as they are: see `_parse`)."""
    # Single-character checks only (memchr-fast); a second MSH is caught by the segment loop.
    if not message.startswith("MSH") or "\n" in message or "\x0b" in message or "\x1c" in message:
        messages = split_messages(message)
        if len(messages) != 1:
            raise UnreadableMessageError(f"expected one message, found {len(messages)}", where="MSH")
        message = messages[0]
    d = _delimiters(message)
    return message, d, message.rstrip("\r").split("\r") if lines else _segments(message, d.field)


class _NotSegments(Exception):
    """A line that is not a segment: the message needs `_segments` (raised only while reading lines)."""


def read_header(message: bytes | str) -> MessageHeader:
    """MSH of the first message in ``message`` (routing, ACKs); typed errors as :func:`split_messages`."""
    messages = split_messages(message)
    if not messages:
        raise UnreadableMessageError("payload holds no HL7 message", where="MSH")
    try:
        _, d, segments = _prepare(messages[0])
        msh = segments[0].split(d.field)
        return _header(msh, d, _codec_for(_field(msh, 17).split(d.repetition, 1)[0]))
    except ReportError:
        raise
    except Exception as exc:  # a defect here must still surface as a typed, attributable error
        raise UnreadableMessageError(f"unreadable MSH ({type(exc).__name__})", where="MSH") from exc


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
    # `_segments` and the read starts over. What a first read raised counts only if every line is a segment.
    message, d, lines = _prepare(message, lines=True)
    try:
        return _read(message, d, lines, source, pseudonym_key, checked=False)
    except _NotSegments:
        pass
    except Exception:
        if _all_segments(lines, d.field):
            raise
    return _read(message, d, _segments(message, d.field), source, pseudonym_key, checked=True)


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
    charset = _codec_for(_field(msh, 17).split(rep, 1)[0])
    header = _header(msh, d, charset)
    code = header.message_code
    if code not in SUPPORTED_MESSAGE_TYPES:
        shown = header.message_type or "an empty message type"
        raise UnsupportedMessageTypeError(f"{shown} is not a result message", where="MSH-9")

    blocks: list[TextBlock] = []
    lines: list[str] = []
    hint: SectionName | None = None
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
    obx_hint: SectionName | None = None
    last_rest: str | None = None  # the fields after OBX-5 of the last common OBX, whose OBX-11 is done

    def flush() -> None:
        if lines:
            text = "\n".join(lines)
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if text.strip():
                blocks.append(TextBlock(text, hint))
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
                    text = _coded_text(item, d) if coded else item
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
            nte_hint = hint if after_obx else None
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
            if len(obrs) == 1 and _field(obrs[0], 25).strip():
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
        _leaf(_field(obr, 3), d, charset)
        or _leaf(_field(obr, 18), d, charset)
        or _leaf(_field(obr, 2), d, charset)
    )
    extra: dict[str, str] = {}
    others = [_leaf(_field(o, 3), d, charset) for o in obrs[1:]]
    additional = [a for a in dict.fromkeys(others) if a and a != accession]
    if additional:
        extra["additional_accessions"] = ",".join(additional)
    if accession is None and orc is not None:
        orc_fields = orc.split(fs, 4)
        accession = _leaf(_field(orc_fields, 3), d, charset) or _leaf(_field(orc_fields, 2), d, charset)
    status = _status(_field(obr, 25), d.component) or obx_status
    interpreter = _person(_field(obr, 32), d, charset)
    observation_time = _leaf(_field(obr, 7), d, charset)

    if txa is not None:
        document_number = _leaf(_field(txa, 12), d, charset)
        if accession is None:
            accession = (
                _leaf(_field(txa, 15), d, charset)
                or document_number
                or _leaf(_field(txa, 16), d, charset)
                or _leaf(_field(txa, 14), d, charset)
            )
        if document_number:
            extra["document_number"] = document_number
        document_type = _component(_field(txa, 2), 1, d, charset)
        if document_type:
            extra["document_type"] = document_type
        if not _field(obr, 25).strip():
            txa_status = _TXA_STATUS.get((_leaf(_field(txa, 17), d, charset) or "").upper())
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
            or _person(_field(txa, 22), d, charset)
            or _person(_field(txa, 10), d, charset)
            or _person(_field(txa, 9), d, charset)
        )
        observation_time = observation_time or _leaf(_field(txa, 4), d, charset)

    patient_key = None
    if pseudonym_key is not None and pid is not None:
        pid3 = _field(pid.split(fs, 4), 3).split(rep, 1)[0].split(d.component)
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
        procedure_code=_component(_field(obr, 4), 1, d, charset),
        procedure_text=_component(_field(obr, 4), 2, d, charset) or _component(_field(obr, 4), 5, d, charset),
        observation_time=observation_time,
        status=status,
        interpreter=interpreter,
        patient_key=patient_key,
        extra=extra,
    )
