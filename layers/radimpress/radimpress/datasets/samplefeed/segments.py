"""HL7 v2 encoding on the sending side: delimiters, field escaping and the segments every HL7 shape shares.

MSH, PID, OBR, the PID/PV1/ORC head of a result and the numbering of OBX segments; the shapes in
:mod:`~radimpress.datasets.samplefeed.hl7_shapes` arrange these around the report text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from radimpress.datasets.samplefeed.identities import Envelope

__all__ = [
    "STANDARD",
    "Delimiters",
    "ObxWriter",
    "escape",
    "head",
    "msh_segment",
    "obr",
    "oru_type",
    "pid",
    "segment",
]


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

# reading.hl7 has no outbound escape helper yet; this one is the generator's own so it can be swapped for it
# later.
_ESCAPE_TABLES: dict[Delimiters, dict[int, str]] = {}
_NEEDS_ESCAPE = re.compile(r"[|^&~\\\r\n]")


def escape(text: str, delimiters: Delimiters = STANDARD) -> str:
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


def segment(name: str, fields: Mapping[int, str], d: Delimiters = STANDARD) -> str:
    """A segment from {field number: already-encoded value}; gaps become empty fields."""
    values = [""] * (max(fields, default=0) + 1)
    values[0] = name
    for number, value in fields.items():
        values[number] = value
    return d.field.join(values)


def msh_segment(env: Envelope, message_type: str, d: Delimiters = STANDARD) -> str:
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


def oru_type(env: Envelope) -> str:
    return "ORU^R01" if env.version in ("2.3", "2.3.1", "") else "ORU^R01^ORU_R01"


def pid(env: Envelope) -> str:
    name = f"{escape(env.family)}^{escape(env.given)}^^^^^L"
    return segment("PID", {1: "1", 3: f"{env.mrn}^^^IUSAMPLE^MR", 5: name, 7: env.birth_date, 8: env.sex})


def obr(env: Envelope, set_id: int = 1) -> str:
    rid, family, given = env.interpreter
    code, text = env.procedure
    return segment(
        "OBR",
        {
            1: str(set_id),
            2: env.placer,
            3: env.accession,
            4: f"{code}^{text}^C4",
            7: env.observation_time,
            24: "RAD",
            25: env.status,
            32: f"{rid}&{escape(family)}&{escape(given)}&&&DR",
        },
    )


def head(env: Envelope, message_type: str) -> list[str]:
    return [
        msh_segment(env, message_type),
        pid(env),
        segment("PV1", {1: "1", 2: "O"}),
        segment("ORC", {1: "RE", 2: env.placer, 3: env.accession}),
    ]


class ObxWriter:
    """Numbers OBX-1 across a message; OBX-4 groups the lines of one section."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.set_id = 0

    def __call__(self, value_type: str, code: str, sub_id: int, value: str) -> str:
        self.set_id += 1  # OBX-6..10 (units, range, flags, probability, nature) stay empty
        return f"OBX|{self.set_id}|{value_type}|{code}|{sub_id}|{value}||||||{self.status}"
