"""The header vocabulary of radiology reports: the label phrases that start a section (with the kind of
section each starts and whether it is strong), the trailer phrases that start a signature or administrative
line and the banner lines; and, for headers written without a colon inside running text, the labels that may
be such headers and the words around a label word that make it prose.

Only words live here, written with :func:`_x` so that one line spells every variant; what makes a phrase a
header in a given position, and the lookup tables and scan pattern built from these phrases at import, are in
:mod:`radimpress.reading.sections.headers`.
"""

from __future__ import annotations

import itertools
from typing import Final, Literal

__all__ = [
    "BANNERS",
    "INLINE_LABELS",
    "LABELS",
    "PROSE_AFTER_LABEL",
    "PROSE_BEFORE_LABEL",
    "TRAILERS",
    "Kind",
    "TrailerSuffix",
]


Kind = Literal[
    "indication",
    "comparison",
    "technique",
    "findings",
    "impression",
    "addendum",
    "other",
    "combined",  # FINDINGS AND IMPRESSION: text to findings; counts as the impression having started
    "prelim",  # WET READ / PRELIMINARY REPORT: text to other
]


def _x(*parts: str) -> list[str]:
    """Every phrase made of one choice from each ``|``-separated part: ``_x("A|B", " C")`` = A C, B C.

    In a phrase a space stands for one or more blanks and ``~`` for optional blanks; letters match in any
    case; every other character matches itself.
    """
    return ["".join(choice) for choice in itertools.product(*(part.split("|") for part in parts))]


# What may follow a label as part of it: "number" an optional number (ADDENDUM #2), "version" an optional
# version (WET READ VERSION #1).
_LabelSuffix = Literal["", "number", "version"]
# What must follow a trailer phrase: "" anything; "word-end" a character that is not a letter, digit or "_",
# or the end of the line; "digit" optional blanks and a digit; "date" a date (03/04/2024, 3.4.24);
# "no-letter" anything but an ASCII letter.
TrailerSuffix = Literal["", "word-end", "digit", "date", "no-letter"]

# (phrases, kind, strong, suffix)
LABELS: Final[tuple[tuple[list[str], Kind, bool, _LabelSuffix], ...]] = (
    (
        _x(
            "FINDING|FINDINGS",
            " AND |~&~|~/~",
            "IMPRESSION|IMPRESSIONS|CONCLUSION|CONCLUSIONS|INTERPRETATION",
        )
        + _x("IMPRESSION|IMPRESSIONS|CONCLUSION|CONCLUSIONS", " AND |~&~|~/~", "FINDING|FINDINGS"),
        "combined",
        True,
        "",
    ),
    (
        _x("CLINICAL ", "HISTORY|INFORMATION|INDICATION|INDICATIONS|DATA|DETAILS|NOTE|NOTES")
        + _x("REASON FOR ", "EXAM|EXAMINATION|STUDY|REFERRAL|REQUEST|IMAGING")
        + _x("RELEVANT|PERTINENT", " HISTORY| CLINICAL HISTORY")
        + _x("INDICATION|INDICATIONS", "| FOR EXAM| FOR EXAMINATION| FOR STUDY")
        + ["HISTORY"],
        "indication",
        True,
        "",
    ),
    (
        _x("COMPARISON|COMPARISONS", "| STUDY| STUDIES| EXAM| EXAMS| EXAMINATION| EXAMINATIONS"),
        "comparison",
        True,
        "",
    ),
    (
        _x("PRIOR|PRIORS", "| STUDY| STUDIES| EXAM| EXAMS| EXAMINATION| EXAMINATIONS| IMAGING"),
        "comparison",
        False,
        "",
    ),
    (["TECHNIQUE"], "technique", True, ""),
    (_x("PROCEDURE|PROCEDURES|EXAM|EXAMINATION|VIEWS|PROTOCOL"), "technique", False, ""),
    (["FINDINGS", "FINDING"], "findings", True, ""),
    (["REPORT"], "findings", False, ""),
    (
        [*_x("FINAL |OVERALL |DIAGNOSTIC |", "IMPRESSION|IMPRESSIONS"), "CONCLUSION", "CONCLUSIONS"],
        "impression",
        True,
        "",
    ),
    (_x("SUMMARY|OPINION|DIAGNOSIS|DIAGNOSES|ASSESSMENT"), "impression", False, ""),
    (["ADDENDUM", "ADDENDA"], "addendum", True, "number"),
    (
        ["AMENDED REPORT", "AMENDMENT", "ADDENDUM BEGINS", "BEGIN ADDENDUM", "START OF ADDENDUM"],
        "addendum",
        True,
        "",
    ),
    (
        _x("TECH|TECHS|TECH'S|TECHNOLOGIST|TECHNOLOGISTS|TECHNOLOGIST'S", " ", "COMMENT|COMMENTS|NOTE|NOTES")
        + _x("RECOMMENDATION|RECOMMENDATIONS|FOLLOW-UP|FOLLOW UP|FOLLOWUP|NOTIFICATION|COMMUNICATION")
        + _x("CRITICAL ", "RESULT|RESULTS", "| NOTIFICATION"),
        "other",
        True,
        "",
    ),
    (["WET READ"], "prelim", True, "version"),
    (
        _x("PRELIM|PRELIMINARY", "| REPORT| READ| INTERPRETATION| FINDINGS| RESULT| RESULTS"),
        "prelim",
        True,
        "",
    ),
)

