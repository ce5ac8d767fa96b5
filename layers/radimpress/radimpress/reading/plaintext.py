"""Plain-text radiology reports (a ``.txt`` body, or an SQS body that is not HL7) -> :class:`Report`.

A text report has only sections: no message metadata (all metadata fields stay ``None``).

Decoding bytes: a UTF-8 BOM is stripped and the body decoded as UTF-8; if that fails, as cp1252 (what
Windows-based RIS exports really are), and if that fails too (one of the five bytes cp1252 leaves
undefined), as latin-1, which decodes any byte. A UTF-16 body is recognised by its BOM. The result is
then checked for being text at all: NUL characters, or more than a tenth of the characters being control
characters (other than tab, line feed, carriage return, form feed and vertical tab) or replacement
characters, mean binary content (a PDF, an image, a zip) and raise :class:`UnreadableMessageError`.
"""

from __future__ import annotations

import re
from typing import Final

from radimpress.errors import NoFindingsError, ReportError, UnreadableMessageError
from radimpress.reading.model import Report
from radimpress.reading.sections.split import split_text

__all__ = ["decode_text", "parse_text_report"]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_CONTROL_SHARE: Final = 0.1


def decode_text(payload: bytes | str) -> str:
    """``payload`` as text: bytes decoded (UTF-8, then cp1252, then latin-1), a leading BOM removed.

    Raises :class:`UnreadableMessageError` for binary content and for empty or whitespace-only text.
    """
    text = payload if isinstance(payload, str) else _decode_bytes(bytes(payload))
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UnreadableMessageError("empty text report", where="body")
    if "\x00" in text:
        raise UnreadableMessageError("binary content: NUL characters in a text report", where="body")
    if _CONTROL.search(text) is None:
        return text
    controls = _CONTROL.subn("", text)[1]
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise UnreadableMessageError(
            f"binary content: {controls} of {len(text)} characters are control characters", where="body"
        )
    return text


def _decode_bytes(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableMessageError("invalid UTF-16 text", where=f"byte {exc.start}") from exc
    data = data.removeprefix(_UTF8_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_text_report(payload: bytes | str, *, source: str) -> Report:
    """One plain-text report -> a :class:`Report` with ``format="text"``, sections only.

    Raises :class:`UnreadableMessageError` (empty, binary), :class:`NoFindingsError` (the text has no
    findings after splitting), never any exception outside :class:`ReportError`.
    """
    try:
        text = decode_text(payload)
        sections = split_text(text)
    except ReportError:
        raise
    except Exception as exc:  # a defect must still surface as a typed error, never a crash mid-batch
        raise UnreadableMessageError(f"unreadable text report ({type(exc).__name__})", where="body") from exc
    if sections.findings is None:
        raise NoFindingsError("text report has no findings", where="body")
    return Report(source=source, format="text", sections=sections)
