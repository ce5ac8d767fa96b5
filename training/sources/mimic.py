"""MIMIC-CXR free-text reports (``mimic-cxr-reports.zip``) cut into findings and impression.

**The archive.** PhysioNet's layout: one text file per study at ``files/pNN/pNNNNNNNN/sNNNNNNNN.txt``
(``p`` + the subject id, its first two digits as the folder group; ``s`` + the study id), possibly under a
top-level folder. Any other member (``index.html``, checksums) is ignored.

**The section rules** (what MEDIQA-2021's summarisation task used: the FINDINGS and IMPRESSION sections
of each free-text report; the rules below are ours):

1. A heading is an upper-case label at the start of a line (letters, spaces and ``/ & ( ) , -``, at most
   40 characters) followed by a colon, e.g. ``FINDINGS:``, ``WET READ:``, ``RECOMMENDATION(S):``. Text on
   the heading's own line after the colon belongs to that section.
2. A section runs from its heading to the next heading or the end of the report. The ``FINAL REPORT``
   banner has no colon and so is not a heading; text before the first heading belongs to no section.
3. Findings: ``FINDINGS`` or ``FINDING``; impression: ``IMPRESSION`` or ``IMPRESSIONS``. A combined
   ``FINDINGS AND IMPRESSION`` heading has no separate impression: such a report gives no pair. A section
   that occurs twice (an addendum) is joined in order with one space.
4. Whitespace runs (the reports wrap at ~80 columns) become one space. The de-identification mark ``___``
   stays: it is what the model will see in the field.
5. A report without a non-blank findings or impression gives no pair.

**The split CSV** (``mimic-cxr-2.0.0-split.csv``: ``dicom_id,study_id,subject_id,split`` with ``train``,
``validate``, ``test``) is read per study: :func:`read_split_csv` maps the study id to its split.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from radimpress.datasets.corpus import ReportPair
from radimpress.errors import ConfigurationError
from training.sources.base import SourcedPair, clean_section

__all__ = ["SOURCE", "extract_sections", "iter_mimic", "parse_report", "read_split_csv", "study_member"]

SOURCE = "mimic-cxr"

_MEMBER = re.compile(r"(?:^|/)files/p\d{2}/p(?P<subject>\d{8})/s(?P<study>\d{8})\.txt$")
_HEADING = re.compile(r"^[ \t]*(?P<label>[A-Z][A-Z /&(),\-]{0,39}?)[ \t]*:", re.MULTILINE)
_FINDINGS = frozenset({"FINDINGS", "FINDING"})
_IMPRESSION = frozenset({"IMPRESSION", "IMPRESSIONS"})


def study_member(name: str) -> tuple[str, str] | None:
    """``(subject id, study id)`` of an archive member in PhysioNet's layout, digits only; else None."""
    match = _MEMBER.search(name)
    return None if match is None else (match["subject"], match["study"])


def extract_sections(text: str) -> dict[str, str]:
    """Every headed section of a report, by upper-case label, repeated sections joined (rules 1-2, 4)."""
    sections: dict[str, list[str]] = {}
    headings = list(_HEADING.finditer(text))
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = clean_section(text[heading.end() : end])
        label = " ".join(heading["label"].split())
        if body is not None:
            sections.setdefault(label, []).append(body)
    return {label: " ".join(parts) for label, parts in sections.items()}


def _first(sections: Mapping[str, str], labels: frozenset[str]) -> str | None:
    found = [sections[label] for label in sorted(labels) if label in sections]
    return " ".join(found) if found else None


def parse_report(text: str, study_id: str) -> ReportPair | None:
    """The report's findings and impression under the rules above, or None when one is missing."""
    sections = extract_sections(text)
    findings, impression = _first(sections, _FINDINGS), _first(sections, _IMPRESSION)
    if findings is None or impression is None:
        return None
    return ReportPair(id=study_id, findings=findings, impression=impression)


def iter_mimic(path: str | Path) -> Iterator[SourcedPair]:
    """The usable pairs of ``mimic-cxr-reports.zip``, in member-name order (stable across zip tools).

    Ids are ``s<study>``, subjects ``p<subject>``. An unreadable archive or a member that is not UTF-8
    raises :class:`ConfigurationError`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigurationError(
            f"cannot open the MIMIC-CXR reports archive: {exc}", where=str(path)
        ) from exc
    with archive:
        members = sorted(
            (ids, info.filename)
            for info in archive.infolist()
            if not info.is_dir() and (ids := study_member(info.filename)) is not None
        )
        for (subject, study), name in members:
            try:
                text = archive.read(name).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigurationError("a report is not UTF-8", where=name) from exc
            pair = parse_report(text, f"s{study}")
            if pair is not None:
                yield SourcedPair(pair, SOURCE, f"p{subject}")


def read_split_csv(path: str | Path) -> dict[str, str]:
    """``s<study id>`` → ``train`` / ``validate`` / ``test`` from MIMIC-CXR's split CSV."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the split CSV: {exc}", where=str(path)) from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"study_id", "split"} <= set(reader.fieldnames):
        raise ConfigurationError("the split CSV needs the columns study_id and split", where=str(path))
    splits: dict[str, str] = {}
    for number, row in enumerate(reader, start=2):
        study, split = (row.get("study_id") or "").strip(), (row.get("split") or "").strip()
        if not study.isdigit() or split not in {"train", "validate", "test"}:
            raise ConfigurationError(
                "expected a numeric study_id and train/validate/test", where=f"line {number}"
            )
        splits[f"s{study}"] = split
    return splits
