"""How to start the local pipeline: :class:`RuntimeOptions`, the repository it runs from, what it shortens.

For speed the runtime may shorten two settings, and
:attr:`~radimpress.local.runtime.LocalRuntime.adjustments` says which (each an :class:`Adjustment`): the
queues' ``VisibilityTimeout`` (a failed record reappears after seconds, not minutes) and the event sources'
``MaximumBatchingWindowInSeconds`` (the last partial batch is not held for the full window).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from radimpress.drafting.engines.base import Engine
from radimpress.errors import ConfigurationError

__all__ = ["Adjustment", "RuntimeOptions", "repository_root"]


def repository_root(start: Path | None = None) -> Path:
    """The directory holding ``template.yaml`` at or above ``start`` (default: the cwd, then this file)."""
    anchors = [start.resolve()] if start else [Path.cwd().resolve(), Path(__file__).resolve()]
    for anchor in anchors:
        for directory in (anchor, *anchor.parents):
            if (directory / "template.yaml").is_file() and (directory / "functions").is_dir():
                return directory
    raise ConfigurationError("no template.yaml with a functions/ folder above the working directory")


@dataclass
class RuntimeOptions:
    """How to start the local pipeline."""

    workdir: Path
    root: Path | None = None  # the repository (template.yaml, functions/); found from the cwd by default
    #: template parameter overrides (on top of the local placeholders for the model image and artifact)
    parameters: dict[str, str] = field(default_factory=dict)
    #: shorten every queue's VisibilityTimeout to this many seconds (None: the template's)
    visibility_timeout: int | None = None
    #: shorten every SQS event's MaximumBatchingWindowInSeconds to this (None: the template's)
    batching_window: float | None = None
    engine: Engine | None = None  # default: build_engine(), leave-one-out (the feed is IU reports)
    #: claim-check threshold of the producer (bytes of body); SQS's limit by default
    claim_check_over: int = 256 * 1024
    max_queued: int = 50
    #: every n-th payload of :meth:`LocalRuntime.send` goes to the HTTPS entry point, when the template has
    #: one (0: all through SQS)
    https_every: int = 0
    #: every n-th report payload goes through the MLLP listener (radimpress.local.mllp_entry; 0: none)
    mllp_every: int = 0
    #: concurrent executions per SQS event source: each its own handler module instance (own module state,
    #: as a Lambda execution environment has) and its own poller thread
    concurrency: int = 2
    moto_log: Path | None = None


@dataclass
class Adjustment:
    """A setting the runtime changed from the template's value, for speed; printed by the demo."""

    what: str
    template_value: str
    local_value: str
