"""Recording chat turns in the transcript, off the request path.

A bot turn's messages are handed to ``TurnRecorder.submit`` and written in batches (one
transaction per batch) by a background task, so a turn does not wait for the database.
Until a turn is written, this replica still knows about it: ``pending_ai_turns`` and
``pending_new`` let the next turn of the same conversation see it (the AI disclosure is
decided on the number of AI turns so far). Another replica that has not seen the write
yet can only over-disclose, never under-disclose: a count it misses is a turn it treats
as not having happened.

Turns that change who holds the conversation (a handoff) are written at once with
``record_now``; the bot must never answer a conversation that a person holds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.batching import BatchWriter
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.service import AuthorKind
from app.db import WriteGate
from app.errors import NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TurnRecord:
    conversation: Conversation
    is_new: bool
    entries: tuple[tuple[AuthorKind, str], ...]
    ai_turn: bool
    # Detector state after this turn (None: unchanged).
    guardrail_state: dict[str, Any] | None = None


class TurnRecorder(BatchWriter[TurnRecord]):
    name = "transcript"

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        batch_size: int,
        flush_interval_s: float,
    ) -> None:
        super().__init__(
            sessionmaker=sessionmaker, gate=gate, batch_size=batch_size, flush_interval_s=flush_interval_s
        )
        self._ai_turns: Counter[str] = Counter()
        self._new: dict[str, Conversation] = {}
        # conversation -> (the newest state submitted, how many records still carry one)
        self._states: dict[str, tuple[dict[str, Any], int]] = {}

    def submit(self, items: Iterable[TurnRecord]) -> None:
        items = list(items)
        for record in items:
            if record.ai_turn:
                self._ai_turns[record.conversation.id] += 1
            if record.is_new:
                self._new.setdefault(record.conversation.id, record.conversation)
            if record.guardrail_state is not None:
                _, waiting = self._states.get(record.conversation.id, ({}, 0))
                self._states[record.conversation.id] = (record.guardrail_state, waiting + 1)
        super().submit(items)

    def pending_ai_turns(self, conversation_id: str) -> int:
        return self._ai_turns.get(conversation_id, 0)

    def pending_state(self, conversation_id: str) -> dict[str, Any] | None:
        """The newest detector state submitted for a conversation and not yet written."""
        entry = self._states.get(conversation_id)
        return entry[0] if entry else None

    def pending_new(self, conversation_id: str) -> Conversation | None:
        """A conversation started here whose first turn is not written yet."""
        return self._new.get(conversation_id)

    async def record_now(self, session: AsyncSession, record: TurnRecord) -> int:
        """Writes one turn in the caller's transaction (for turns that must be durable now);
        returns the sequence number of its last message."""
        written = await conversations.record_turns(session=session, turns=[_write(record)])
        if record.conversation.id not in written:
            raise NotFound("no such conversation")
        self._new.pop(record.conversation.id, None)
        return written[record.conversation.id]

    async def write_batch(self, session: AsyncSession, batch: Sequence[TurnRecord]) -> None:
        written = await conversations.record_turns(session=session, turns=[_write(r) for r in batch])
        refused = {record.conversation.id for record in batch} - set(written)
        if refused:
            # Another tenant's conversation id, taken by a racing request: nothing to store.
            log.error("turns for a conversation of another tenant dropped", extra={"turns": len(refused)})

    def on_written(self, batch: Sequence[TurnRecord]) -> None:
        for record in batch:
            if record.ai_turn:
                self._ai_turns[record.conversation.id] -= 1
                if self._ai_turns[record.conversation.id] <= 0:
                    del self._ai_turns[record.conversation.id]
            self._new.pop(record.conversation.id, None)
            if record.guardrail_state is not None:
                state, waiting = self._states.get(record.conversation.id, ({}, 1))
                if waiting <= 1:
                    self._states.pop(record.conversation.id, None)
                else:
                    self._states[record.conversation.id] = (state, waiting - 1)


def _write(record: TurnRecord) -> conversations.TurnWrite:
    return conversations.TurnWrite(
        conversation=record.conversation,
        entries=record.entries,
        ai_turn=record.ai_turn,
        is_new=record.is_new,
        guardrail_state=record.guardrail_state,
    )
