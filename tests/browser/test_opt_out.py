"""Scenario 2: a customer opts out of AI in the widget; their next message reaches a
person's queue and never the backend (the fake OpenAI server counts every call)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Stack
from tests.browser.pages import expect, open_widget, say

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_opted_out_customer_never_reaches_the_bot(stack: Stack, new_context: Any) -> None:
    customer = open_widget(new_context(), key=stack.key("chat"), customer_id="cust-browser-optout")
    switch = customer.get_by_role("switch", name="Opt out of AI")
    switch.check()
    log = customer.get_by_role("log", name="Conversation")
    expect(log.locator(".cw-msg--system").last).to_contain_text("opted out")
    expect(customer.locator(".cw-error")).to_be_hidden()
    expect(switch).to_be_checked()

    calls_before = len(stack.fake.received)
    say(customer, "Hi, I have a question about my invoice")
    # The message goes to the human side: the widget says so, nothing AI-labelled appears.
    expect(log.locator(".cw-msg--system").last).not_to_contain_text("opted out")
    expect(customer.locator(".cw-status")).to_have_text("Waiting for a person")
    expect(log.locator(".cw-msg--ai")).to_have_count(0)
    expect(log.locator(".cw-msg--disclosure")).to_have_count(0)
    assert len(stack.fake.received) == calls_before

    # Opting in again withdraws the request for a person: the bot answers the next message.
    switch.uncheck()
    expect(log.locator(".cw-msg--system", has_text="opted in")).to_have_count(1)
    expect(customer.locator(".cw-status")).not_to_have_text("Waiting for a person")
    say(customer, "Actually, the assistant can answer: what is your returns policy?")
    expect(log.locator(".cw-msg--ai")).to_have_count(1)
    assert len(stack.fake.received) == calls_before + 1
