"""The local spool: fsync'd appends, segments, and what a dead process leaves behind."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.audit.spool import Spool, SpoolError, decode_event, default_spool_dir, encode_event

URL = "sqlite+aiosqlite:///./x.db"


def _event(n: int) -> dict[str, Any]:
    return {
        "event_uid": f"{n:032x}",
        "tenant_id": "t1",
        "occurred_at": datetime(2026, 11, 24, 9, 0, 0, n, tzinfo=UTC),
        "event_type": "turn.answered",
        "actor": "candor",
        "score": 0.5,
        "details": {"n": n},
    }


# Both acknowledgement modes: "write" (in the file, fsync'd moments later) and "fsync".
ACKS = pytest.mark.parametrize("ack", ["write", "fsync"])


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.spool"))


def test_an_event_reads_back_as_it_was_written() -> None:
    event = _event(7)

    assert decode_event(encode_event(event)) == event


def test_chain_fields_are_not_spooled() -> None:
    # The writer chains on insert; a replayed event is chained afresh.
    decoded = decode_event(encode_event({**_event(1), "seq": 4, "prev_hash": "0" * 64, "hash": "a" * 64}))

    assert "seq" not in decoded and "hash" not in decoded and "prev_hash" not in decoded


@ACKS
async def test_appended_events_are_on_disk_when_the_future_is_done(tmp_path: Path, ack: Any) -> None:
    spool = Spool(directory=tmp_path, database_url=URL, ack=ack)
    spool.open()
    _, done = spool.append([_event(1), _event(2)])
    await done
    # What a crashed process would leave: another Spool (process) adopts nothing while
    # the owner holds the segment's lock ...
    assert Spool(directory=tmp_path, database_url=URL).adopt_orphans() == []
    files = _segments(tmp_path)
    assert len(files) == 1
    assert [decode_event(line)["event_uid"] for line in files[0].read_bytes().splitlines()] == [
        _event(1)["event_uid"],
        _event(2)["event_uid"],
    ]
    await spool.close()


async def test_an_abandoned_segment_is_adopted_with_its_events(tmp_path: Path) -> None:
    spool = Spool(directory=tmp_path, database_url=URL)
    spool.open()
    _, done = spool.append([_event(1), _event(2), _event(3)])
    await done
    # Simulate the process dying: its lock goes away with its file descriptor.
    assert spool._current is not None
    spool._current.file.close()
    spool._current = None
    await spool.close()
    # A torn, never-acknowledged last line is skipped.
    segment_path = _segments(tmp_path)[0]
    with segment_path.open("ab") as handle:
        handle.write(b'{"event_uid": "torn')

    adopted = Spool(directory=tmp_path, database_url=URL).adopt_orphans()

    assert len(adopted) == 1
    segment, events = adopted[0]
    assert [e["event_uid"] for e in events] == [_event(n)["event_uid"] for n in (1, 2, 3)]
    assert segment.outstanding == 3


async def test_another_databases_spool_is_left_alone(tmp_path: Path) -> None:
    spool = Spool(directory=tmp_path, database_url=URL)
    spool.open()
    _, done = spool.append([_event(1)])
    await done
    assert spool._current is not None
    spool._current.file.close()  # dead owner
    spool._current = None
    await spool.close()

    assert Spool(directory=tmp_path, database_url="sqlite+aiosqlite:///./other.db").adopt_orphans() == []


async def test_a_segment_is_deleted_once_full_and_in_the_database(tmp_path: Path) -> None:
    spool = Spool(directory=tmp_path, database_url=URL, segment_events=2)
    spool.open()
    first, done = spool.append([_event(1), _event(2)])
    await done
    second, done = spool.append([_event(3)])  # rotates: the first segment is full
    await done
    assert first is not second and first.closed

    spool.release(first, 2)
    await spool.close()  # the thread has run every queued command

    assert not first.path.exists()
    # The current segment's event never reached the database: it stays for replay.
    assert second.path.exists()


@ACKS
async def test_concurrent_appends_all_reach_the_file_and_share_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ack: Any
) -> None:
    fsyncs: list[int] = []
    real_fsync = os.fsync
    # The first fsync is held until every append is queued, so the count does not depend
    # on how the two threads happen to interleave on a busy machine.
    all_queued = threading.Event()

    def counting_fsync(fd: int) -> None:
        # The spool thread's group fsyncs (not the directory's, when a segment is created).
        if threading.current_thread().name == "audit-spool":
            fsyncs.append(fd)
            if len(fsyncs) == 1:
                all_queued.wait(timeout=10)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    spool = Spool(directory=tmp_path, database_url=URL, ack=ack)
    spool.open()
    futures = [spool.append([_event(n)])[1] for n in range(200)]
    all_queued.set()
    await asyncio.gather(*futures)
    await spool.close()

    lines = _segments(tmp_path)[0].read_bytes().splitlines()
    assert len(lines) == 200
    # Group commit: everything queued during the first fsync shares the next one.
    assert len(fsyncs) <= 2


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "sqlite+aiosqlite:////srv/candor/candor.db", Path("/srv/candor/candor-spool"), id="beside-sqlite"
        ),
        pytest.param("sqlite+aiosqlite://", None, id="in-memory"),
        pytest.param("sqlite+aiosqlite:///:memory:", None, id="in-memory-named"),
        pytest.param("postgresql+asyncpg://db/candor", Path("candor-spool").resolve(), id="server"),
    ],
)
def test_the_default_spool_directory(url: str, expected: Path | None) -> None:
    assert default_spool_dir(url) == expected


@ACKS
async def test_a_failed_write_is_reported_not_acknowledged_and_the_spool_goes_on(
    tmp_path: Path, ack: Any
) -> None:
    spool = Spool(directory=tmp_path, database_url=URL, ack=ack)
    spool.open()
    segment, done = spool.append([_event(1)])
    await done
    segment.file.close()  # the disk "goes away" under the first segment

    _, failed = spool.append([_event(2)])
    with pytest.raises(SpoolError):
        await failed
    fresh, later = spool.append([_event(3)])  # a new segment, not the broken one
    await later
    await spool.close()
    assert fresh is not segment
    assert [decode_event(line)["event_uid"] for line in fresh.path.read_bytes().splitlines()] == [
        _event(3)["event_uid"]
    ]


async def test_with_ack_write_the_events_are_in_the_file_before_any_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What kill -9 cannot take away: bytes handed to the kernel. The fsync comes after.
    fsynced = asyncio.Event()
    real_fsync = os.fsync
    loop = asyncio.get_running_loop()
    segment_fds: set[int] = set()

    def watching_fsync(fd: int) -> None:
        real_fsync(fd)
        if fd in segment_fds:  # the segment file itself, not its directory
            loop.call_soon_threadsafe(fsynced.set)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    spool = Spool(directory=tmp_path, database_url=URL, ack="write")
    spool.open()
    segment, done = spool.append([_event(7)])
    segment_fds.add(segment.file.fileno())
    assert done.done() and done.exception() is None  # acknowledged at once
    # Another reader (a restarted process) sees the event in the file.
    lines = _segments(tmp_path)[0].read_bytes().splitlines()
    assert [decode_event(line)["event_uid"] for line in lines] == [_event(7)["event_uid"]]
    await asyncio.wait_for(fsynced.wait(), timeout=5)  # and the group commit follows
    await spool.close()
