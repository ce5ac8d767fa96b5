"""The sample feed: the bundled IU chest X-ray reports rendered the ways hospital interfaces send them.

Deterministic and pure: the bytes of a rendered message depend only on the report, the shape and ``index``
(the message's number in a feed, from which control id, accession, times and the synthetic patient derive);
:func:`iter_feed` adds a seeded choice of reports, shapes, corrections, duplicates and malformed messages.
The generator is the source of truth; ``events/feed/`` holds a small checked-in sample of its output::

    python -m radimpress.datasets.samplefeed --out events/feed --one-per-shape \
        --manifest events/feed.expected.jsonl

Report text is never edited (the IU licence forbids adapted copies): it is only wrapped into lines, escaped
and framed. Everything around it (patients, MRNs, accessions, radiologists) is synthetic and says so: every
patient family name starts with ``ZZTEST`` and every MRN with ``SYN``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple, TypedDict

from radimpress.errors import ConfigurationError
from radimpress.reading.model import Report

__all__ = [
    "Delimiters",
    "Expected",
    "FeedItem",
    "FeedKind",
    "IUReport",
    "Shape",
    "collapse_whitespace",
    "expected_for",
    "iter_feed",
    "iter_sample",
    "iu_reports_path",
    "load_reports",
    "main",
    "metadata_mismatches",
    "render",
    "render_batch",
    "section_mismatches",
]

IU_REPORTS_RELATIVE = Path("events") / "iu" / "reports.jsonl"


class IUReport(TypedDict):
    """One line of ``events/iu/reports.jsonl`` (see ``events/iu/SOURCE.md``)."""

    id: str
    indication: str | None
    comparison: str | None
    findings: str | None
    impression: str | None
    mesh: str


class Shape(StrEnum):
    """The real-world shapes a radiology result arrives in."""

    LOINC_TX = "loinc_tx"  # ORU^R01, one TX OBX per line, sections coded with LOINC in OBX-3
    FT_BLOB = "ft_blob"  # ORU^R01, the whole report in one FT OBX, lines joined by \.br\
    LOCAL_CODES = "local_codes"  # ORU^R01, sections coded &GDT/&IMP, GDT/IMP, FIND^FINDINGS^L, ^^^&GDT
    REPETITIONS = "repetitions"  # ORU^R01, lines as ~ repetitions of one OBX-5
    NTE = "nte"  # ORU^R01, report text in NTE segments after the OBR, no OBX
    MULTI_OBR = "multi_obr"  # ORU^R01, findings under one OBR, impression under a second
    ORF_R04 = "orf_r04"  # ORF^R04 query response (MSA + QRD) carrying the same OBR/OBX
    MDM_T02 = "mdm_t02"  # MDM^T02: TXA + OBX lines, UTF-8 (MSH-18) with a non-ASCII name
    BATCH = "batch"  # FHS/BHS ... BTS/FTS around one or more ORU^R01
    MLLP = "mllp"  # 0x0B ... 0x1C 0x0D framed ORU^R01
    LF = "lf"  # ORU^R01 with LF segment terminators
    CRLF = "crlf"  # ORU^R01 with CRLF segment terminators
    LATIN1 = "latin1"  # ORU^R01 encoded ISO 8859-1 (MSH-18 8859/1), non-ASCII patient and radiologist names
    TEXT = "text"  # a plain-text report: "INDICATION: ...\n\nFINDINGS: ...\n\nIMPRESSION: ..."


FeedKind = Literal["report", "malformed", "duplicate"]
ReportLike = Mapping[str, object]  # an IUReport or any dict with the same section keys


class Expected(TypedDict):
    """What a reader should get back from one rendered message."""

    iu_id: str
    message_type: str | None  # the first two components of MSH-9, e.g. "ORU^R01"
    control_id: str | None
    accession: str | None
    status: str | None
    procedure_code: str | None
    procedure_text: str | None
    interpreter_family: str | None  # the reader may format the whole name its own way
    indication: str | None
    comparison: str | None
    findings: str | None
    impression: str | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One payload of the feed (a file, an SQS body) and what reading it should give.

    ``expected`` has one entry per message in payload order (several for a batch file), none for a
    malformed payload; ``fault`` names what is wrong with a malformed one.
    """

    name: str
    payload: bytes
    shape: Shape | None
    kind: FeedKind
    expected: tuple[Expected, ...] = ()
    fault: str | None = None


