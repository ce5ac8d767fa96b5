"""The feed: payloads (a file, an SQS body) with what reading each should give.

:func:`iter_feed` adds a seeded choice of reports, shapes, corrections, duplicates and malformed messages to
the deterministic renderings; :func:`iter_sample` gives one payload per shape (the checked-in sample).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from radimpress.datasets.samplefeed.expected import Expected, expected_for
from radimpress.datasets.samplefeed.malformed import FAULTS, malformed
from radimpress.datasets.samplefeed.render import render, render_batch
from radimpress.datasets.samplefeed.reports import IUReport, ReportLike
from radimpress.datasets.samplefeed.shape import Shape

__all__ = ["FeedItem", "FeedKind", "iter_feed", "iter_sample"]


FeedKind = Literal["report", "malformed", "duplicate"]


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
            fault = FAULTS[rng.randrange(len(FAULTS))]
            payload = malformed(fault, draw(), message_index)
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
