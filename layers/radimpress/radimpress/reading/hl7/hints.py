"""Section hints from OBX-3: the report section an observation identifier codes, if it codes one.

LOINC radiology section codes, their DICOM (DCM) counterparts, the local code tokens of common RIS and
keywords in the code's text each name a section; a code that names none, or more than one, leaves the
section to the text's own headers. Resolved once per distinct raw identifier (cached).

A code that names no section but is the general description suffix (``&GDT``, HL7 v2 chapter 7's
observation identifier suffixes, beside ``&IMP`` and ``&REC``) marks its text as the report *body*
(:data:`BODY`): it does not continue the section of the observation before it (chapter 7's own chest X-ray
example sends the ``&IMP`` values first, then the ``&GDT`` description) and, under no header of its own, it
is the findings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, Literal

from radimpress.reading.hl7.escapes import DEFAULT_DELIMITERS, Delimiters
from radimpress.reading.model import SectionName

__all__ = ["BODY", "Hint", "hint", "section_hint"]

#: The hint of a general description (``&GDT``): the report body, whose own headers decide its sections.
BODY: Final = "body"
Hint = SectionName | Literal["body"] | None


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
# description text") is in many systems the whole report body, so it names no section: it is `BODY`.
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
def hint(raw: str, component: str, subcomponent: str) -> Hint:
    comps = raw.split(component)
    code, alt_code = comps[0], comps[3] if len(comps) > 3 else ""
    candidates: tuple[str, ...] = (code, alt_code)
    if subcomponent in code or subcomponent in alt_code:
        # "<code>&IMP": the code before its suffix still names the section. A whole-report code
        # ("18748-4&GDT") names none: its suffix decides below.
        bases = tuple(c.split(subcomponent, 1)[0] for c in candidates if subcomponent in c)
        candidates = (*candidates, *(b for b in bases if _LOINC_HINTS.get(b) or _DCM_HINTS.get(b)))
    for candidate in candidates:
        if candidate in _LOINC_HINTS:
            return _LOINC_HINTS[candidate]
    systems = {c.strip().upper() for c in comps[2:3] + comps[5:6]}
    if "DCM" in systems:
        for candidate in candidates:
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
    if any(token.strip() == "GDT" for token in tokens):
        return BODY
    return None  # the whole report (18748-4), combined ("FINDINGS AND IMPRESSION") or unknown: text decides


def section_hint(observation_id: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> SectionName | None:
    """The section an OBX-3 observation identifier codes, or None to let the text headers decide."""
    found = hint(observation_id, delimiters.component, delimiters.subcomponent)
    return None if found == BODY else found