class Delimiters(NamedTuple):
    """MSH-1 and MSH-2 of a message."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        return f"{self.component}{self.repetition}{self.escape}{self.subcomponent}"


STANDARD = Delimiters()

# hl7v2 has no outbound escape helper yet; this one is private so it can be swapped for it later.
_ESCAPE_TABLES: dict[Delimiters, dict[int, str]] = {}
_NEEDS_ESCAPE = re.compile(r"[|^&~\\\r\n]")


def _escape(text: str, delimiters: Delimiters = STANDARD) -> str:
    """``text`` as an HL7 field value: delimiters as escapes (\\F\\ \\S\\ ...), CR/LF as \\X0D\\ \\X0A\\."""
    if delimiters is STANDARD and not _NEEDS_ESCAPE.search(text):
        return text  # the common case, and the hot one when rendering thousands of messages
    table = _ESCAPE_TABLES.get(delimiters)
    if table is None:
        e = delimiters.escape
        table = {
            ord(delimiters.escape): f"{e}E{e}",
            ord(delimiters.field): f"{e}F{e}",
            ord(delimiters.component): f"{e}S{e}",
            ord(delimiters.subcomponent): f"{e}T{e}",
            ord(delimiters.repetition): f"{e}R{e}",
            ord("\r"): f"{e}X0D{e}",
            ord("\n"): f"{e}X0A{e}",
        }
        _ESCAPE_TABLES[delimiters] = table
    return text.translate(table)


# --- synthetic identities: small fixed lists, combined by a hash of the message index -----------------

_FAMILIES = ("ALDER", "BIRCH", "CEDAR", "HAZEL", "MAPLE", "ROWAN", "SPRUCE", "WILLOW", "ASPEN", "LARCH")
_GIVEN = ("ALEX", "BLAIR", "CASEY", "DREW", "EMERY", "FINLEY", "HARPER", "JORDAN", "MORGAN", "QUINN", "RILEY")
_FAMILIES_ACCENTED = ("MÜLLER", "NÚÑEZ", "SØRENSEN", "FRANÇOIS", "LAFONTAINE-ÉTÉ")
_GIVEN_ACCENTED = ("JÜRGEN", "BEGOÑA", "ÅSA", "RENÉE", "JOSÉ")
_RADIOLOGISTS = (
    ("R1001", "TESTRAD-ASH", "AVA"),
    ("R1002", "TESTRAD-OAK", "BEN"),
    ("R1003", "TESTRAD-ELM", "CLEO"),
    ("R1004", "TESTRAD-FIR", "DEV"),
)
_RADIOLOGISTS_ACCENTED = (
    ("R2001", "TESTRAD-PEÑA", "ÉLODIE"),
    ("R2002", "TESTRAD-GÖTZ", "ZOË"),
)
_PROCEDURES = (("71046", "XR CHEST 2 VIEWS"), ("71045", "XR CHEST 1 VIEW"))
_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "")
_EPOCH = datetime(2024, 1, 2, 7, 0)  # naive local time, as HL7 DTM without offset

_LOINC = {
    "indication": "11329-0^History^LN",
    "comparison": "18834-2^Comparison^LN",
    "findings": "18782-3^Findings^LN",
    "impression": "19005-8^Impression^LN",
}
_REPORT_CODE = "18748-4^Diagnostic imaging study^LN"  # a whole-report code: no section hint
_SECTION_ORDER = ("indication", "comparison", "findings", "impression")
_INDICATION_LABELS = ("INDICATION", "HISTORY", "CLINICAL INFORMATION", "REASON FOR EXAM")
_SEGMENT_TERMINATORS = {Shape.LF: "\n", Shape.CRLF: "\r\n"}
_MLLP_START, _MLLP_END = b"\x0b", b"\x1c\x0d"


class _Draws(NamedTuple):
    """The synthetic choices for one message index, shape-independent (shapes pick their own name lists)."""

    sent_after: int
    birth_day: int
    version: int
    mrn: int
    family: int
    given: int
    sex: int
    radiologist: int
    single_view: bool
    message_time: str
    observation_time: str
    birth_date: str


@lru_cache(maxsize=8192)
def _draws(index: int) -> _Draws:
    """One sha256 per index (not ``hash()``, which is salted per process), cut into 3-byte draws."""
    digest = hashlib.sha256(f"radimpress-samplefeed:{index}".encode()).digest()
    n = [int.from_bytes(digest[i : i + 3], "big") for i in range(0, 30, 3)]
    observed = _EPOCH + timedelta(minutes=13 * index)
    sent = observed + timedelta(minutes=20 + n[0] % 120)
    born = datetime(1930, 1, 1) + timedelta(days=n[1] % (365 * 70))
    return _Draws(
        sent_after=n[0] % 120,
        birth_day=n[1],
        version=n[2],
        mrn=n[3] % 10**7,
        family=n[4],
        given=n[5],
        sex=n[6] % 2,
        radiologist=n[7],
        single_view=n[8] % 8 == 0,
        message_time=sent.strftime("%Y%m%d%H%M%S"),
        observation_time=observed.strftime("%Y%m%d%H%M"),
        birth_date=born.strftime("%Y%m%d"),
    )


@dataclass(frozen=True, slots=True)
class _Envelope:
    """Everything a message carries besides the report text; all synthetic and derived from ``index``."""

    index: int
    control_id: str
    accession: str
    placer: str
    status: str
    version: str
    charset: str
    message_time: str
    observation_time: str
    mrn: str
    family: str
    given: str
    birth_date: str
    sex: str
    interpreter: tuple[str, str, str]
    procedure: tuple[str, str]


def _envelope(index: int, status: str, accession: str | None, shape: Shape) -> _Envelope:
    draws = _draws(index)
    accented = shape in (Shape.LATIN1, Shape.MDM_T02)
    families = _FAMILIES_ACCENTED if accented else _FAMILIES
    given = _GIVEN_ACCENTED if accented else _GIVEN
    radiologists = _RADIOLOGISTS_ACCENTED if accented else _RADIOLOGISTS
    if shape is Shape.MDM_T02:
        version = "2.6"  # the version whose MDM_T02 carries ORC/OBR
    elif shape is Shape.LATIN1:
        version = "2.5"
    else:
        version = _VERSIONS[draws.version % len(_VERSIONS)]
    return _Envelope(
        index=index,
        control_id=f"SYN{index:09d}",
        accession=accession or f"ACC{index:07d}",
        placer=f"ORD{index:07d}",
        status=status,
        version=version,
        charset={Shape.LATIN1: "8859/1", Shape.MDM_T02: "UNICODE UTF-8"}.get(shape, ""),
        message_time=draws.message_time,
        observation_time=draws.observation_time,
        mrn=f"SYN{draws.mrn:07d}",
        family=f"ZZTEST-{families[draws.family % len(families)]}",
        given=given[draws.given % len(given)],
        birth_date=draws.birth_date,
        sex="FM"[draws.sex],
        interpreter=radiologists[draws.radiologist % len(radiologists)],
        procedure=_PROCEDURES[1] if draws.single_view else _PROCEDURES[0],
    )


# --- segments ---------------------------------------------------------------------------------------


def _segment(name: str, fields: Mapping[int, str], d: Delimiters = STANDARD) -> str:
    """A segment from {field number: already-encoded value}; gaps become empty fields."""
    values = [""] * (max(fields, default=0) + 1)
    values[0] = name
    for number, value in fields.items():
        values[number] = value
    return d.field.join(values)


def _msh(env: _Envelope, message_type: str, d: Delimiters = STANDARD) -> str:
    fields = {
        3: "RIS^SYNTHETIC",
        4: "IUSAMPLE",
        5: "RADIMPRESS",
        6: "AWS",
        7: env.message_time,
        9: message_type,
        10: env.control_id,
        11: "P",
        12: env.version,
    }
    if env.charset:
        fields[18] = env.charset
    # MSH-1 is the field separator itself, so MSH-2 follows it directly.
    rest = d.field.join(fields.get(n, "") for n in range(3, max(fields) + 1))
    return f"MSH{d.field}{d.encoding_characters}{d.field}{rest}"


def _oru_type(env: _Envelope) -> str:
    return "ORU^R01" if env.version in ("2.3", "2.3.1", "") else "ORU^R01^ORU_R01"


def _pid(env: _Envelope) -> str:
    name = f"{_escape(env.family)}^{_escape(env.given)}^^^^^L"
    return _segment("PID", {1: "1", 3: f"{env.mrn}^^^IUSAMPLE^MR", 5: name, 7: env.birth_date, 8: env.sex})


def _obr(env: _Envelope, set_id: int = 1) -> str:
    rid, family, given = env.interpreter
    code, text = env.procedure
    return _segment(
        "OBR",
        {
            1: str(set_id),
            2: env.placer,
            3: env.accession,
            4: f"{code}^{text}^C4",
            7: env.observation_time,
            24: "RAD",
            25: env.status,
            32: f"{rid}&{_escape(family)}&{_escape(given)}&&&DR",
        },
    )


def _head(env: _Envelope, message_type: str) -> list[str]:
    return [
        _msh(env, message_type),
        _pid(env),
        _segment("PV1", {1: "1", 2: "O"}),
        _segment("ORC", {1: "RE", 2: env.placer, 3: env.accession}),
    ]


class _ObxWriter:
    """Numbers OBX-1 across a message; OBX-4 groups the lines of one section."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.set_id = 0

    def __call__(self, value_type: str, code: str, sub_id: int, value: str) -> str:
        self.set_id += 1  # OBX-6..10 (units, range, flags, probability, nature) stay empty
        return f"OBX|{self.set_id}|{value_type}|{code}|{sub_id}|{value}||||||{self.status}"


