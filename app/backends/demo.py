"""The built-in demo bot: a small rule-based assistant for the fictional Candor Demo Shop.

It lets Candor run with no backend configured, and gives tests a deterministic bot. It
reads only the latest user message, matches intents by keyword in a fixed order (the
first match wins), and says plainly that it is an automated assistant. It echoes a name
it is told, PII placeholders such as ``<PERSON_1>`` included, so that restoring them on
the way out can be seen working.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

from app.backends.base import BackendDelta, BackendReply, BackendRequest
from app.backends.messages import last_user_text

MODEL = "candor-demo"
SHOP = "Candor Demo Shop"

# "#12345", "A-12345", or a bare number right after "order" ("order 12345", "order no. 12345",
# "my order number is 12345"): what customers type when they are not shown the format.
_ORDER_NUMBER = re.compile(
    r"(#\d{4,10}|\b[A-Z]-\d{4,10})\b"
    r"|\b(?i:order)(?:\s+(?i:no|nr|num|number))?\.?(?:\s+(?i:is))?[\s:]*(#?\d{4,10})\b"
)
# A name as typed, or the placeholder the PII guardrail put in its place.
_NAME = re.compile(r"\bmy name is\s+(<[A-Z][A-Z_]*_\d+>|[^\W\d_][\w'-]*)", re.IGNORECASE)
_WORD_CHUNK = re.compile(r"\s*\S+\s*")

_INTRO = (
    f"I'm the {SHOP}'s automated assistant. I can help with orders, returns, shipping, "
    "payments and your account. What can I do for you?"
)
_ASK_ORDER_NUMBER = (
    "I can check that for you. What is your order number? You'll find it in your order "
    "confirmation e-mail; it looks like #12345 or A-12345."
)
_FALLBACK = (
    f"I'm the {SHOP}'s automated assistant, and I'm not sure I understood. I can help with "
    "order status, returns and refunds, shipping times, opening hours, payment methods and "
    "password resets. If you would rather talk to a person, just say so and I'll connect you "
    "with a member of our team."
)


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE)


# (intent, pattern, answer), tried in order, first match wins: specific requests come
# before small talk, so "Hi, where is my order?" is about the order, and "return my
# order" is about returns. Order status's answer depends on the order number, see _match.
_INTENTS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "password_reset",
        _words("password", "log ?in", "sign ?in", "locked out"),
        'To reset your password, choose "Forgot password?" on the sign-in page and enter the '
        "e-mail address of your account. The reset link is valid for 24 hours; check your spam "
        "folder if it does not arrive within a few minutes.",
    ),
    (
        "returns",
        _words(
            "returns?", "returning", "refunds?", "refunded", "exchange", "send (?:it )?back", "money back"
        ),
        "You can return any unused item within 30 days of delivery for a full refund. Start a return "
        'from "My orders" and print the free return label; refunds reach your original payment '
        "method within 5 business days of the item arriving back with us.",
    ),
    (
        "order_status",
        _words(
            "order status",
            "status of my order",
            "where(?:'s| is) my",
            "track(?:ing)?",
            "package",
            "parcel",
            "(?:has not|hasn't|not) arrived",
            "check (?:on )?my order",
        ),
        _ASK_ORDER_NUMBER,
    ),
    (
        "shipping",
        _words("shipping", "ship", "deliver(?:y|ed)?", "how long", "arrive", "postage", "courier"),
        "Standard shipping takes 2-4 business days and is free on orders over 50 EUR. Express "
        "shipping arrives the next business day if you order before 2 pm. We ship to the EU, "
        "the UK and Switzerland.",
    ),
    (
        "opening_hours",
        _words("opening hours", "hours", "open(?:ing)?", "closing"),
        "Our customer service team is available Monday to Friday, 8:00-20:00, and Saturday, "
        "9:00-16:00 (CET). I am available around the clock for the questions I can answer.",
    ),
    (
        "payment",
        _words("pay", "paying", "payments?", "credit card", "debit card", "paypal", "invoice", "klarna"),
        "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Google Pay, and "
        "invoices for customers in Germany and Austria. You are only charged when your order ships.",
    ),
    (
        "thanks",
        _words("thanks?", "thank you", "thx", "cheers", "appreciate it"),
        "You're welcome! Is there anything else I can help you with?",
    ),
    (
        "goodbye",
        _words("bye", "goodbye", "see you", "that's all", "that is all"),
        f"Thanks for contacting {SHOP}. Have a great day!",
    ),
    ("greeting", _words("hi", "hello", "hey", "good (?:morning|afternoon|evening)"), f"Hello! {_INTRO}"),
)


def answer(text: str) -> tuple[str, str]:
    """The ``(intent, reply)`` the demo bot gives to one user message."""
    intent, reply = _match(text)
    name = _NAME.search(text)
    if name is None:
        return intent, reply
    if intent in {"greeting", "fallback"}:
        return "greeting", f"Nice to meet you, {name.group(1)}! {_INTRO}"
    return intent, f"Thanks, {name.group(1)}. {reply}"


def _match(text: str) -> tuple[str, str]:
    order_number = _ORDER_NUMBER.search(text)
    for intent, pattern, reply in _INTENTS:
        # A bare order number is the customer answering "what is your order number?".
        if intent == "order_status" and order_number:
            return intent, (
                f"Thanks! Order {order_number.group(1) or order_number.group(2)} was shipped yesterday "
                "and should arrive within 2 business days. The tracking link is in your shipping "
                "confirmation e-mail."
            )
        if pattern.search(text):
            return intent, reply
    return "fallback", _FALLBACK


class DemoBot:
    """The built-in backend: deterministic answers, streamed word by word.

    ``chunk_delay_s`` spaces the streamed words out, to make the demo widget look alive.
    """

    kind = "demo"

    def __init__(self, *, chunk_delay_s: float = 0.0) -> None:
        if chunk_delay_s < 0:
            raise ValueError("chunk_delay_s must be >= 0")
        self._chunk_delay_s = chunk_delay_s

    async def complete(self, request: BackendRequest) -> BackendReply:
        _, reply = answer(last_user_text(request.messages))
        return BackendReply(content=reply, model=MODEL)

    async def stream(self, request: BackendRequest) -> AsyncGenerator[BackendDelta, None]:
        _, reply = answer(last_user_text(request.messages))
        for chunk in _WORD_CHUNK.findall(reply):
            # Even at zero delay this yields to the event loop, like a real network stream.
            await asyncio.sleep(self._chunk_delay_s)
            yield BackendDelta(content=chunk, model=MODEL)
        yield BackendDelta(finish_reason="stop", model=MODEL)

    async def models(self) -> list[str]:
        return [MODEL]

    async def aclose(self) -> None:
        return None
