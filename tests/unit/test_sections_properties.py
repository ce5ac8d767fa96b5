"""Properties of the section splitter on any input: it always returns sections, and nothing is invented
and nothing lost.

"Nothing invented, nothing lost" precisely: tokenise into maximal runs of letters and digits (``[^\\W_]+``,
so whitespace, punctuation, decoration and rule characters are not tokens). Then the multiset of tokens of
the input equals the multiset of tokens of all seven sections together plus the tokens of the header
labels the splitter reports as removed (:attr:`SplitResult.headers`). A word moved to another section is
allowed (that is the split); a word dropped, duplicated or made up is not.
"""

from __future__ import annotations

import re
import time
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from radimpress.errors import ReportError
from radimpress.reading.model import SECTION_NAMES, SectionName, Sections, TextBlock
from radimpress.reading.plaintext import parse_text_report
from radimpress.reading.sections.split import split_detailed, split_text

_TOKEN = re.compile(r"[^\W_]+")

# Pieces that exercise every rule: labels in every case, weak labels, combined headers, organ sub-headers,
# trailer and banner starts, decoration, list numbers, and the punctuation and blanks around them.
_WORDS = [
    "FINDINGS",
    "Findings",
    "findings",
    "FINDING",
    "IMPRESSION",
    "Impression",
    "impression",
    "IMPRESSIONS",
    "CONCLUSION",
    "HISTORY",
    "CLINICAL HISTORY",
    "Clinical  history",
    "INDICATION",
    "REASON FOR EXAM",
    "COMPARISON",
    "PRIOR",
    "TECHNIQUE",
    "EXAM",
    "VIEWS",
    "REPORT",
    "SUMMARY",
    "OPINION",
    "Diagnosis",
    "ASSESSMENT",
    "FINDINGS AND IMPRESSION",
    "FINDINGS/IMPRESSION",
    "ADDENDUM",
    "ADDENDUM #2",
    "Addendum 3",
    "AMENDED REPORT",
    "ADDENDUM BEGINS",
    "ADDENDUM ENDS",
    "WET READ",
    "WET READ VERSION #1",
    "PRELIMINARY REPORT",
    "FINAL REPORT",
    "RADIOLOGY REPORT",
    "END OF REPORT",
    "RECOMMENDATION",
    "Follow-up",
    "TECHNOLOGIST COMMENTS",
    "TECH NOTE",
    "LUNGS",
    "HEART",
    "PLEURA",
    "Electronically signed by",
    "Signed by",
    "Dictated",
    "Transcribed by",
    "I have personally reviewed",
    "Radiologist",
    "D: 01/02/2024",
    "Job #",
    "Patient Name",
    "MRN",
    "Exam Date",
    "The",
    "lungs",
    "are",
    "clear",
    "No",
    "OF",
    "x",
    "1.",
    "2)",
    "4A",
    "é",
    "ß",
    "\u0130",
    "\u212a",
]
_SEPARATORS = [
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    ":",
    ": ",
    " :",
    " - ",
    "\u2014",
    ". ",
    ".",
    "; ",
    "!",
    "?",
    "#",
    "***",
    "*",
    "=====",
    "~~",
    "-----",
    "____",
    "/",
    "&",
    "'",
    "(",
    "\x0b",
    "\u2028",
]
_PIECE = st.one_of(
    st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS), st.text(max_size=6), st.integers(0, 99).map(str)
)
# Report-like lines: indentation, maybe a label and what follows it, then words and punctuation.
_LINE = st.tuples(
    st.sampled_from(["", "", " ", "\t", "*** ", "1. "]),
    st.sampled_from(_WORDS),
    st.sampled_from(["", ":", ": ", " : ", " ", "  ", " - ", ".", "\t", " ***"]),
    st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=8).map(" ".join),
).map("".join)
report_text = st.one_of(
    st.lists(_LINE, max_size=15).map("\n".join),
    st.lists(_PIECE, max_size=80).map("".join),
    st.text(max_size=300),
)
hint = st.sampled_from([None, *SECTION_NAMES])


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text))


def section_tokens(sections: Sections) -> Counter[str]:
    total: Counter[str] = Counter()
    for name in SECTION_NAMES:
        total += tokens(getattr(sections, name) or "")
    return total


def assert_normalised(sections: Sections) -> None:
    for name in SECTION_NAMES:
        value = getattr(sections, name)
        assert value is None or isinstance(value, str)
        if value is not None:
            # non-empty, stripped lines, no blank lines, one kind of line break
            assert value
            assert "\r" not in value
            assert all(line and line == line.strip() for line in value.split("\n"))


@settings(max_examples=400, deadline=None)
@given(report_text)
def test_any_text_splits_and_keeps_every_word(text: str) -> None:
    # Given any text; When it is split
    result = split_detailed([TextBlock(text)])

    # Then it gives sections, lightly normalised, and every word is in a section or a removed header label
    assert_normalised(result.sections)
    assert section_tokens(result.sections) + tokens(" ".join(result.headers)) == tokens(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(report_text, hint), max_size=6))
def test_any_hinted_blocks_split_and_keep_every_word(blocks: list[tuple[str, SectionName | None]]) -> None:
    # Given any blocks with any OBX-3 hints; When they are split
    result = split_detailed([TextBlock(text, section) for text, section in blocks])

    # Then nothing is lost or invented across the blocks either
    assert_normalised(result.sections)
    everything = " ".join(text for text, _section in blocks)
    assert section_tokens(result.sections) + tokens(" ".join(result.headers)) == tokens(everything)


@settings(max_examples=200, deadline=None)
@given(report_text)
def test_a_findings_hint_is_never_lost(text: str) -> None:
    # Given text that the sender coded as findings and that has some words
    result = split_detailed([TextBlock("Clear lungs.", "findings"), TextBlock(text)])

    # Then the hinted findings are there, whatever follows
    assert result.sections.findings is not None
    assert result.sections.findings.startswith("Clear lungs.")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), report_text.map(lambda text: text.encode("utf-8")), report_text))
def test_any_payload_is_a_report_or_a_typed_error(payload: bytes | str) -> None:
    # Given any bytes or text; When read as a plain-text report
    try:
        report = parse_text_report(payload, source="fuzz")
    except ReportError:
        return  # Then either a typed error...
    # ...or a text report with findings and no metadata
    assert report.format == "text"
    assert report.sections.findings
    assert report.control_id is None


def test_adversarial_input_is_split_in_linear_time() -> None:
    # Given 200-KB inputs built to make a backtracking matcher quadratic (blank runs, rule and decoration
    # characters without an end, label prefixes, sentence marks, colons)
    size = 200_000
    inputs = [
        " " * size + "x",
        "\n" + "*" * size + "x",
        "\n" + "-" * size + "x",
        "\n**" + " " * size + "x",
        ". " * (size // 2),
        ":" * size,
        "\nFINDINGS" + " " * size + "x",
        ("\nFINDINGS AND" + " " * 50) * (size // 60),
        (". IMPRESSION" + " " * 20 + ":") * (size // 33),
        "\nCLINICAL" + "\t " * (size // 2),
    ]
    for text in inputs:
        # When each is split
        started = time.perf_counter()
        split_text(text)
        elapsed = time.perf_counter() - started

        # Then it takes well under a second (a quadratic scan would take minutes)
        assert elapsed < 1.0, (text[:20], elapsed)
