"""A local, append-only, fsync'd file of audit events the database has not yet accepted.

Every event is appended here when it is submitted, and a turn's reply waits for it
(``append`` returns a future). With ``ack="write"`` (the default) the events are written
to the file at once, on the caller's thread (a ~10 us write into the page cache, which a
crash or ``kill -9`` of Candor cannot lose), and fsync'd moments later by one thread that
serves all appends (group commit). With ``ack="fsync"`` the future waits for that fsync
too, so an acknowledged event also survives a crash of the machine, at the price of an
fsync per turn (0.5 ms idle, several ms under load on this disk). Once the database has
committed every event of a segment file and the segment is full (or the process stops),
the file is deleted. Files a dead process left behind are replayed at start-up; the
writer skips events whose ``event_uid`` is already stored, so a crash between the
database commit and the file's deletion stores nothing twice.

Several processes (replicas, or tests) may share one directory: each holds an exclusive
``flock`` on the segment it writes, and only unlocked segments are adopted. File names
carry a fingerprint of the database URL, so a spool is never replayed into another
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import queue
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from app.audit.chain import render_time

log = logging.getLogger(__name__)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def database_fingerprint(database_url: str) -> str:
    # The password is part of the URL but never leaves this hash.
    return hashlib.sha256(database_url.encode()).hexdigest()[:12]


def default_spool_dir(database_url: str) -> Path | None:
    """Beside the SQLite file; ``./candor-spool`` for a database server; none for an
    in-memory database (it dies with the process: there is nothing to replay into)."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith("sqlite"):
        if not database_url.startswith(prefix) or ":memory:" in database_url or database_url == prefix:
            return None
        return Path(database_url[len(prefix) :]).resolve().parent / "candor-spool"
    return Path("candor-spool").resolve()


def encode_event(event: dict[str, Any]) -> bytes:
    record = {
        key: render_time(value) if isinstance(value, datetime) else value
        for key, value in event.items()
        if key not in ("seq", "prev_hash", "hash")  # the writer chains on insert
    }
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def decode_event(line: bytes) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(line)
    event["occurred_at"] = datetime.strptime(event["occurred_at"], _TIME_FORMAT).replace(tzinfo=UTC)
    return event


@dataclass(eq=False)
class Segment:
    path: Path
    file: BinaryIO
    count: int = 0  # events appended
    outstanding: int = 0  # events not yet committed to the database
    closed: bool = False  # no more appends
    deleted: bool = field(default=False)


