"""Send messages that failed at ingest back through the pipeline, once their cause is fixed.

Every message the IngestFunction takes is archived first, byte for byte, under its content address
(``raw/<sha256>``), and a message or report that gave no result has an error record
(``errors/dt=YYYY-MM-DD/<error_id>.json``) naming that archive key. When the cause is fixed (a parser
release, a corrected interface-engine mapping, a restored secret), :func:`plan_replay` selects the error
records of some days, and :func:`replay` sends each archived message to the ingest queue again, as a claim
check on its archive object (``claim-check: s3://bucket/raw/...``): nothing is copied or re-encoded, and the
message takes the path it took the first time.

Safe to repeat: reports of a replayed message that were drafted before are deduplicated by the ingest
idempotency guard, and a message that fails again rewrites the same error record (its id derives from what
failed). Only ``ingest`` errors are replayed: a report that failed later (``inference``: the endpoint
failed; ``completion``: its output was unusable) was submitted once already, so the guard would deduplicate
it until its idempotency record expires.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from radimpress.pipeline.records import ErrorRecord, partition
from radimpress.ports import MessageQueue, ObjectStore, OutboundMessage, s3_uri
from radimpress.transports.inbound import CLAIM_CHECK_ATTRIBUTE

__all__ = ["ReplayPlan", "ReplayResult", "plan_replay", "replay"]

#: Why an error record is not replayed (the keys of :attr:`ReplayPlan.skipped`).
SKIP_STAGE = "not an ingest error"
SKIP_TYPE = "error type not selected"
SKIP_NO_RAW = "no archived message"
SKIP_RAW_MISSING = "archived message not found"
SKIP_SAME_MESSAGE = "same message as another record"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The archive keys to send again, in order, and how many error records were left out and why."""

    raw_keys: tuple[str, ...]
    records: int
    skipped: Counter[str] = field(default_factory=Counter)
    error_types: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a replay sent and what the queue refused (archive keys)."""

    sent: int
    refused: tuple[str, ...]


def plan_replay(store: ObjectStore, days: Iterable[date], *, error_types: Iterable[str] = ()) -> ReplayPlan:
    """The ingest error records of ``days`` (of ``error_types`` only, when given), one entry per archived
    message. Reads the records and lists each archive object to check it exists; sends nothing."""
    wanted = frozenset(error_types)
    seen: set[str] = set()
    raw_keys: list[str] = []
    skipped: Counter[str] = Counter()
    selected_types: Counter[str] = Counter()
    records = 0
    for day in sorted(set(days)):
        for key in store.list(f"errors/{partition(day)}/"):
            records += 1
            record = ErrorRecord.model_validate_json(store.get(key))
            reason = _skip_reason(record, wanted, seen, store)
            raw_key = record.raw_key
            if reason is not None or raw_key is None:
                skipped[reason or SKIP_NO_RAW] += 1
                continue
            seen.add(raw_key)
            raw_keys.append(raw_key)
            selected_types[record.error_type] += 1
    return ReplayPlan(tuple(raw_keys), records, skipped, selected_types)


def _skip_reason(
    record: ErrorRecord, wanted: frozenset[str], seen: set[str], store: ObjectStore
) -> str | None:
    if record.stage != "ingest":
        return SKIP_STAGE
    if wanted and record.error_type not in wanted:
        return SKIP_TYPE
    if not record.raw_key:
        return SKIP_NO_RAW
    if record.raw_key in seen:
        return SKIP_SAME_MESSAGE  # one message, several failed reports: send it once
    if record.raw_key not in store.list(record.raw_key):  # a listing, not a download of the message
        return SKIP_RAW_MISSING
    return None


def replay(plan: ReplayPlan, store: ObjectStore, queue: MessageQueue) -> ReplayResult:
    """Send every message of ``plan`` to ``queue`` as a claim check on its archive object."""
    messages: Sequence[OutboundMessage] = [
        OutboundMessage(
            body=f"replay of {raw_key}",  # SQS needs a body; the claim-check attribute overrides it
            attributes={CLAIM_CHECK_ATTRIBUTE: s3_uri(store.bucket, raw_key)},
        )
        for raw_key in plan.raw_keys
    ]
    refused = queue.send(messages) if messages else []
    return ReplayResult(len(messages) - len(refused), tuple(plan.raw_keys[i] for i in refused))