# --- report text as lines -----------------------------------------------------------------------------


@lru_cache(maxsize=32768)  # a report is rendered in every shape with the same width
def _wrap(text: str, width: int) -> tuple[str, ...]:
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


def _width(index: int) -> int:
    return 64 + 8 * (index % 3)


def _label(section: str, index: int) -> str:
    if section == "indication":
        label = _INDICATION_LABELS[index % len(_INDICATION_LABELS)]
    else:
        label = section.upper()
    return label.title() if index % 5 == 4 else label  # headers in any case


def _section(report: ReportLike, name: str) -> str | None:
    value = report.get(name)
    return value if isinstance(value, str) and value else None


def _present(report: ReportLike) -> list[tuple[str, str]]:
    return [(name, text) for name in _SECTION_ORDER if (text := _section(report, name))]


def _section_lines(section: str, text: str, index: int, *, inline: bool) -> list[str]:
    label = _label(section, index)
    if inline:
        return list(_wrap(f"{label}: {text}", _width(index)))
    return [f"{label}:", *_wrap(text, _width(index))]


def _report_lines(report: ReportLike, index: int, *, inline: bool) -> list[str]:
    """The whole report with text headers, sections separated by a blank line."""
    lines: list[str] = []
    for section, text in _present(report):
        if lines:
            lines.append("")
        lines.extend(_section_lines(section, text, index, inline=inline))
    return lines


