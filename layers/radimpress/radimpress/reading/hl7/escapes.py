"""HL7 v2 delimiters and escape sequences: the message's own delimiter characters (MSH-1, MSH-2) and
``unescape``/``escape`` for one leaf value.

Escapes are defined by the delimiters (``\\F\\`` stands for whatever MSH-1 says), so both live here, below
every other module of the reader. Decoding is total: anything malformed or unterminated is kept literally.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from radimpress.reading.hl7.decoding import LATIN1_FALLBACK

__all__ = ["DEFAULT_DELIMITERS", "Delimiters", "escape", "unescape"]


class Delimiters(NamedTuple):
    """The message's own delimiters from MSH-1 and MSH-2 (``truncation`` is v2.7+'s fifth, else "")."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""


DEFAULT_DELIMITERS = Delimiters()


_FORMAT_RE = re.compile(r"\.(br|sp|in|ti|sk|ce|fi|nf)\s*([+-]?\d{1,6})?\s*", re.IGNORECASE)
_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_MAX_BLANK_LINES = 20


def _decode_hex(digits: str, charset: str | None) -> str:
    raw = bytes.fromhex(digits)
    try:
        return raw.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return raw.decode("cp1252", LATIN1_FALLBACK)


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
