"""HL7 escape sequences: decoded with the message's own delimiters, total, and the inverse of escape."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from radimpress.reading.hl7.escapes import DEFAULT_DELIMITERS, Delimiters, escape, unescape

CUSTOM = Delimiters(field="!", component="$", repetition="%", escape="#", subcomponent="*")
V27 = Delimiters(truncation="#")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("a\\F\\b", "a|b"),
        ("a\\S\\b", "a^b"),
        ("a\\T\\b", "a&b"),
        ("a\\R\\b", "a~b"),
        ("a\\E\\b", "a\\b"),
        ("\\H\\bold\\N\\ text", "bold text"),
        ("line\\.br\\next", "line\nnext"),
        ("line\\.BR\\next", "line\nnext"),
        ("a\\.sp\\b", "a\nb"),
        ("a\\.sp 2\\b", "a\n\nb"),
        ("a\\.sp3\\b", "a\n\n\nb"),
        ("a\\.sp +2\\b", "a\n\nb"),
        ("a\\.sp 999999\\b", "a" + "\n" * 20 + "b"),  # capped: a feed fault must not explode the text
        ("\\.in+4\\indented", "indented"),
        ("\\.ti -2\\temp", "temp"),
        ("\\.fi\\\\.nf\\filled", "filled"),
        ("word\\.sk 5\\word", "word word"),
        ("before\\.ce\\centered", "before\ncentered"),
        ("hex \\X4F4B\\!", "hex OK!"),
        ("\\XC3A9\\", "é"),  # UTF-8 bytes by default
        ("\\XE9\\", "é"),  # not UTF-8: cp1252 / latin-1 fallback
        ("\\X0D0A\\", "\r\n"),
        ("\\C2842\\abc\\C2842\\", "abc"),  # ISO 2022 switch: dropped, text already decoded
        ("\\Zlocal\\x", "x"),  # locally defined: no portable meaning
        ("\\P\\", "\\P\\"),  # truncation is only an escape when MSH-2 defines it
    ],
)
def test_escape_sequences_decode(text: str, expected: str) -> None:
    assert unescape(text, DEFAULT_DELIMITERS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "\\",
        "\\\\",
        "unterminated \\F",
        "odd hex \\X4\\",
        "bad hex \\XZZ\\",
        "unknown \\Q\\",
        "bad sp \\.sp abc\\",
        "unknown command \\.xx\\",
        "lower \\f\\",
        "long \\FF\\",
        "trailing \\",
    ],
)
def test_malformed_escapes_are_kept_literally(text: str) -> None:
    assert unescape(text, DEFAULT_DELIMITERS) == text


def test_invalid_escape_does_not_swallow_the_next_valid_one() -> None:
    # Given a literal backslash (a Windows path) right before a real escape
    # Then the literal part is kept and the escape still decodes
    assert unescape("C:\\temp\\F\\next", DEFAULT_DELIMITERS) == "C:\\temp|next"


def test_message_delimiters_are_used_not_the_defaults() -> None:
    assert unescape("a#F#b#S#c#T#d#R#e#E#f#.br#g", CUSTOM) == "a!b$c*d%e#f\ng"
    assert unescape("a\\F\\b", CUSTOM) == "a\\F\\b"


def test_truncation_character_from_v27() -> None:
    assert unescape("a\\P\\b", V27) == "a#b"


def test_hex_bytes_follow_the_message_charset() -> None:
    assert unescape("\\XE9\\", DEFAULT_DELIMITERS, charset="iso8859-7") == "ι"
    assert unescape("\\XE9\\", DEFAULT_DELIMITERS, charset="no-such-codec") == "é"


def test_escape_builds_values_for_outbound_messages() -> None:
    assert escape("R&L | 5^2 ~ C:\\x\nnext") == "R\\T\\L \\F\\ 5\\S\\2 \\R\\ C:\\E\\x\\.br\\next"
    assert escape("a#b", V27) == "a\\P\\b"


DELIMITER_SETS = st.sampled_from([DEFAULT_DELIMITERS, CUSTOM, V27])


@settings(max_examples=500)
@given(st.text(), DELIMITER_SETS)
@example("\\X\\", DEFAULT_DELIMITERS)
@example("\\.sp 99999999999\\", DEFAULT_DELIMITERS)
@example("\\X" + "0" * 9999 + "\\", DEFAULT_DELIMITERS)
def test_unescape_is_total(text: str, delimiters: Delimiters) -> None:
    # Given any text whatsoever, When it is unescaped, Then a string comes back and nothing is raised
    assert isinstance(unescape(text, delimiters), str)


ESCAPEY = st.lists(
    st.sampled_from(
        ["\\", "F", "S", "T", "R", "E", "X", "0", "A", ".br", ".sp", " 2", "H", "N", "#", "$", "a"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500)
@given(ESCAPEY, DELIMITER_SETS)
def test_unescape_is_total_on_escape_heavy_text(text: str, delimiters: Delimiters) -> None:
    result = unescape(text, delimiters)
    assert isinstance(result, str)
    assert delimiters.escape not in text or len(result) <= len(text) + 20 * text.count(".sp")


@settings(max_examples=500)
@given(st.text(), DELIMITER_SETS)
@example("\r\n", DEFAULT_DELIMITERS)
@example("\\F\\", DEFAULT_DELIMITERS)
@example("#P#", V27)
def test_unescape_inverts_escape(text: str, delimiters: Delimiters) -> None:
    # Given any text, When it is escaped for a message and decoded again, Then it is unchanged
    escaped = escape(text, delimiters)
    for delimiter in (delimiters.field, delimiters.component, delimiters.repetition, delimiters.subcomponent):
        assert delimiter not in escaped
    assert "\n" not in escaped and "\r" not in escaped
    assert unescape(escaped, delimiters) == text