# --- the shapes ---------------------------------------------------------------------------------------


def _loinc_obx(report: ReportLike, env: _Envelope, obx: _ObxWriter) -> list[str]:
    segments = []
    for sub_id, (section, text) in enumerate(_present(report), start=1):
        segments += [
            obx("TX", _LOINC[section], sub_id, _escape(line)) for line in _wrap(text, _width(env.index))
        ]
    return segments


def _oru_loinc(report: ReportLike, env: _Envelope) -> list[str]:
    return [*_head(env, _oru_type(env)), _obr(env), *_loinc_obx(report, env, _ObxWriter(env.status))]


def _oru_ft_blob(report: ReportLike, env: _Envelope) -> list[str]:
    lines = _report_lines(report, env.index, inline=env.index % 2 == 1)
    value = "\\.br\\".join(_escape(line) for line in lines)
    return [*_head(env, _oru_type(env)), _obr(env), _ObxWriter(env.status)("FT", _REPORT_CODE, 1, value)]


def _local_codes(env: _Envelope) -> tuple[str, str]:
    code, text = env.procedure
    styles = (
        ("&GDT", "&IMP"),
        (f"{code}&GDT^{text}", f"{code}&IMP^{text}"),
        ("GDT^Findings^L", "IMP^Impression^L"),
        ("FIND^FINDINGS^L", "IMP^IMPRESSION^L"),
        ("^^^&GDT", "^^^&IMP"),  # the suffix in the alternate identifier (OBX-3.4)
    )
    return styles[env.index % len(styles)]


def _oru_local_codes(report: ReportLike, env: _Envelope) -> list[str]:
    """The body block (``GDT``) carries indication/comparison under text headers, then the findings."""
    body_code, impression_code = _local_codes(env)
    width = _width(env.index)
    body: list[str] = []
    for section in ("indication", "comparison"):
        if text := _section(report, section):
            body += _section_lines(section, text, env.index, inline=True)
    if findings := _section(report, "findings"):
        if body:  # with headers above, the findings need their own
            body += _section_lines("findings", findings, env.index, inline=env.index % 2 == 0)
        else:  # alone, the OBX-3 code is the only hint
            body = list(_wrap(findings, width))
    impression = _wrap(text, width) if (text := _section(report, "impression")) else ()
    obx = _ObxWriter(env.status)
    segments = [*_head(env, _oru_type(env)), _obr(env)]
    segments += [obx("TX", body_code, 1, _escape(line)) for line in body]
    segments += [obx("TX", impression_code, 2, _escape(line)) for line in impression]
    return segments


