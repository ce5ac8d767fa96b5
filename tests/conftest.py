"""Shared test helpers: the one ``load_event`` reader of the checked-in sample events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> bytes:
    """The raw bytes of ``events/<name>`` (e.g. ``"hl7/mdm_t02.hl7"``), exactly as checked in."""
    return (EVENTS_DIR / name).read_bytes()


@pytest.fixture(name="load_event")
def _load_event() -> Callable[[str], bytes]:
    return load_event
