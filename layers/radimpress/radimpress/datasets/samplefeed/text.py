"""The report text as senders lay it out: dictation-wrapped lines, section headers, the plain-text shape.

Report text is never edited (the IU licence forbids adapted copies): it is only wrapped into lines, escaped
and framed. Header labels and case vary with the message index, as they do between real senders.
"""

from __future__ import annotations

from functools import lru_cache

from radimpress.datasets.samplefeed.reports import ReportLike

__all__ = [
    "SECTION_ORDER",
    "line_width",
    "present",
    "report_lines",
    "section_lines",
    "section_text",
    "text_report",
    "wrap",
]


SECTION_ORDER = ("indication", "comparison", "findings", "impression")
_INDICATION_LABELS = ("INDICATION", "HISTORY", "CLINICAL INFORMATION", "REASON FOR EXAM")


@lru_cache(maxsize=32768)  # a report is rendered in every shape with the same width
def wrap(text: str, width: int) -> tuple[str, ...]:
    """Lines as a dictation system wraps them; never breaks a word, so joining by spaces restores it."""
    lines: list[str] = []
    line: list[str] = []
    length = 0
    for word in text.split():
        if line and length + 1 + len(word) > width:
            lines.append(" ".join(line))
            line, length = [], 0
        length += len(word) + (1 if line else 0)
        line.append(word)
    if line:
        lines.append(" ".join(line))
    return tuple(lines) or (text,)


def line_width(index: int) -> int:
    return 64 + 8 * (index % 3)


def _label(section: str, index: int) -> str:
    if section == "indication":
        label = _INDICATION_LABELS[index % len(_INDICATION_LABELS)]
    else:
        label = section.upper()
    return label.title() if index % 5 == 4 else label  # headers in any case


def section_text(report: ReportLike, name: str) -> str | None:
    value = report.get(name)
    return value if isinstance(value, str) and value else None


def present(report: ReportLike) -> list[tuple[str, str]]:
    return [(name, text) for name in SECTION_ORDER if (text := section_text(report, name))]


def section_lines(section: str, text: str, index: int, *, inline: bool) -> list[str]:
    label = _label(section, index)
    if inline:
        return list(wrap(f"{label}: {text}", line_width(index)))
    return [f"{label}:", *wrap(text, line_width(index))]


def report_lines(report: ReportLike, index: int, *, inline: bool) -> list[str]:
    """The whole report with text headers, sections separated by a blank line."""
    lines: list[str] = []
    for section, text in present(report):
        if lines:
            lines.append("")
        lines.extend(section_lines(section, text, index, inline=inline))
    return lines


def text_report(report: ReportLike, index: int) -> bytes:
    if index % 2 == 0:  # the common shape: one paragraph per section
        paragraphs = [f"{_label(name, index)}: {text}" for name, text in present(report)]
    else:  # headers on their own line, dictation-wrapped text
        paragraphs = [
            "\n".join(section_lines(name, text, index, inline=False)) for name, text in present(report)
        ]
    return ("\n\n".join(paragraphs) + "\n").encode()
