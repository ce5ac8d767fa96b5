"""The engine interface: findings (and optional report context) in, a draft impression out.

An engine is any object with a ``name``, a ``model_id`` and a ``draft`` method; nothing inherits from
anything. Engines are pure computation: the local async endpoint runs one behind the JumpStart contract,
the way a SageMaker endpoint runs a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from radimpress.reading.model import DraftContext

__all__ = ["Draft", "Engine"]


@dataclass(frozen=True, slots=True)
class Draft:
    """One engine's answer: an impression, or no impression and the reason the engine abstained.

    ``text`` is ``None`` exactly when ``abstained_reason`` is set. ``latency_ms`` is the engine's own time
    for this draft (wall clock, milliseconds).
    """

    text: str | None
    engine: str
    model_id: str
    latency_ms: float
    abstained_reason: str | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.abstained_reason is None):
            raise ValueError("a draft has either a text or an abstained_reason, not both nor neither")

    @property
    def abstained(self) -> bool:
        return self.text is None


@runtime_checkable
class Engine(Protocol):
    """Drafts an impression from findings. ``name`` is the engine kind, ``model_id`` the exact model."""

    @property
    def name(self) -> str: ...

    @property
    def model_id(self) -> str: ...

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft: ...
