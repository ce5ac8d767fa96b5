"""The segments of each HL7 shape: the same report laid out the ways real interfaces send it.

ORU^R01 with one LOINC-coded TX OBX per line, one FT blob, local section codes, ``~`` repetitions, NTE
segments or two OBRs; the ORF^R04 query response; MDM^T02. :data:`BUILDERS` maps each HL7 shape to its
builder; :mod:`~radimpress.datasets.samplefeed.render` turns the segments into bytes.
"""

from __future__ import annotations

from radimpress.datasets.samplefeed.identities import Envelope
from radimpress.datasets.samplefeed.reports import ReportLike
from radimpress.datasets.samplefeed.segments import (
    ObxWriter,
    escape,
    head,
    msh_segment,
    obr,
    oru_type,
    pid,
    segment,
)
from radimpress.datasets.samplefeed.shape import Shape
from radimpress.datasets.samplefeed.text import (
    line_width,
    present,
    report_lines,
    section_lines,
    section_text,
    wrap,
)

__all__ = ["BUILDERS", "oru_loinc"]


_LOINC = {
    "indication": "11329-0^History^LN",
    "comparison": "18834-2^Comparison^LN",
    "findings": "18782-3^Findings^LN",
    "impression": "19005-8^Impression^LN",
}
_REPORT_CODE = "18748-4^Diagnostic imaging study^LN"  # a whole-report code: no section hint


def _loinc_obx(report: ReportLike, env: Envelope, obx: ObxWriter) -> list[str]:
    segments = []
    for sub_id, (section, text) in enumerate(present(report), start=1):
        segments += [
            obx("TX", _LOINC[section], sub_id, escape(line)) for line in wrap(text, line_width(env.index))
        ]
    return segments


def oru_loinc(report: ReportLike, env: Envelope) -> list[str]:
    return [*head(env, oru_type(env)), obr(env), *_loinc_obx(report, env, ObxWriter(env.status))]


def _oru_ft_blob(report: ReportLike, env: Envelope) -> list[str]:
    lines = report_lines(report, env.index, inline=env.index % 2 == 1)
    value = "\\.br\\".join(escape(line) for line in lines)
    return [*head(env, oru_type(env)), obr(env), ObxWriter(env.status)("FT", _REPORT_CODE, 1, value)]


def _local_codes(env: Envelope) -> tuple[str, str]:
    code, text = env.procedure
    styles = (
        ("&GDT", "&IMP"),
        (f"{code}&GDT^{text}", f"{code}&IMP^{text}"),
        ("GDT^Findings^L", "IMP^Impression^L"),
        ("FIND^FINDINGS^L", "IMP^IMPRESSION^L"),
        ("^^^&GDT", "^^^&IMP"),  # the suffix in the alternate identifier (OBX-3.4)
    )
    return styles[env.index % len(styles)]


def _oru_local_codes(report: ReportLike, env: Envelope) -> list[str]:
    """The body block (``GDT``) carries indication/comparison under text headers, then the findings."""
    body_code, impression_code = _local_codes(env)
    width = line_width(env.index)
    body: list[str] = []
    for section in ("indication", "comparison"):
        if text := section_text(report, section):
            body += section_lines(section, text, env.index, inline=True)
    if findings := section_text(report, "findings"):
        if body:  # with headers above, the findings need their own
            body += section_lines("findings", findings, env.index, inline=env.index % 2 == 0)
        else:  # alone, the OBX-3 code is the only hint
            body = list(wrap(findings, width))
    impression = wrap(text, width) if (text := section_text(report, "impression")) else ()
    obx = ObxWriter(env.status)
    segments = [*head(env, oru_type(env)), obr(env)]
    segments += [obx("TX", body_code, 1, escape(line)) for line in body]
    segments += [obx("TX", impression_code, 2, escape(line)) for line in impression]
    return segments