# Trailer and administrative lines, recognised by how they start: (phrases, suffix).
TRAILERS: Final[tuple[tuple[list[str], TrailerSuffix], ...]] = (
    (_x("ELECTRONICALLY ", "SIGNED|VERIFIED|APPROVED|AUTHENTICATED|REVIEWED"), ""),
    (_x("E-SIGNED|ESIGNED|DIGITALLY SIGNED"), ""),
    (_x("SIGNED ", "ELECTRONICALLY|OFF|BY|ON|AT"), "word-end"),
    (_x("SIGNED|SIGNATURE", "~:|~("), ""),
    (_x("DICTATED|TRANSCRIBED|VERIFIED|APPROVED|FINALIZED|FINALISED|RELEASED", " BY| ON| AT"), "word-end"),
    (_x("DICTATED|TRANSCRIBED|VERIFIED|APPROVED|FINALIZED|FINALISED|RELEASED", "~:| "), "digit"),
    (_x("DICTATED|TRANSCRIBED|FINALIZED|FINALISED", "~:"), ""),
    (_x("READ|INTERPRETED|REVIEWED|AUTHENTICATED", " BY"), "word-end"),
    (["REPORTED BY~:"], ""),
    (_x("REVIEWED AND ", "|ELECTRONICALLY ", "SIGNED|APPROVED|FINALIZED|FINALISED"), ""),
    (
        _x(
            "DICTATING|ATTENDING|STAFF|READING|INTERPRETING|SIGNING|RESIDENT|CONSULTANT",
            " RADIOLOGIST~:| PHYSICIAN~:",
        ),
        "",
    ),
    (_x("RADIOLOGIST|TRANSCRIPTIONIST", "~:"), ""),
    (
        _x("I HAVE ", "|PERSONALLY ", "REVIEWED|EXAMINED|VIEWED") + _x("I PERSONALLY ", "REVIEWED|VIEWED"),
        "word-end",
    ),
    (_x("I, DR|I AGREE WITH|I CONCUR WITH|ATTESTATION|TEACHING PHYSICIAN ATTESTATION"), "word-end"),
    (_x("I, THE ", "ATTENDING|UNDERSIGNED"), ""),
    (_x("D|T|DD|DT|TD|TT|DS", "~:~"), "date"),
    (
        _x(
            "DATE",
            "|~/~TIME",
            " ",
            "SIGNED|DICTATED|TRANSCRIBED|VERIFIED|FINALIZED|FINALISED|OF DICTATION|OF TRANSCRIPTION",
        ),
        "",
    ),
    (_x("JOB", "~#| NO| NUMBER| ID"), "no-letter"),
    (["WORKSTATION~:"], ""),
    (
        _x("END OF ", "REPORT|IMPRESSION|ADDENDUM|TRANSCRIPTION|DOCUMENT") + _x("ADDENDUM ENDS|END ADDENDUM"),
        "word-end",
    ),
    # The administrative lines of a report's banner, kept whole in `other` like a signature, so that with
    # no findings header a patient block never becomes the findings (and never reaches a prompt).
    (
        _x(
            "PATIENT|PATIENT NAME|NAME|MRN|MEDICAL RECORD NUMBER|MEDICAL RECORD #|DOB|DATE OF BIRTH"
            "|ACCESSION|ACCESSION NUMBER|ACCESSION #|VISIT NUMBER|ENCOUNTER|ORDER NUMBER"
            "|ORDERED BY|REFERRED BY|DATE OF SERVICE|DATE OF EXAM|DATE OF STUDY|EXAM DATE|STUDY DATE",
            "~:",
        )
        + _x("ORDERING |REFERRING |ATTENDING ", "PHYSICIAN~:|PROVIDER~:|DOCTOR~:|CLINICIAN~:"),
        "",
    ),
)
# Banner lines: a title or status line on its own (optionally ending in "." or ":").
BANNERS: Final[tuple[str, ...]] = (
    *_x("FINAL|CORRECTED|REVISED|UPDATED|CONFIDENTIAL|RADIOLOGY|IMAGING|X-RAY|XRAY", " REPORT"),
    "DIAGNOSTIC IMAGING REPORT",
    "CONFIDENTIAL",
    *_x("REPORT STATUS", "~:~|~", "FINAL|PRELIMINARY|CORRECTED|AMENDED"),
)


