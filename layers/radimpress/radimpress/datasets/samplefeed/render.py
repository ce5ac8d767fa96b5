"""One report as the bytes a sender puts on the wire: terminators, encodings, MLLP framing, batch files.

Deterministic and pure: the bytes of a rendered message depend only on the report, the shape and ``index``
(the message's number in a feed, from which control id, accession, times and the synthetic patient derive).
"""

from __future__ import annotations

from collections.abc import Sequence

from radimpress.datasets.samplefeed.hl7_shapes import BUILDERS, oru_loinc
from radimpress.datasets.samplefeed.identities import envelope
from radimpress.datasets.samplefeed.reports import ReportLike
from radimpress.datasets.samplefeed.shape import Shape
from radimpress.datasets.samplefeed.text import text_report

__all__ = ["render", "render_batch"]


_SEGMENT_TERMINATORS = {Shape.LF: "\n", Shape.CRLF: "\r\n"}
_MLLP_START, _MLLP_END = b"\x0b", b"\x1c\x0d"


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
        return text_report(report, index)
    if shape is Shape.BATCH:
        return render_batch([report], index=index, status=status)
    env = envelope(index, status, accession, shape)
    segments = BUILDERS[shape](report, env)
    terminator = _SEGMENT_TERMINATORS.get(shape, "\r")
    text = terminator.join(segments) + terminator
    if shape is Shape.LATIN1:
        return text.encode("latin-1")
    payload = text.encode("utf-8")
    return _MLLP_START + payload + _MLLP_END if shape is Shape.MLLP else payload


def render_batch(reports: Sequence[ReportLike], *, index: int, status: str = "F") -> bytes:
    """A batch file: FHS/BHS, one LOINC-coded ORU^R01 per report (index, index + 1, ...), BTS/FTS."""
    first = envelope(index, status, None, Shape.BATCH)
    segments = [
        f"FHS|^~\\&|RIS|IUSAMPLE|RADIMPRESS|AWS|{first.message_time}||F{index:07d}.hl7|||F{index:07d}",
        f"BHS|^~\\&|RIS|IUSAMPLE|RADIMPRESS|AWS|{first.message_time}||||B{index:07d}",
    ]
    for offset, report in enumerate(reports):
        segments += oru_loinc(report, envelope(index + offset, status, None, Shape.BATCH))
    segments += [f"BTS|{len(reports)}", "FTS|1"]
    return ("\r".join(segments) + "\r").encode("utf-8")