def _oru_repetitions(report: ReportLike, env: _Envelope) -> list[str]:
    """Even index: the whole report in one OBX; odd: one LOINC-coded OBX per section. Lines are ``~``."""
    obx = _ObxWriter(env.status)
    segments = [*_head(env, _oru_type(env)), _obr(env)]
    if env.index % 2 == 0:
        lines = _report_lines(report, env.index, inline=False)
        return [*segments, obx("TX", _REPORT_CODE, 1, "~".join(_escape(line) for line in lines))]
    for sub_id, (section, text) in enumerate(_present(report), start=1):
        value = "~".join(_escape(line) for line in _wrap(text, _width(env.index)))
        segments.append(obx("TX", _LOINC[section], sub_id, value))
    return segments


def _oru_nte(report: ReportLike, env: _Envelope) -> list[str]:
    lines = _report_lines(report, env.index, inline=False)
    notes = [_segment("NTE", {1: str(n), 2: "L", 3: _escape(line)}) for n, line in enumerate(lines, start=1)]
    return [*_head(env, _oru_type(env)), _obr(env), *notes]


def _oru_multi_obr(report: ReportLike, env: _Envelope) -> list[str]:
    first = {name: text for name, text in report.items() if name != "impression"}
    second = {"impression": _section(report, "impression")}
    obx = _ObxWriter(env.status)
    segments = [*_head(env, _oru_type(env)), _obr(env, 1), *_loinc_obx(first, env, obx)]
    return [*segments, _obr(env, 2), *_loinc_obx(second, env, obx)]


def _orf_r04(report: ReportLike, env: _Envelope) -> list[str]:
    message_type = "ORF^R04" if env.version in ("2.3", "2.3.1", "") else "ORF^R04^ORF_R04"
    query = f"Q{env.index:07d}"
    return [
        _msh(env, message_type),
        _segment("MSA", {1: "AA", 2: f"QRY{env.index:07d}"}),
        _segment("QRD", {1: env.message_time, 2: "R", 3: "I", 4: query, 7: "1^RD", 8: env.mrn, 9: "RES"}),
        _pid(env),
        _obr(env),
        *_loinc_obx(report, env, _ObxWriter(env.status)),
    ]


def _mdm_t02(report: ReportLike, env: _Envelope) -> list[str]:
    rid, family, given = env.interpreter
    completion = {"P": "PA", "C": "LA"}.get(env.status, "AU")
    txa = {
        1: "1",
        2: "RAD^Radiology report^L",
        3: "TX",
        4: env.observation_time,
        5: f"{rid}^{_escape(family)}^{_escape(given)}^^^DR",
        6: env.observation_time,
        12: f"DOC{env.index:07d}",
        14: env.placer,
        15: env.accession,
        17: completion,
    }
    code = _REPORT_CODE if env.index % 2 == 0 else ""  # many MDM senders leave OBX-3 empty
    obx = _ObxWriter(env.status)
    lines = _report_lines(report, env.index, inline=env.index % 4 == 1)
    return [
        _msh(env, "MDM^T02^MDM_T02"),
        _segment("EVN", {1: "T02", 2: env.message_time}),
        _pid(env),
        _segment("PV1", {1: "1", 2: "O"}),
        _segment("ORC", {1: "RE", 2: env.placer, 3: env.accession}),
        _obr(env),
        _segment("TXA", txa),
        *(obx("TX", code, 1, _escape(line)) for line in lines),
    ]


_BUILDERS = {
    Shape.LOINC_TX: _oru_loinc,
    Shape.FT_BLOB: _oru_ft_blob,
    Shape.LOCAL_CODES: _oru_local_codes,
    Shape.REPETITIONS: _oru_repetitions,
    Shape.NTE: _oru_nte,
    Shape.MULTI_OBR: _oru_multi_obr,
    Shape.ORF_R04: _orf_r04,
    Shape.MDM_T02: _mdm_t02,
    # the transport shapes carry the plainest body, so a failure there is the transport's
    Shape.BATCH: _oru_loinc,
    Shape.MLLP: _oru_loinc,
    Shape.LF: _oru_loinc,
    Shape.CRLF: _oru_loinc,
    Shape.LATIN1: _oru_loinc,
}


def _text_report(report: ReportLike, index: int) -> bytes:
    if index % 2 == 0:  # the common shape: one paragraph per section
        paragraphs = [f"{_label(name, index)}: {text}" for name, text in _present(report)]
    else:  # headers on their own line, dictation-wrapped text
        paragraphs = [
            "\n".join(_section_lines(name, text, index, inline=False)) for name, text in _present(report)
        ]
    return ("\n\n".join(paragraphs) + "\n").encode()


