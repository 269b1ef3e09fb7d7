"""loop: the same question again, the bot repeating itself, or failing to help - transcript by transcript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from guardrails.base import Action, Decision, ReasonCode, Stage, TurnContext
from guardrails.loop import (
    BOT_STATE_KEY,
    LoopGuardrail,
    LoopParams,
    bot_failed_to_help,
    fingerprint,
    note_bot_reply,
    similarity,
)
from guardrails.resources import CpuRunner, Resources

KEY = b"k" * 32
GENERIC = "I can help with orders, returns and billing. What would you like to do?"


@pytest.fixture
def resources() -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu, hmac_key=KEY)
    cpu.close()


def rail(resources: Resources, **params: object) -> LoopGuardrail:
    return LoopGuardrail(params=LoopParams.model_validate(params), resources=resources)


async def transcript(guardrail: LoopGuardrail, turns: list[tuple[str, str]]) -> list[Decision]:
    """(customer message, bot reply) pairs, with state kept the way the app keeps it."""
    state: dict[str, Any] = {}
    decisions = []
    for customer, bot in turns:
        ctx = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT, state=dict(state))
        decision = await guardrail.check(customer, ctx)
        state.update(decision.annotations["state"])
        state[BOT_STATE_KEY] = note_bot_reply(state.get(BOT_STATE_KEY), bot, key=KEY)
        decisions.append(decision)
    return decisions


def actions(decisions: list[Decision]) -> list[Action]:
    return [d.action for d in decisions]


@pytest.mark.parametrize(
    "asks",
    [
        pytest.param(
            ["where is my order?", "Where is my order??", "WHERE IS MY ORDER"], id="case-and-punctuation"
        ),
        pytest.param(
            ["where's my refund", "where is my refund again?", "still waiting: where is my refund"],
            id="contractions-and-fillers",
        ),
    ],
)
async def test_the_same_question_a_third_time_escalates(resources: Resources, asks: list[str]) -> None:
    decisions = await transcript(rail(resources), [(ask, GENERIC) for ask in asks])

    assert actions(decisions) == [Action.ALLOW, Action.ALLOW, Action.ESCALATE]
    assert decisions[2].reason_code is ReasonCode.LOOP
    assert decisions[2].annotations["kind"] == "customer_repeat"


@pytest.mark.parametrize(
    "turns",
    [
        pytest.param(
            [("yes", "Anything else?"), ("yes", "Sure."), ("yes", "Done."), ("ok", "Bye")], id="short-yes"
        ),
        pytest.param(
            [
                ("I want to cancel my order", "Which order?"),
                ("cancel order 123456 please", "Cancelled."),
                ("thanks", "You're welcome!"),
            ],
            id="clarification",
        ),
        pytest.param(
            [
                ("where is my order", "It ships today."),
                ("how do I return a jacket", "Use the returns page."),
                ("can I pay by card", "Yes."),
            ],
            id="different-questions",
        ),
    ],
)
async def test_ordinary_conversations_do_not_loop(resources: Resources, turns: list[tuple[str, str]]) -> None:
    assert set(actions(await transcript(rail(resources), turns))) == {Action.ALLOW}


async def test_an_old_repetition_never_fires_twice(resources: Resources) -> None:
    ask = "where is my order"
    decisions = await transcript(
        rail(resources), [(ask, f"Reply {i} about stock and delivery") for i in range(5)]
    )

    assert actions(decisions) == [Action.ALLOW, Action.ALLOW, Action.ESCALATE, Action.ALLOW, Action.ALLOW]


async def test_the_bot_repeating_itself_escalates_once(resources: Resources) -> None:
    decisions = await transcript(
        rail(resources),
        [
            ("where is my parcel", GENERIC),
            ("no, the parcel I sent back", GENERIC),
            ("hello?", "Here you go."),
            ("ok", "Bye"),
        ],
    )

    assert actions(decisions) == [Action.ALLOW, Action.ALLOW, Action.ESCALATE, Action.ALLOW]
    assert decisions[2].annotations["kind"] == "bot_repeat"


async def test_consecutive_unhelpful_replies_are_a_bot_failure(resources: Resources) -> None:
    decisions = await transcript(
        rail(resources),
        [
            ("the gizmo is broken", "Sorry, I didn't understand that. Could you rephrase?"),
            ("my gizmo, it's broken", "I'm sorry, I can't help with that."),
            ("so what now", "Let me check that for you."),
        ],
    )

    assert actions(decisions) == [Action.ALLOW, Action.ALLOW, Action.ESCALATE]
    assert decisions[2].reason_code is ReasonCode.BOT_FAILURE


async def test_the_failure_count_is_configurable(resources: Resources) -> None:
    turns = [
        ("help", "Sorry, I didn't catch that."),
        ("help me", "Could you rephrase?"),
        ("??", "I can't help"),
    ]

    decisions = await transcript(rail(resources, bot_failures=3), turns)

    assert set(actions(decisions)) == {Action.ALLOW}


@pytest.mark.parametrize(
    ("reply", "failed"),
    [
        pytest.param("Sorry, I didn't understand that.", True, id="didnt-understand"),
        pytest.param("Could you please rephrase your question?", True, id="rephrase"),
        pytest.param("I'm unable to help with that request.", True, id="unable"),
        pytest.param("Your order ships tomorrow.", False, id="helpful"),
        pytest.param("I understand, let me check.", False, id="understands"),
    ],
)
def test_bot_failed_to_help(reply: str, failed: bool) -> None:
    assert bot_failed_to_help(reply) is failed


def test_fingerprints_are_keyed_json_and_hold_no_words() -> None:
    text = "where is my order 123456 for Maria"
    fp = fingerprint(text, key=KEY)

    assert json.loads(json.dumps(fp)) == fp
    assert all(isinstance(h, int) for h in fp)
    assert "maria" not in json.dumps(fp).lower() and "123456" not in json.dumps(fp)
    assert fingerprint(text, key=b"other key") != fp  # a dictionary attack needs the key
    assert similarity(fp, fingerprint("Where is my order 123456 for Maria?", key=KEY)) == 1.0
