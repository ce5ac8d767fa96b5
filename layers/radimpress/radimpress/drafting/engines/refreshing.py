"""An engine whose index file can be replaced while it serves: the feedback loop, without a restart.

``radimpress index refresh`` (a cron job, a systemd timer, the site's scheduler) rewrites the embedded
engine's index file with the reports radiologists have signed off since (:mod:`radimpress.pipeline.
feedback`; the file is replaced atomically). :class:`RefreshingEngine` serves drafts from the engine built
over the file and, at most every ``check_seconds``, looks whether the file changed (modification time and
size); when it did, a new engine is built in a background thread while the old one keeps serving, then
swapped in. A build that fails (a bad file) keeps the old engine and is counted, never raised into a draft.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from radimpress.drafting.engines.base import Draft, Engine
from radimpress.reading.model import DraftContext

__all__ = ["RefreshingEngine"]

Stamp = tuple[int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


class RefreshingEngine:
    """Drafts with ``build()``'s engine, rebuilt when ``path`` changes (see the module docstring)."""

    def __init__(
        self,
        build: Callable[[], Engine],
        path: str | Path,
        *,
        check_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self._path = Path(path)
        self._check_seconds = check_seconds
        self._clock = clock
        self._stamp = _stamp(self._path)
        self._engine = build()
        self._checked = clock()
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self.refreshes = 0
        self.failed_refreshes = 0

    @property
    def name(self) -> str:
        return self._engine.name

    @property
    def model_id(self) -> str:
        return self._engine.model_id

    @property
    def engine(self) -> Engine:
        """The engine serving now."""
        return self._engine

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        self.maybe_refresh()
        return self._engine.draft(findings, context)

    def maybe_refresh(self) -> threading.Thread | None:
        """Start a rebuild when the file changed and none is running; returns the thread, if one started."""
        now = self._clock()
        with self._lock:
            if now - self._checked < self._check_seconds or self._building is not None:
                return None
            self._checked = now
            stamp = _stamp(self._path)
            if stamp is None or stamp == self._stamp:
                return None
            thread = threading.Thread(target=self._rebuild, args=(stamp,), name="index-refresh", daemon=True)
            self._building = thread
        thread.start()
        return thread

    def _rebuild(self, stamp: Stamp) -> None:
        try:
            engine = self._build()
        except Exception:  # noqa: BLE001 - a bad index file keeps the engine that works
            with self._lock:
                self.failed_refreshes += 1
                self._stamp = stamp  # do not retry the same broken file until it changes again
                self._building = None
            return
        with self._lock:
            self._engine = engine
            self._stamp = stamp
            self.refreshes += 1
            self._building = None