class Spool:
    def __init__(
        self,
        *,
        directory: Path,
        database_url: str,
        segment_events: int = 10_000,
        ack: Literal["write", "fsync"] = "write",
    ) -> None:
        self._dir = directory
        self._ack = ack
        self._fingerprint = database_fingerprint(database_url)
        self._segment_events = segment_events
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._current: Segment | None = None
        self._live: set[Segment] = set()  # segments whose file (and lock) we hold
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def directory(self) -> Path:
        return self._dir

    def open(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="audit-spool", daemon=True)
        self._thread.start()

    def adopt_orphans(self) -> list[tuple[Segment, list[dict[str, Any]]]]:
        """Segments of this database that no live process holds, with their events."""
        adopted = []
        for path in sorted(self._dir.glob(f"audit-{self._fingerprint}-*.spool")):
            try:
                handle = path.open("r+b")
            except FileNotFoundError:
                continue  # deleted by its owner meanwhile
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            if not path.exists():  # deleted between our open and our lock
                handle.close()
                continue
            events = _read_events(handle)
            segment = Segment(path=path, file=handle, count=len(events), outstanding=len(events), closed=True)
            self._live.add(segment)
            adopted.append((segment, events))
        return adopted

    def append(self, events: Sequence[dict[str, Any]]) -> tuple[Segment, asyncio.Future[None]]:
        """Queues the events for the file; the future is done once they are fsync'd."""
        assert self._loop is not None, "Spool.open() first"
        segment = self._segment_for(len(events))
        data = b"".join(encode_event(e) for e in events)
        done: asyncio.Future[None] = self._loop.create_future()
        if self._ack == "write":
            try:
                # Flushed, so the bytes are in the kernel when this returns.
                segment.file.write(data)
                segment.file.flush()
            except (OSError, ValueError) as exc:  # ValueError: the file was closed under us
                log.error("audit spool write failed", extra={"error": type(exc).__name__})
                self._retire(segment)
                done.set_exception(SpoolError("the audit spool could not be written"))
            else:
                done.set_result(None)
                self._queue.put(("sync", segment))
        else:
            self._queue.put(("write", segment, data, done))
        segment.count += len(events)
        segment.outstanding += len(events)
        return segment, done

    def release(self, segment: Segment, count: int) -> None:
        """``count`` events of ``segment`` are in the database now."""
        segment.outstanding -= count
        if segment.closed and segment.outstanding <= 0 and not segment.deleted:
            segment.deleted = True
            self._live.discard(segment)
            self._queue.put(("delete", segment))

    def reject(self, event: dict[str, Any]) -> Path:
        """Keeps an event the database refused for good (a bug, not an outage) in
        ``rejected-*.ndjson`` beside the spool, for an operator to inspect and re-insert:
        an audit event is never silently dropped."""
        path = self._dir / f"rejected-{self._fingerprint}.ndjson"
        with path.open("ab") as handle:
            handle.write(encode_event(event))
            handle.flush()
            os.fsync(handle.fileno())
        return path

    async def close(self) -> None:
        """Stops the thread; segments the database has all of are deleted, the others
        closed (and unlocked) for the next start to replay."""
        if self._current is not None:
            self._current.closed = True
            self.release(self._current, 0)
            self._current = None
        if self._thread is not None:
            self._queue.put(("stop",))
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        # Segments the database does not have yet stay on disk, unlocked, for the next start.
        for segment in self._live:
            segment.file.close()
        self._live.clear()

    # -- internals -------------------------------------------------------------------------

    def _retire(self, segment: Segment) -> None:
        segment.closed = True
        if self._current is segment:
            self._current = None

    def _segment_for(self, adding: int) -> Segment:
        current = self._current
        if current is not None and current.count + adding > self._segment_events and current.count > 0:
            current.closed = True
            self.release(current, 0)
            current = None
        if current is None:
            current = self._current = self._new_segment()
        return current

    def _new_segment(self) -> Segment:
        # Locked under a temporary name, then renamed: nobody can adopt it in between.
        name = f"audit-{self._fingerprint}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        temporary = self._dir / f".{name}.tmp"
        handle = temporary.open("ab")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        final = self._dir / f"{name}.spool"
        temporary.rename(final)
        _fsync_dir(self._dir)
        segment = Segment(path=final, file=handle)
        self._live.add(segment)
        return segment

    def _run(self) -> None:
        stopping = False
        while not stopping:
            commands = [self._queue.get()]
            while True:  # everything queued meanwhile shares this group's fsync
                try:
                    commands.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(command[0] == "stop" for command in commands)
            self._write_group(commands)

    def _write_group(self, commands: list[tuple[Any, ...]]) -> None:
        touched: dict[int, Segment] = {}
        waiting: list[asyncio.Future[None]] = []
        error: BaseException | None = None
        try:
            for command in commands:
                if command[0] == "write":
                    _, segment, data, done = command
                    waiting.append(done)
                    touched[id(segment)] = segment
                    segment.file.write(data)
                    segment.file.flush()
                elif command[0] == "sync":  # written on the event loop already
                    segment = command[1]
                    touched[id(segment)] = segment
            for segment in touched.values():
                os.fsync(segment.file.fileno())
        except Exception as exc:  # noqa: BLE001 - disk full or gone: never acknowledge, never hang
            log.error("audit spool write failed", extra={"error": type(exc).__name__})
            error = exc
        for command in commands:
            if command[0] == "delete":
                segment = command[1]
                with contextlib.suppress(OSError):
                    segment.path.unlink(missing_ok=True)
                    segment.file.close()
        self._resolve(waiting, error, list(touched.values()) if error else [])

    def _resolve(
        self, waiting: list[asyncio.Future[None]], error: BaseException | None, broken: list[Segment]
    ) -> None:
        if not (waiting or broken) or self._loop is None or self._loop.is_closed():
            return

        def settle() -> None:  # on the event loop, which owns the segments' bookkeeping
            for segment in broken:  # never append to a failed file again: start a new one
                self._retire(segment)
            for done in waiting:
                if done.done():
                    continue
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(SpoolError("the audit spool could not be written"))

        self._loop.call_soon_threadsafe(settle)


class SpoolError(OSError):
    """The spool file could not be written (disk full, read-only, gone)."""


def _read_events(handle: BinaryIO) -> list[dict[str, Any]]:
    events = []
    handle.seek(0)
    for line in handle:
        try:
            events.append(decode_event(line))
        except (ValueError, KeyError, TypeError):
            # A torn last line: written but never fsync'd, so never acknowledged.
            continue
    return events


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
