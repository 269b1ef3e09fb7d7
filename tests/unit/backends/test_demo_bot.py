"""The demo bot, read like a transcript: what a customer says, what the bot answers."""

from __future__ import annotations

import re

import pytest

from app.backends.base import BackendRequest
from app.backends.demo import DemoBot, answer


def request(*texts: str) -> BackendRequest:
    messages = []
    for i, text in enumerate(texts):
        messages.append({"role": "user", "content": text})
        if i < len(texts) - 1:
            messages.append({"role": "assistant", "content": "(earlier answer)"})
    return BackendRequest(messages=messages, model="anything", conversation_id="c", sender="s")


TRANSCRIPT = [
    pytest.param("Where is my order?", "order_status", "order number", id="order-asks-for-number"),
    pytest.param("Hi, I want to track my parcel", "order_status", "order number", id="order-before-greeting"),
    pytest.param("It's #12345", "order_status", "#12345", id="order-number-hash"),
    pytest.param("order A-98765 hasn't arrived", "order_status", "A-98765", id="order-number-letter"),
    pytest.param("Where is my order 12345?", "order_status", "Order 12345 was", id="order-bare-number"),
    pytest.param("my order number is 4567", "order_status", "Order 4567 was", id="order-number-is"),
    pytest.param("Order no. 20261124 please", "order_status", "Order 20261124 was", id="order-no"),
    pytest.param("where's my order #55555", "order_status", "Order #55555 was", id="order-keeps-hash"),
    pytest.param("Where is my order 12?", "order_status", "order number", id="too-short-for-a-number"),
    pytest.param("I'd like to return my order", "returns", "30 days", id="return"),
    pytest.param("When will I get my refund?", "returns", "refund", id="refund"),
    pytest.param("How long does shipping take?", "shipping", "business days", id="shipping"),
    pytest.param("Do you deliver to Switzerland?", "shipping", "Switzerland", id="delivery"),
    pytest.param("What are your opening hours?", "opening_hours", "Monday to Friday", id="hours"),
    pytest.param("Are you open on Saturday?", "opening_hours", "Saturday", id="open"),
    pytest.param("Can I pay with PayPal?", "payment", "PayPal", id="payment"),
    pytest.param("I forgot my password", "password_reset", "Forgot password?", id="password"),
    pytest.param("I can't log in", "password_reset", "reset", id="login"),
    pytest.param("Hello!", "greeting", "automated assistant", id="greeting"),
    pytest.param("Good morning", "greeting", "automated assistant", id="good-morning"),
    pytest.param("Thanks a lot", "thanks", "welcome", id="thanks"),
    pytest.param("ok bye", "goodbye", "great day", id="goodbye"),
    pytest.param("What's the meaning of life?", "fallback", "talk to a person", id="fallback"),
    pytest.param("", "fallback", "order status", id="empty"),
]


@pytest.mark.parametrize(("text", "intent", "keyword"), TRANSCRIPT)
def test_answers_by_intent(text: str, intent: str, keyword: str) -> None:
    got_intent, reply = answer(text)
    assert got_intent == intent
    assert keyword in reply


@pytest.mark.parametrize(("text", "intent", "keyword"), TRANSCRIPT)
def test_never_claims_to_be_human(text: str, intent: str, keyword: str) -> None:
    _, reply = answer(text)
    assert not re.search(r"\b(?:i am|i'm) (?:a )?(?:human|real person|person)\b", reply, re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        pytest.param("Hi, my name is <PERSON_1>", "Nice to meet you, <PERSON_1>!", id="placeholder-greeting"),
        pytest.param("my name is Anna", "Nice to meet you, Anna!", id="plain-name"),
        pytest.param(
            "My name is <PERSON_2> and I need a refund",
            "Thanks, <PERSON_2>. You can return",
            id="with-intent",
        ),
    ],
)
def test_echoes_the_name_it_was_told(text: str, expected_start: str) -> None:
    _, reply = answer(text)
    assert reply.startswith(expected_start)


async def test_answers_only_the_latest_user_message() -> None:
    bot = DemoBot()
    reply = await bot.complete(request("What are your opening hours?", "Can I pay by invoice?"))
    assert "invoice" in reply.content
    assert reply.model == "candor-demo"
    assert reply.finish_reason == "stop"


@pytest.mark.parametrize(("text", "intent", "keyword"), TRANSCRIPT)
async def test_streamed_words_join_to_the_complete_reply(text: str, intent: str, keyword: str) -> None:
    bot = DemoBot()
    whole = await bot.complete(request(text))
    deltas = [delta async for delta in bot.stream(request(text))]

    assert "".join(delta.content for delta in deltas) == whole.content
    assert len(deltas) > 3  # word by word, not one lump
    assert [delta.finish_reason for delta in deltas[:-1]] == [None] * (len(deltas) - 1)
    assert deltas[-1].finish_reason == "stop"
    assert all(delta.model == "candor-demo" for delta in deltas)


async def test_is_deterministic_and_lists_its_model() -> None:
    bot = DemoBot(chunk_delay_s=0.001)
    first = [d async for d in bot.stream(request("Where is my order #12345?"))]
    second = [d async for d in bot.stream(request("Where is my order #12345?"))]
    assert first == second
    assert await bot.models() == ["candor-demo"]
    await bot.aclose()


def test_refuses_a_negative_delay() -> None:
    with pytest.raises(ValueError, match="chunk_delay_s"):
        DemoBot(chunk_delay_s=-1)
