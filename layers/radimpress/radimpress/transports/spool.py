"""A local on-disk spool for queue messages the listener acknowledged but could not hand to the queue yet.

When the ingest queue cannot be reached, or does not answer within the listener's send deadline, the
message is written here and only then answered AA: the ACK is a promise that the message is stored, and a
file that has been fsynced (and whose directory entry has been fsynced) survives a crash of the listener or
of the machine. :meth:`Spool.oldest` hands entries back in the order they were spooled, and
:meth:`Spool.remove` deletes one once the queue took it.

An entry is one file, ``<sequence>-<dedup id>.json``: the queue message (body and attributes) as JSON. The
sequence is a zero-padded counter that continues from the highest one on disk, so the name order is the
spool order across restarts. The dedup id is the one the message carries on the queue (see
:func:`radimpress.transports.intake.dedup_id`), so an entry whose earlier, timed-out send later turns out to
have arrived can be dropped without being sent again. A partial write is a ``.tmp`` file, never listed.

Spool files hold message bodies (patient data): the directory is created owner-only (0700) and nothing here
logs a body. ``max_entries`` and ``max_bytes`` bound it; past them :meth:`put` raises SpoolFullError and the
listener answers AE (the one case where it does).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from radimpress.errors import RadimpressError
from radimpress.ports import OutboundMessage

__all__ = ["Spool", "SpoolEntry", "SpoolError"]

_SUFFIX = ".json"


class SpoolError(RadimpressError):
    """The spool cannot take a message (full, or the disk refused the write): answer AE."""

    code = "spool_unavailable"


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    """One spooled queue message, by file name (sequence and dedup id)."""

    name: str
    dedup_id: str
    message: OutboundMessage
    size: int


class Spool:
    """The spool directory (see the module docstring). Thread-safe: writers and the drainer share it."""

    def __init__(self, directory: Path, *, max_entries: int = 100_000, max_bytes: int = 2 * 1024**3) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock = threading.Lock()
        for partial in directory.glob("*.tmp"):
            partial.unlink()  # a write the listener never acknowledged
        names = sorted(path.name for path in directory.glob(f"*{_SUFFIX}"))
        self._sizes = {name: (directory / name).stat().st_size for name in names}
        self._next = int(names[-1].split("-", 1)[0]) + 1 if names else 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._sizes)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def put(self, items: list[tuple[str, OutboundMessage]]) -> list[str]:
        """Spool ``(dedup id, message)`` pairs durably, in order; their entry names. SpoolError when it
        cannot (full, or the write failed: then none of them is spooled)."""
        documents = [
            json.dumps({"dedup_id": dedup, "body": m.body, "attributes": dict(m.attributes)}).encode()
            for dedup, m in items
        ]
        with self._lock:
            total = sum(self._sizes.values()) + sum(len(document) for document in documents)
            if len(self._sizes) + len(items) > self.max_entries or total > self.max_bytes:
                raise SpoolError("the spool is full", where=str(self.directory))
            first = self._next
            self._next += len(items)
        names = [f"{first + offset:020d}-{dedup}{_SUFFIX}" for offset, (dedup, _) in enumerate(items)]
        written: list[Path] = []
        try:
            for name, document in zip(names, documents, strict=True):
                written.append(self._write(name, document))
            self._sync_directory()
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise SpoolError(f"the spool write failed ({exc.strerror})", where=str(self.directory)) from exc
        with self._lock:
            self._sizes.update(zip(names, (len(document) for document in documents), strict=True))
        return names

    def _write(self, name: str, document: bytes) -> Path:
        partial = self.directory / f"{name}.tmp"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, document)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        final = self.directory / name
        partial.rename(final)
        return final

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def oldest(self, limit: int) -> list[SpoolEntry]:
        """Up to ``limit`` entries, oldest first."""
        with self._lock:
            names = sorted(self._sizes)[:limit]
        entries = []
        for name in names:
            try:
                document = json.loads((self.directory / name).read_bytes())
            except FileNotFoundError:
                continue  # removed meanwhile (its late send was confirmed)
            message = OutboundMessage(document["body"], document["attributes"])
            entries.append(SpoolEntry(name, document["dedup_id"], message, self._sizes.get(name, 0)))
        return entries

    def remove(self, names: list[str]) -> None:
        """Forget entries the queue has taken."""
        for name in names:
            (self.directory / name).unlink(missing_ok=True)
            with self._lock:
                self._sizes.pop(name, None)

    def set_aside(self, names: list[str]) -> None:
        """Move entries the queue refused for good (too large, bad attributes) to ``refused/`` for an
        operator, so they no longer hold up the drain."""
        aside = self.directory / "refused"
        aside.mkdir(mode=0o700, exist_ok=True)
        for name in names:
            with self._lock:
                self._sizes.pop(name, None)
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).rename(aside / name)
