"""Replaying ingest failures: which archived messages are selected, and what is sent."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from radimpress.pipeline.records import ErrorRecord, error_key, raw_key
from radimpress.pipeline.replay import (
    SKIP_NO_RAW,
    SKIP_RAW_MISSING,
    SKIP_SAME_MESSAGE,
    SKIP_STAGE,
    SKIP_TYPE,
    plan_replay,
    replay,
)
from radimpress.transports.inbound import resolve
from tests.fakes import InMemoryObjectStore, InMemoryQueue

DAY = date(2026, 11, 29)


def record(
    store: InMemoryObjectStore,
    payload: bytes | None,
    *,
    identity: str,
    error_type: str = "no_findings",
    stage: str = "ingest",
    day: date = DAY,
    archive: bool = True,
) -> str | None:
    """An error record as the ingest function writes it (and the archived message, when ``archive``)."""
    key = None
    if payload is not None:
        key = raw_key(hashlib.sha256(payload).hexdigest())  # content-addressed, as ingest archives
        if archive:
            store.put(key, payload, "application/octet-stream")
    error = ErrorRecord.build(
        stage=stage,  # type: ignore[arg-type]
        error_type=error_type,
        message="test",
        occurred_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        identity=identity,
        raw_key=key,
    )
    store.put(error_key(error), error.to_json_line(), "application/json")
    return key


def test_each_failed_message_is_selected_once_and_the_rest_is_accounted_for() -> None:
    # Given a day's error records: two reports of one message, another message, a completion error,
    # a record without an archive key and one whose archive is gone, and a record of another day
    store = InMemoryObjectStore()
    first = record(store, b"MSH|one", identity="aa#1")
    record(store, b"MSH|one", identity="aa#2")
    second = record(store, b"MSH|two", identity="bb#1", error_type="unreadable")
    record(store, None, identity="cc", stage="completion", error_type="endpoint_failed")
    record(store, None, identity="dd")
    record(store, b"MSH|gone", identity="ee#1", archive=False)
    record(store, b"MSH|later", identity="ff#1", day=date(2026, 11, 30))
    # When the day is planned
    plan = plan_replay(store, [DAY])
    # Then each archived message is selected once, and every other record is counted with its reason
    assert first is not None and second is not None
    assert sorted(plan.raw_keys) == sorted([first, second])
    assert plan.records == 6
    assert plan.skipped == {SKIP_SAME_MESSAGE: 1, SKIP_STAGE: 1, SKIP_NO_RAW: 1, SKIP_RAW_MISSING: 1}
    assert plan.error_types == {"no_findings": 1, "unreadable": 1}
    # and an error type filter selects only that type
    only = plan_replay(store, [DAY], error_types=["unreadable"])
    assert only.raw_keys == (second,)
    assert only.skipped == {SKIP_TYPE: 4, SKIP_STAGE: 1}


def test_replayed_messages_are_claim_checks_that_resolve_to_the_archived_bytes() -> None:
    # Given two archived failures, one of them refused by the queue
    store = InMemoryObjectStore()
    payloads = {
        record(store, b"MSH|\x0bone\x1c", identity="aa#1"),
        record(store, b"MSH|two", identity="bb#1"),
    }
    plan = plan_replay(store, [DAY])
    queue = InMemoryQueue(refuse=frozenset({1}))
    # When replayed
    result = replay(plan, store, queue)
    # Then the refused one is reported by its archive key and the other was sent
    assert (result.sent, result.refused) == (1, (plan.raw_keys[1],))
    assert payloads == set(plan.raw_keys)
    # and what was sent is what the ingest function reads back: the archived bytes, unchanged
    (message,) = queue.sent
    assert resolve(message.body, dict(message.attributes), store) == store.get(plan.raw_keys[0])


def test_nothing_to_replay_sends_nothing() -> None:
    queue = InMemoryQueue()
    result = replay(plan_replay(InMemoryObjectStore(), [DAY]), InMemoryObjectStore(), queue)
    assert (result.sent, result.refused, queue.sent) == (0, (), [])
