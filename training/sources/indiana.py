"""The Indiana University chest X-ray collection in its two public forms.

- **Kaggle** ``indiana_reports.csv``: columns ``uid, MeSH, Problems, image, indication, comparison,
  findings, impression``, one row per study (``uid`` a number).
- **Open-i** ``ecgen-radiology/*.xml``: one XML document per study, the study id in ``<uId id="CXR1"/>``
  and the sections as ``<AbstractText Label="FINDINGS">`` (and ``IMPRESSION``, ``INDICATION``,
  ``COMPARISON``). Read from the folder or from the ``.tgz`` it is distributed in.

Both give the same ids (``CXR<uid>``), so the same study read from both forms is one study to the
de-duplication. The collection has no patient identifier beside the study: each study is its own group in
the split. Whitespace runs become one space; the de-identification mark ``XXXX`` stays.
"""

from __future__ import annotations

import csv
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

# The Open-i files are a public collection the operator downloaded, parsed without DTDs or external
# entities (expat's defaults); nothing here reads XML from a network peer.
from xml.etree import ElementTree

from radimpress.datasets.corpus import ReportPair
from radimpress.errors import ConfigurationError
from training.sources.base import SourcedPair, clean_section

__all__ = ["CSV_COLUMNS", "SOURCE", "iter_indiana_csv", "iter_openi", "parse_openi_xml"]

SOURCE = "indiana"
CSV_COLUMNS = ("uid", "MeSH", "Problems", "image", "indication", "comparison", "findings", "impression")


def _study_id(uid: str) -> str:
    uid = uid.strip()
    return uid if uid.upper().startswith("CXR") else f"CXR{uid}"


def _pair(study_id: str, sections: dict[str, str | None]) -> ReportPair | None:
    findings, impression = sections.get("findings"), sections.get("impression")
    if findings is None or impression is None:
        return None
    return ReportPair(
        id=study_id,
        findings=findings,
        impression=impression,
        indication=sections.get("indication"),
        comparison=sections.get("comparison"),
    )


def iter_indiana_csv(path: str | Path) -> Iterator[SourcedPair]:
    """The usable pairs of Kaggle's ``indiana_reports.csv``, in row order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the Indiana CSV: {exc}", where=str(path)) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"uid", "findings", "impression"} - set(reader.fieldnames or ())
    if missing:
        raise ConfigurationError(f"the Indiana CSV lacks the columns {sorted(missing)}", where=str(path))
    for number, row in enumerate(reader, start=2):
        uid = (row.get("uid") or "").strip()
        if not uid:
            raise ConfigurationError("a row without a uid", where=f"{Path(path).name}:{number}")
        sections = {name: clean_section(row.get(name)) for name in CSV_COLUMNS[4:]}
        pair = _pair(_study_id(uid), sections)
        if pair is not None:
            yield SourcedPair(pair, SOURCE)


def parse_openi_xml(data: bytes, where: str) -> ReportPair | None:
    """One Open-i report document's pair, or None without findings or impression."""
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - see the import: a downloaded public file
    except ElementTree.ParseError as exc:
        raise ConfigurationError(f"not an XML document: {exc}", where=where) from exc
    uid = root.find(".//uId")
    study = uid.get("id") if uid is not None else None
    if not study:
        raise ConfigurationError("no <uId id=...> in the report", where=where)
    sections: dict[str, str | None] = {}
    for element in root.iter("AbstractText"):
        label = (element.get("Label") or "").strip().lower()
        if label:
            sections[label] = clean_section("".join(element.itertext()))
    return _pair(_study_id(study), sections)


def _xml_documents(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.xml")):
            yield str(file.relative_to(path)), file.read_bytes()
        return
    try:
        with tarfile.open(path) as archive:
            members = sorted(
                (m for m in archive.getmembers() if m.isfile() and m.name.endswith(".xml")),
                key=lambda m: m.name,
            )
            for member in members:
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()
    except (OSError, tarfile.TarError) as exc:
        raise ConfigurationError(f"neither a folder nor a tar archive: {exc}", where=str(path)) from exc


def iter_openi(path: str | Path) -> Iterator[SourcedPair]:
    """The usable pairs of Open-i's ``ecgen-radiology`` reports (folder or ``.tgz``), in file-name order."""
    for where, data in _xml_documents(Path(path)):
        pair = parse_openi_xml(data, where)
        if pair is not None:
            yield SourcedPair(pair, SOURCE)
