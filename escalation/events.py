"""Telling consoles and widgets that something happened, as it happens.

``EventHub`` is an in-process publish/subscribe hub. A subscriber listens either to a
whole tenant (agent consoles) or to one conversation (a customer's widget); each has a
bounded queue, and one that falls behind is told to resync rather than holding memory.

A ``Notice`` carries ids and states only, never message text: subscribers read what
they show from the database. That keeps notices safe to send anywhere, and on
PostgreSQL ``PostgresFanout`` sends them to every other replica over LISTEN/NOTIFY on a
dedicated asyncpg connection, so a customer connected to one replica hears an agent
working on another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "candor_events"


@dataclass(frozen=True, slots=True)
class Notice:
    tenant_id: str
    conversation_id: str
    event: str  # handoff.queued, handoff.claimed, ..., handoff.message, conversation.message
    handoff_id: str | None = None
    status: str | None = None  # the handoff's status after the event
    mode: str | None = None  # the conversation's mode after the event
    seq: int | None = None  # the message this is about
    private: bool = False  # agents only: never sent to the customer's stream

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, payload: str) -> Notice:
        return cls(**json.loads(payload))


class Subscription:
    def __init__(self, *, size: int) -> None:
        self._queue: asyncio.Queue[Notice] = asyncio.Queue(maxsize=size)
        self.lagged = False  # notices were dropped: the reader should reload

    def offer(self, notice: Notice) -> None:
        try:
            self._queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.lagged = True

    async def next(self, *, wait_s: float) -> Notice | None:
        """The next notice, or None after ``wait_s`` seconds without one."""
        try:
            async with asyncio.timeout(wait_s):
                return await self._queue.get()
        except TimeoutError:
            return None


class Fanout(Protocol):
    """Carries notices to the other replicas (and back from them)."""

    async def start(self, deliver: Callable[[Notice], None]) -> None: ...

    def send(self, notice: Notice) -> None: ...

    async def stop(self) -> None: ...


class EventHub:
    def __init__(self, *, queue_size: int = 256, fanout: Fanout | None = None) -> None:
        self._queue_size = queue_size
        self._fanout = fanout
        self._subscribers: dict[tuple[str, str | None], set[Subscription]] = {}
        self._observers: list[Callable[[list[Notice]], None]] = []

    def observe(self, observer: Callable[[list[Notice]], None]) -> None:
        """Hands ``observer`` every batch of notices published on this replica (not those
        from other replicas). It is called on the publishing path: it must not block."""
        self._observers.append(observer)

    async def start(self) -> None:
        if self._fanout is not None:
            await self._fanout.start(self.deliver)

    async def stop(self) -> None:
        if self._fanout is not None:
            await self._fanout.stop()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, *, tenant_id: str, conversation_id: str | None = None
    ) -> AsyncIterator[Subscription]:
        """Notices for a tenant's consoles (``conversation_id`` None) or for one conversation."""
        key = (tenant_id, conversation_id)
        subscription = Subscription(size=self._queue_size)
        self._subscribers.setdefault(key, set()).add(subscription)
        try:
            yield subscription
        finally:
            group = self._subscribers.get(key)
            if group is not None:
                group.discard(subscription)
                if not group:
                    del self._subscribers[key]

    def publish(self, notices: list[Notice]) -> None:
        """Delivers here at once, and to the other replicas when there is a fanout."""
        for notice in notices:
            self.deliver(notice)
            if self._fanout is not None:
                self._fanout.send(notice)
        for observer in self._observers:
            observer(notices)

    def deliver(self, notice: Notice) -> None:
        for subscription in self._subscribers.get((notice.tenant_id, None), ()):
            subscription.offer(notice)
        if notice.private:
            return
        for subscription in self._subscribers.get((notice.tenant_id, notice.conversation_id), ()):
            subscription.offer(notice)


class PostgresFanout:
    """LISTEN/NOTIFY across replicas. Payloads are ids only (and well under NOTIFY's 8 kB).

    Each replica ignores its own notices (it delivered them locally already). A lost
    connection is re-opened with backoff; notices sent meanwhile reach this replica's
    subscribers only, and the streams' periodic reloads cover the gap.
    """

    def __init__(self, *, dsn: str) -> None:
        self._dsn = dsn.replace("postgresql+asyncpg://", "postgresql://")
        self._origin = uuid.uuid4().hex[:12]
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._deliver: Callable[[Notice], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self, deliver: Callable[[Notice], None]) -> None:
        self._deliver = deliver
        await self._connect()

    async def _connect(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self._dsn)
        await connection.add_listener(CHANNEL, self._on_notify)
        connection.add_termination_listener(self._on_lost)
        self._connection = connection

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, _, body = payload.partition(" ")
        if origin == self._origin or self._deliver is None:
            return
        try:
            notice = Notice.from_json(body)
        except (ValueError, TypeError):
            log.warning("ignoring a malformed event notification")
            return
        self._deliver(notice)

    def _on_lost(self, _connection: Any) -> None:
        self._connection = None
        if not self._stopping:
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._stopping and self._connection is None:
            try:
                await self._connect()
            except (TimeoutError, OSError) as exc:
                log.warning("event fanout reconnect failed", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def send(self, notice: Notice) -> None:
        self._spawn(self._notify(f"{self._origin} {notice.to_json()}"))

    async def _notify(self, payload: str) -> None:
        async with self._lock:
            connection = self._connection
            if connection is None:
                return
            try:
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
            except Exception as exc:  # noqa: BLE001 - a lost notice must not break the request
                log.warning("event notification failed", extra={"error": type(exc).__name__})

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self._stopping = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