def render(
    report: ReportLike,
    shape: Shape,
    *,
    index: int,
    status: str = "F",
    accession: str | None = None,
) -> bytes:
    """One report as the bytes a sender would put on the wire in ``shape``.

    ``index`` numbers the message in its feed: the control id (``SYN`` + index), the accession (``ACC`` +
    index unless given), the times and the synthetic patient derive from it. ``status`` is OBR-25/OBX-11.
    """
    if shape is Shape.TEXT:
        return _text_report(report, index)
    if shape is Shape.BATCH:
        return render_batch([report], index=index, status=status)
    env = _envelope(index, status, accession, shape)
    segments = _BUILDERS[shape](report, env)
    terminator = _SEGMENT_TERMINATORS.get(shape, "\r")
    text = terminator.join(segments) + terminator
    if shape is Shape.LATIN1:
        return text.encode("latin-1")
    payload = text.encode("utf-8")
    return _MLLP_START + payload + _MLLP_END if shape is Shape.MLLP else payload


def render_batch(reports: Sequence[ReportLike], *, index: int, status: str = "F") -> bytes:
    """A batch file: FHS/BHS, one LOINC-coded ORU^R01 per report (index, index + 1, ...), BTS/FTS."""
    first = _envelope(index, status, None, Shape.BATCH)
    segments = [
        f"FHS|^~\\&|RIS|IUSAMPLE|RADIMPRESS|AWS|{first.message_time}||F{index:07d}.hl7|||F{index:07d}",
        f"BHS|^~\\&|RIS|IUSAMPLE|RADIMPRESS|AWS|{first.message_time}||||B{index:07d}",
    ]
    for offset, report in enumerate(reports):
        segments += _oru_loinc(report, _envelope(index + offset, status, None, Shape.BATCH))
    segments += [f"BTS|{len(reports)}", "FTS|1"]
    return ("\r".join(segments) + "\r").encode("utf-8")


def expected_for(
    report: ReportLike,
    shape: Shape,
    *,
    index: int,
    status: str = "F",
    accession: str | None = None,
) -> Expected:
    """What reading ``render(report, shape, index=index, ...)`` should give (one message)."""
    sections = {name: _section(report, name) for name in _SECTION_ORDER}
    iu_id = str(report.get("id") or "")
    if shape is Shape.TEXT:
        return Expected(
            iu_id=iu_id,
            message_type=None,
            control_id=None,
            accession=None,
            status=None,
            procedure_code=None,
            procedure_text=None,
            interpreter_family=None,
            indication=sections["indication"],
            comparison=sections["comparison"],
            findings=sections["findings"],
            impression=sections["impression"],
        )
    env = _envelope(index, status, accession, shape)
    message_type = {Shape.MDM_T02: "MDM^T02", Shape.ORF_R04: "ORF^R04"}.get(shape, "ORU^R01")
    return Expected(
        iu_id=iu_id,
        message_type=message_type,
        control_id=env.control_id,
        accession=env.accession,
        status=status,
        procedure_code=env.procedure[0],
        procedure_text=env.procedure[1],
        interpreter_family=env.interpreter[1],
        indication=sections["indication"],
        comparison=sections["comparison"],
        findings=sections["findings"],
        impression=sections["impression"],
    )


# --- malformed payloads -------------------------------------------------------------------------------

_FAULTS = ("empty", "truncated", "binary", "no_msh", "msh_without_delimiters", "adt", "no_text")


def _malformed(fault: str, report: ReportLike, index: int) -> bytes:
    """A payload a real feed sends by mistake; the reader must answer each with a typed error."""
    env = _envelope(index, "F", None, Shape.LOINC_TX)
    message = _oru_loinc(report, env)
    if fault == "empty":
        return b""
    if fault == "truncated":  # the connection dropped after PID: an ORU without OBR or OBX
        return ("\r".join(message[:2]) + "\rORC|RE|").encode()
    if fault == "binary":  # e.g. an image or a zip posted to the text queue
        return b"\x89PNG\r\n\x1a\n\x00" + hashlib.sha256(f"binary:{index}".encode()).digest() * 4
    if fault == "no_msh":
        return ("\r".join(message[1:]) + "\r").encode()
    if fault == "msh_without_delimiters":
        return ("MSH\r" + "\r".join(message[1:]) + "\r").encode()
    if fault == "adt":  # a non-radiology message on the wrong interface
        msh = _msh(env, "ADT^A01^ADT_A01")
        return (
            "\r".join([msh, _segment("EVN", {1: "A01", 2: env.message_time}), *message[1:3]]).encode() + b"\r"
        )
    if fault == "no_text":  # a result with no OBX and no NTE
        return ("\r".join(message[:5]) + "\r").encode()
    raise ValueError(f"unknown fault {fault!r}")


