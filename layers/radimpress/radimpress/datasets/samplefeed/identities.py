"""The synthetic envelope of one message: everything it carries besides the report text.

Everything around the report text (patients, MRNs, accessions, radiologists) is synthetic and says so: every
patient family name starts with ``ZZTEST`` and every MRN with ``SYN``. Small fixed lists, combined by a hash
of the message index, so an envelope depends only on ``index``, the status, the accession and the shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from radimpress.datasets.samplefeed.shape import Shape

__all__ = ["Envelope", "envelope"]


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
class Envelope:
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


def envelope(index: int, status: str, accession: str | None, shape: Shape) -> Envelope:
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
    return Envelope(
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
