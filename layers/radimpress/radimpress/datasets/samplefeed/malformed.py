"""Malformed payloads: what a real feed sends by mistake, built from a well-formed message.

Empty, truncated, binary, without MSH, MSH without delimiters, an ADT on the wrong interface, a result
without text; each names its fault so a test can check the reader's typed error.
"""

from __future__ import annotations

import hashlib

from radimpress.datasets.samplefeed.hl7_shapes import oru_loinc
from radimpress.datasets.samplefeed.identities import envelope
from radimpress.datasets.samplefeed.reports import ReportLike
from radimpress.datasets.samplefeed.segments import msh_segment, segment
from radimpress.datasets.samplefeed.shape import Shape

__all__ = ["FAULTS", "malformed"]


FAULTS = ("empty", "truncated", "binary", "no_msh", "msh_without_delimiters", "adt", "no_text")


def malformed(fault: str, report: ReportLike, index: int) -> bytes:
    """A payload a real feed sends by mistake; the reader must answer each with a typed error."""
    env = envelope(index, "F", None, Shape.LOINC_TX)
    message = oru_loinc(report, env)
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
        msh = msh_segment(env, "ADT^A01^ADT_A01")
        return (
            "\r".join([msh, segment("EVN", {1: "A01", 2: env.message_time}), *message[1:3]]).encode() + b"\r"
        )
    if fault == "no_text":  # a result with no OBX and no NTE
        return ("\r".join(message[:5]) + "\r").encode()
    raise ValueError(f"unknown fault {fault!r}")