# --- the feed -----------------------------------------------------------------------------------------


def _extension(shape: Shape) -> str:
    return {Shape.TEXT: "txt", Shape.MLLP: "mllp"}.get(shape, "hl7")


@dataclass(slots=True)
class _Correction:
    due: int
    report: IUReport
    accession: str


def iter_feed(
    reports: Sequence[IUReport],
    *,
    count: int,
    seed: int = 0,
    include_faults: bool = True,
) -> Iterator[FeedItem]:
    """``count`` report messages from ``reports``, cycling the shapes; pure for a given seed.

    Reports are drawn in a seeded shuffled order (repeating when ``count`` exceeds them). A few HL7 results
    arrive first preliminary (P) and later corrected (C, same accession). With ``include_faults``, about one
    payload in 60 is malformed and one in 60 is an exact redelivery of an earlier payload; neither counts
    towards ``count``.
    """
    if not reports or count <= 0:
        return
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrecy
    order = list(range(len(reports)))
    rng.shuffle(order)
    shapes = list(Shape)
    drawn = shape_no = emitted = item_no = 0
    message_index = 1
    pending: list[_Correction] = []
    delivered: list[FeedItem] = []

    def draw() -> IUReport:
        nonlocal drawn
        report = reports[order[drawn % len(order)]]
        drawn += 1
        return report

    while emitted < count:
        item_no += 1
        if pending and (pending[0].due <= item_no or count - emitted <= len(pending)):
            fix = pending.pop(0)
            shape = Shape.LOINC_TX
            item = _report_item(
                item_no, fix.report, shape=shape, index=message_index, status="C", accession=fix.accession
            )
            message_index, emitted = message_index + 1, emitted + 1
        elif include_faults and delivered and rng.random() < 1 / 60:
            original = delivered[rng.randrange(len(delivered))]
            name = f"{item_no:06d}-duplicate-of-{original.name}"
            item = FeedItem(name, original.payload, original.shape, "duplicate", original.expected)
        elif include_faults and rng.random() < 1 / 60:
            fault = _FAULTS[rng.randrange(len(_FAULTS))]
            payload = _malformed(fault, draw(), message_index)
            message_index += 1
            item = FeedItem(f"{item_no:06d}-malformed-{fault}.hl7", payload, None, "malformed", fault=fault)
        else:
            shape = shapes[shape_no % len(shapes)]
            shape_no += 1
            room = count - emitted - len(pending)
            if shape is Shape.BATCH and room > 1:
                batch = [draw() for _ in range(min(rng.randint(2, 4), room))]
                payload = render_batch(batch, index=message_index)
                expected = tuple(
                    expected_for(r, Shape.BATCH, index=message_index + n) for n, r in enumerate(batch)
                )
                item = FeedItem(f"{item_no:06d}-batch.hl7", payload, shape, "report", expected)
                message_index, emitted = message_index + len(batch), emitted + len(batch)
            else:
                report = draw()
                status = "F"
                if shape is not Shape.TEXT and room > 1 and rng.random() < 1 / 40:
                    status = "P"
                    pending.append(
                        _Correction(item_no + rng.randint(3, 40), report, f"ACC{message_index:07d}")
                    )
                item = _report_item(
                    item_no, report, shape=shape, index=message_index, status=status, accession=None
                )
                message_index, emitted = message_index + 1, emitted + 1
            delivered.append(item)
        yield item


def _report_item(
    item_no: int, report: ReportLike, *, shape: Shape, index: int, status: str, accession: str | None
) -> FeedItem:
    payload = render(report, shape, index=index, status=status, accession=accession)
    expected = expected_for(report, shape, index=index, status=status, accession=accession)
    suffix = {"P": "-prelim", "C": "-corrected"}.get(status, "")
    name = f"{item_no:06d}-{shape}{suffix}.{_extension(shape)}"
    return FeedItem(name, payload, shape, "report", (expected,))


