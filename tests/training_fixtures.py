"""Tiny synthetic copies of the public collections' file layouts, built from the bundled IU reports.

Nothing is fetched: the texts are real de-identified IU reports (``events/iu/reports.jsonl``), laid out as
``mimic-cxr-reports.zip`` (PhysioNet's ``files/pNN/pNNNNNNNN/sNNNNNNNN.txt``, MIMIC's free-text section
style), Kaggle's ``indiana_reports.csv`` and Open-i's ``ecgen-radiology/*.xml``.
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]


def iu_rows(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``count`` IU rows that have both findings and impression, from the ``start``-th such row."""
    rows = []
    with (ROOT / "events/iu/reports.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("findings") and row.get("impression"):
                rows.append(row)
    return rows[start : start + count]


def _wrap(text: str, width: int = 60) -> str:
    """Hard line wraps, as MIMIC's reports have."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "\n ".join(lines)


def mimic_report(row: dict[str, Any]) -> str:
    """One report in MIMIC-CXR's free-text layout (banner, headed sections, wrapped lines)."""
    return (
        "                                 FINAL REPORT\n"
        " EXAMINATION:  CHEST (PA AND LAT)\n \n"
        f" INDICATION:  {row.get('indication') or '___'}\n \n"
        " TECHNIQUE:  Chest PA and lateral\n \n"
        f" COMPARISON:  {row.get('comparison') or 'None.'}\n \n"
        f" FINDINGS: \n \n {_wrap(row['findings'])}\n \n"
        f" IMPRESSION: \n \n {_wrap(row['impression'])}\n"
    )


def write_mimic_zip(
    path: Path, studies: list[tuple[str, str, str]], *, top: str = "mimic-cxr-reports"
) -> Path:
    """A zip of ``(subject 8 digits, study 8 digits, report text)`` in PhysioNet's layout."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{top}/index.html", "<html></html>")
        for subject, study, text in studies:
            archive.writestr(f"{top}/files/p{subject[:2]}/p{subject}/s{study}.txt", text)
    return path


def write_split_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """MIMIC-CXR's split CSV from ``(subject, study, split)``, one image row per study."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["dicom_id", "study_id", "subject_id", "split"])
    for number, (subject, study, split) in enumerate(rows):
        writer.writerow([f"d{number:04d}", study, subject, split])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_indiana_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Kaggle's ``indiana_reports.csv`` for IU rows (uid = the number in ``CXR<n>``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["uid", "MeSH", "Problems", "image", "indication", "comparison", "findings", "impression"]
    )
    for row in rows:
        writer.writerow(
            [
                row["id"].removeprefix("CXR"),
                row.get("mesh") or "",
                "normal",
                "Xray Chest PA",
                row.get("indication") or "",
                row.get("comparison") or "",
                row["findings"],
                row["impression"],
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def openi_xml(row: dict[str, Any]) -> bytes:
    """One Open-i ``ecgen-radiology`` document for an IU row."""
    sections = "".join(
        f'<AbstractText Label="{label}">{escape(row.get(key) or "")}</AbstractText>'
        for label, key in (
            ("COMPARISON", "comparison"),
            ("INDICATION", "indication"),
            ("FINDINGS", "findings"),
            ("IMPRESSION", "impression"),
        )
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><eCitation><meta type="rr"/>'
        f'<uId id="{row["id"]}"/><MedlineCitation><Article><Abstract>{sections}</Abstract></Article>'
        "</MedlineCitation></eCitation>"
    ).encode()


def write_openi(directory: Path, rows: list[dict[str, Any]], *, tgz: Path | None = None) -> Path:
    """``directory/ecgen-radiology/<n>.xml`` per row; with ``tgz``, also that archive of the folder."""
    folder = directory / "ecgen-radiology"
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (folder / f"{row['id'].removeprefix('CXR')}.xml").write_bytes(openi_xml(row))
    if tgz is None:
        return folder
    with tarfile.open(tgz, "w:gz") as archive:
        archive.add(folder, arcname="ecgen-radiology")
    return tgz
