"""The handoff state machine: every legal move, and every other one refused with 409."""

from __future__ import annotations

import itertools

import pytest

from app.errors import Conflict
from escalation.states import (
    TRANSITIONS,
    Event,
    HandoffStatus,
    IllegalTransition,
    State,
    state_of,
    status_of,
    transition,
)

LEGAL = [
    pytest.param(State.BOT, Event.ENQUEUE, State.QUEUED, id="bot-enqueue-queued"),
    pytest.param(State.RESOLVED, Event.ENQUEUE, State.QUEUED, id="resolved-enqueue-queued"),
    pytest.param(State.QUEUED, Event.CLAIM, State.HUMAN, id="queued-claim-human"),
    pytest.param(State.QUEUED, Event.EXPIRE, State.QUEUED, id="queued-expire-stays-queued"),
    pytest.param(State.QUEUED, Event.RESOLVE, State.RESOLVED, id="queued-resolve-resolved"),
    pytest.param(State.HUMAN, Event.REPLY, State.HUMAN, id="human-reply-human"),
    pytest.param(State.HUMAN, Event.TRANSFER, State.QUEUED, id="human-transfer-queued"),
    pytest.param(State.HUMAN, Event.RELEASE, State.QUEUED, id="human-release-queued"),
    pytest.param(State.HUMAN, Event.RESOLVE, State.RESOLVED, id="human-resolve-resolved"),
    pytest.param(State.HUMAN, Event.HANDBACK, State.BOT, id="human-handback-bot"),
    pytest.param(State.RESOLVED, Event.REOPEN, State.BOT, id="resolved-reopen-bot"),
]


@pytest.mark.parametrize(("current", "event", "expected"), LEGAL)
def test_legal_moves(current: State, event: Event, expected: State) -> None:
    assert transition(current, event) is expected


def test_the_table_is_exactly_the_legal_moves() -> None:
    assert len(TRANSITIONS) == len(LEGAL)


ILLEGAL = [
    pytest.param(state, event, id=f"{state.value}-{event.value}")
    for state, event in itertools.product(State, Event)
    if (state, event) not in TRANSITIONS
]


@pytest.mark.parametrize(("current", "event"), ILLEGAL)
def test_every_other_move_is_a_conflict(current: State, event: Event) -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(current, event)
    assert isinstance(raised.value, Conflict)
    assert raised.value.status_code == 409
    assert current.value in raised.value.message and event.value in raised.value.message


def test_the_bot_is_never_answering_once_queued_until_handed_back() -> None:
    # From queued, no single event gives the conversation back to the bot.
    assert all(
        transition(State.QUEUED, event) is not State.BOT
        for event in Event
        if (State.QUEUED, event) in TRANSITIONS
    )
    assert transition(transition(State.QUEUED, Event.CLAIM), Event.HANDBACK) is State.BOT


@pytest.mark.parametrize("status", list(HandoffStatus), ids=lambda s: s.value)
def test_status_and_state_map_both_ways(status: HandoffStatus) -> None:
    assert status_of(state_of(status)) is status


def test_a_handed_back_handoff_means_the_bot_holds_the_conversation() -> None:
    assert status_of(State.BOT) is HandoffStatus.HANDED_BACK
    assert state_of(HandoffStatus.HANDED_BACK) is State.BOT
