"""Values out of HL7 v2 fields: a field by index, its first leaf or a component (unescaped and stripped), a
staff name rendered readably and a coded value's text.

The header and the message reader both take their metadata through these, so each value is unescaped only
when it is kept and a plain value (no delimiter, no escape) costs one membership test per delimiter.
"""

from __future__ import annotations

from radimpress.reading.hl7.escapes import Delimiters, unescape

__all__ = ["coded_text", "component", "field", "leaf", "person"]


def leaf(value: str, d: Delimiters, charset: str | None) -> str | None:
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


def component(value: str, index: int, d: Delimiters, charset: str | None) -> str | None:
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


def field(fields: list[str], index: int) -> str:
    return fields[index] if len(fields) > index else ""


def person(value: str, d: Delimiters, charset: str | None) -> str | None:
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


def coded_text(value: str, d: Delimiters) -> str:
    comps = value.split(d.component)
    for index in (1, 4, 0):  # text, alternate text, then the code itself
        if len(comps) > index and comps[index].strip():
            return comps[index]
    return ""
