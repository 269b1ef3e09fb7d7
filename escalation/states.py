"""Who holds a conversation, and the one function that moves it on.

    bot ──enqueue──▶ queued ──claim──▶ human ──resolve──▶ resolved
     ▲                 ▲ │               │ │                 │
     │                 │ └───resolve─────┼─┼────────────────▶│
     │                 └──release/transfer┘ │                 │
     └────────────────────handback──────────┘                 │
     └──────────────────────reopen────────────────────────────┘
                        (resolved ──enqueue──▶ queued as well)

``State`` is the conversation's mode; a handoff's status is the state it put the
conversation in (``handed_back`` when it ended with the bot in charge again). Replies and
the no-pickup notice leave the state as it is but are checked here too, so that every
"may this happen now?" question has one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from app.errors import Conflict


class State(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    HUMAN = "human"
    RESOLVED = "resolved"


class HandoffStatus(StrEnum):
    QUEUED = "queued"
    HUMAN = "human"
    RESOLVED = "resolved"
    HANDED_BACK = "handed_back"


class Event(StrEnum):
    ENQUEUE = "enqueue"
    CLAIM = "claim"
    REPLY = "reply"
    TRANSFER = "transfer"
    RELEASE = "release"
    RESOLVE = "resolve"
    HANDBACK = "handback"
    EXPIRE = "expire"  # the no-pickup notice: the customer stays in the queue
    REOPEN = "reopen"  # a resolved conversation goes back to the bot


TRANSITIONS: Mapping[tuple[State, Event], State] = {
    (State.BOT, Event.ENQUEUE): State.QUEUED,
    (State.RESOLVED, Event.ENQUEUE): State.QUEUED,
    (State.QUEUED, Event.CLAIM): State.HUMAN,
    (State.QUEUED, Event.EXPIRE): State.QUEUED,
    (State.QUEUED, Event.RESOLVE): State.RESOLVED,
    (State.HUMAN, Event.REPLY): State.HUMAN,
    (State.HUMAN, Event.TRANSFER): State.QUEUED,
    (State.HUMAN, Event.RELEASE): State.QUEUED,
    (State.HUMAN, Event.RESOLVE): State.RESOLVED,
    (State.HUMAN, Event.HANDBACK): State.BOT,
    (State.RESOLVED, Event.REOPEN): State.BOT,
}

OPEN_STATUSES = (HandoffStatus.QUEUED, HandoffStatus.HUMAN)


class IllegalTransition(Conflict):
    code = "illegal_transition"


def transition(current: State, event: Event) -> State:
    """The state after ``event``; raises ``IllegalTransition`` (409) when it cannot happen now."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(f"cannot {event.value} a conversation that is {current.value}") from None


def status_of(state: State) -> HandoffStatus:
    """A handoff's status once it has put its conversation in ``state``."""
    return HandoffStatus.HANDED_BACK if state is State.BOT else HandoffStatus(state.value)


def state_of(status: HandoffStatus) -> State:
    return State.BOT if status is HandoffStatus.HANDED_BACK else State(status.value)
