"""Bytes to text for HL7 v2 payloads: UTF-8 when valid, else the charset MSH-18 declares, else cp1252.

Decoding comes before anything else can be read, so it works on the raw bytes: it finds MSH-18 by ASCII
structure alone, recognises UTF-16 by its BOM or by a segment tag interleaved with NULs, and refuses a
payload too large to be a report feed before decoding a byte of it. ``LATIN1_FALLBACK`` is the codec error
handler the escapes reuse for ``\\Xhh\\`` bytes that are not valid in the message's charset.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from radimpress.errors import EncodingError, UnreadableMessageError

__all__ = ["LATIN1_FALLBACK", "MAX_PAYLOAD_BYTES", "codec_for", "decode", "utf16_codec"]


#: Whole payloads (a batch file, embedded PDFs in ED fields) above this are refused before decoding.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


LATIN1_FALLBACK = "radimpress.latin1"


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes (0x81 0x8D 0x8F 0x90 0x9D) undefined; latin-1 maps every byte.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(LATIN1_FALLBACK, _latin1_for_undefined)

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
def codec_for(declared: str) -> str | None:
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


def utf16_codec(data: bytes) -> str | None:
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


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 when valid, else MSH-18 when it names a charset, else cp1252/latin-1."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise UnreadableMessageError(
            f"payload of {len(data)} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit", where="payload"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    utf16 = utf16_codec(data)
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
    codec = codec_for(declared) if declared else None
    if codec is not None and codec not in _NOT_BELIEVED:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            if not codec.startswith("iso8859"):
                # Reading a CJK message as cp1252 would silently produce pure mojibake.
                raise EncodingError(
                    f"bytes are not valid {declared!r} as declared", where=f"MSH-18 (byte {exc.start})"
                ) from exc
    return data.decode("cp1252", LATIN1_FALLBACK)