def iter_sample(reports: Sequence[IUReport], *, seed: int = 0) -> Iterator[FeedItem]:
    """One payload per shape (the batch holds three reports), from reports with findings and impression."""
    complete = [r for r in reports if r["findings"] and r["impression"]]
    picks = random.Random(seed).sample(  # noqa: S311 - reproducible test data
        complete, min(len(complete), len(Shape) + 2)
    )
    index = 1
    for item_no, shape in enumerate(Shape, start=1):
        if shape is Shape.BATCH:
            batch, picks = picks[:3], picks[3:]
            expected = tuple(expected_for(r, shape, index=index + n) for n, r in enumerate(batch))
            payload = render_batch(batch, index=index)
            yield FeedItem(f"{item_no:02d}-{shape}.hl7", payload, shape, "report", expected)
            index += len(batch)
            continue
        report, picks = picks[0], picks[1:]
        item = _report_item(item_no, report, shape=shape, index=index, status="F", accession=None)
        yield FeedItem(
            f"{item_no:02d}-{shape}.{_extension(shape)}", item.payload, shape, "report", item.expected
        )
        index += 1


# --- checking what a reader got -------------------------------------------------------------------------


def collapse_whitespace(text: str | None) -> str | None:
    """The comparison form of a section: runs of whitespace (line breaks from wrapping) as one space."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def section_mismatches(report: Report, expected: Expected) -> list[str]:
    """The sections among findings and impression whose text differs from the source, whitespace collapsed."""
    return [
        name
        for name in ("findings", "impression")
        if collapse_whitespace(getattr(report.sections, name)) != collapse_whitespace(expected[name])
    ]


def metadata_mismatches(report: Report, expected: Expected) -> list[str]:
    """The metadata fields whose value differs from what the message carried."""
    got_type = "^".join((report.message_type or "").split("^")[:2]) or None
    checks = {
        "message_type": got_type == expected["message_type"],
        "control_id": report.control_id == expected["control_id"],
        "accession": report.accession == expected["accession"],
        "status": report.status == expected["status"],
        "procedure_code": report.procedure_code == expected["procedure_code"],
        "procedure_text": report.procedure_text == expected["procedure_text"],
        "interpreter": (
            report.interpreter is None
            if expected["interpreter_family"] is None
            else expected["interpreter_family"] in (report.interpreter or "")
        ),
    }
    return [name for name, ok in checks.items() if not ok]


# --- the bundled reports ------------------------------------------------------------------------------


def iu_reports_path(start: Path | None = None) -> Path:
    """``events/iu/reports.jsonl`` in ``start`` or a parent; by default above the cwd or this file.

    Raises :class:`ConfigurationError` when there is none (e.g. an installed wheel run outside the repo).
    """
    anchors = [start.resolve()] if start else [Path.cwd().resolve(), Path(__file__).resolve()]
    for anchor in anchors:
        for directory in (anchor, *anchor.parents):
            candidate = directory / IU_REPORTS_RELATIVE
            if candidate.is_file():
                return candidate
    raise ConfigurationError(
        f"bundled IU reports not found: no {IU_REPORTS_RELATIVE} above {anchors[0]}; pass the path explicitly"
    )


def load_reports(path: Path | None = None) -> list[IUReport]:
    """The IU reports from ``path`` (default :func:`iu_reports_path`), in file order."""
    with (path or iu_reports_path()).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# --- python -m radimpress.datasets.samplefeed -------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m radimpress.datasets.samplefeed",
        description="Write the sample feed: IU reports rendered as HL7 v2 / text files, one payload a file.",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write the payload files to")
    parser.add_argument("--count", type=int, default=100, help="report messages to render (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reports", type=Path, help="IU reports JSONL (default: events/iu/reports.jsonl)")
    parser.add_argument("--no-faults", action="store_true", help="no malformed payloads, no duplicates")
    parser.add_argument("--one-per-shape", action="store_true", help="one payload per shape, ignores --count")
    parser.add_argument("--manifest", type=Path, help="also write the expected result of each file (JSONL)")
    args = parser.parse_args(argv)
    reports = load_reports(args.reports)
    if args.one_per_shape:
        items = list(iter_sample(reports, seed=args.seed))
    else:
        items = list(iter_feed(reports, count=args.count, seed=args.seed, include_faults=not args.no_faults))
    args.out.mkdir(parents=True, exist_ok=True)
    for item in items:
        (args.out / item.name).write_bytes(item.payload)
    if args.manifest:
        with args.manifest.open("w", encoding="utf-8") as manifest:
            for item in items:
                record = {
                    "name": item.name,
                    "shape": item.shape,
                    "kind": item.kind,
                    "fault": item.fault,
                    "expected": list(item.expected),
                }
                manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(items)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