def _words(text: str) -> frozenset[str]:
    """The blank-separated words of ``text``."""
    return frozenset(text.split())


# Labels that may be headers with no colon inside running text ("History Cough. Findings The heart is
# normal. Conclusion Normal."), each spelt as in LABELS; `radimpress.reading.sections.inline` says where.
INLINE_LABELS: Final[tuple[str, ...]] = (
    *_x("CLINICAL ", "HISTORY|INFORMATION|INDICATION|INDICATIONS|DETAILS"),
    *_x("REASON FOR ", "EXAM|EXAMINATION|STUDY"),
    "HISTORY",
    "INDICATION",
    "INDICATIONS",
    "TECHNIQUE",
    "COMPARISON",
    "COMPARISONS",
    "FINDINGS",
    "FINDING",
    "IMPRESSION",
    "IMPRESSIONS",
    "CONCLUSION",
    "CONCLUSIONS",
    "OPINION",
    "SUMMARY",
)
# A label word followed by one of these (in lower case) is prose, not a header: "FINDINGS are unchanged",
# "History of smoking", "IMPRESSION is made", "Comparison with the prior".
PROSE_AFTER_LABEL: Final = _words(
    """is are was were be been being of in on at to for from with without as by about above below and or
    but nor that which who whose than then there here suggest suggests suggesting suggestive show shows
    showed shown demonstrate demonstrates demonstrated remain remains remained unchanged stable have has
    had can may might could would should will do does did not include includes including indicate
    indicates indicated consistent compatible seen noted described reported mentioned listed discussed
    concerning regarding related given made obtained reviewed"""
)
# An ALL-CAPS label word in the middle of a sentence after one of these is prose: "see FINDINGS below",
# "no IMPRESSION of", "the prior COMPARISON".
PROSE_BEFORE_LABEL: Final = _words(
    """the a an no any some these those this that his her its their our your my of see per with without
    and or in on for from to by as than all prior previous recent new initial final above below"""
)