def _oru_repetitions(report: ReportLike, env: Envelope) -> list[str]:
    """Even index: the whole report in one OBX; odd: one LOINC-coded OBX per section. Lines are ``~``."""
    obx = ObxWriter(env.status)
    segments = [*head(env, oru_type(env)), obr(env)]
    if env.index % 2 == 0:
        lines = report_lines(report, env.index, inline=False)
        return [*segments, obx("TX", _REPORT_CODE, 1, "~".join(escape(line) for line in lines))]
    for sub_id, (section, text) in enumerate(present(report), start=1):
        value = "~".join(escape(line) for line in wrap(text, line_width(env.index)))
        segments.append(obx("TX", _LOINC[section], sub_id, value))
    return segments


def _oru_nte(report: ReportLike, env: Envelope) -> list[str]:
    lines = report_lines(report, env.index, inline=False)
    notes = [segment("NTE", {1: str(n), 2: "L", 3: escape(line)}) for n, line in enumerate(lines, start=1)]
    return [*head(env, oru_type(env)), obr(env), *notes]


def _oru_multi_obr(report: ReportLike, env: Envelope) -> list[str]:
    first = {name: text for name, text in report.items() if name != "impression"}
    second = {"impression": section_text(report, "impression")}
    obx = ObxWriter(env.status)
    segments = [*head(env, oru_type(env)), obr(env, 1), *_loinc_obx(first, env, obx)]
    return [*segments, obr(env, 2), *_loinc_obx(second, env, obx)]


def _orf_r04(report: ReportLike, env: Envelope) -> list[str]:
    message_type = "ORF^R04" if env.version in ("2.3", "2.3.1", "") else "ORF^R04^ORF_R04"
    query = f"Q{env.index:07d}"
    return [
        msh_segment(env, message_type),
        segment("MSA", {1: "AA", 2: f"QRY{env.index:07d}"}),
        segment("QRD", {1: env.message_time, 2: "R", 3: "I", 4: query, 7: "1^RD", 8: env.mrn, 9: "RES"}),
        pid(env),
        obr(env),
        *_loinc_obx(report, env, ObxWriter(env.status)),
    ]


def _mdm_t02(report: ReportLike, env: Envelope) -> list[str]:
    rid, family, given = env.interpreter
    completion = {"P": "PA", "C": "LA"}.get(env.status, "AU")
    txa = {
        1: "1",
        2: "RAD^Radiology report^L",
        3: "TX",
        4: env.observation_time,
        5: f"{rid}^{escape(family)}^{escape(given)}^^^DR",
        6: env.observation_time,
        12: f"DOC{env.index:07d}",
        14: env.placer,
        15: env.accession,
        17: completion,
    }
    code = _REPORT_CODE if env.index % 2 == 0 else ""  # many MDM senders leave OBX-3 empty
    obx = ObxWriter(env.status)
    lines = report_lines(report, env.index, inline=env.index % 4 == 1)
    return [
        msh_segment(env, "MDM^T02^MDM_T02"),
        segment("EVN", {1: "T02", 2: env.message_time}),
        pid(env),
        segment("PV1", {1: "1", 2: "O"}),
        segment("ORC", {1: "RE", 2: env.placer, 3: env.accession}),
        obr(env),
        segment("TXA", txa),
        *(obx("TX", code, 1, escape(line)) for line in lines),
    ]


BUILDERS = {
    Shape.LOINC_TX: oru_loinc,
    Shape.FT_BLOB: _oru_ft_blob,
    Shape.LOCAL_CODES: _oru_local_codes,
    Shape.REPETITIONS: _oru_repetitions,
    Shape.NTE: _oru_nte,
    Shape.MULTI_OBR: _oru_multi_obr,
    Shape.ORF_R04: _orf_r04,
    Shape.MDM_T02: _mdm_t02,
    # the transport shapes carry the plainest body, so a failure there is the transport's
    Shape.BATCH: oru_loinc,
    Shape.MLLP: oru_loinc,
    Shape.LF: oru_loinc,
    Shape.CRLF: oru_loinc,
    Shape.LATIN1: oru_loinc,
}
