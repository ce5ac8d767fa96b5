"""The real-world shapes a radiology result arrives in: what every renderer and the feed dispatch on."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Shape"]


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
