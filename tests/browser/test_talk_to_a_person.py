"""The widget's "talk to a person" button, before and after the first message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import BOT_REPLY, Stack
from tests.browser.pages import expect, open_widget, say, sign_in_console

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_button_hands_an_ongoing_chat_to_a_person(stack: Stack, new_context: Any) -> None:
    shop = stack.new_tenant()
    customer = open_widget(new_context(), key=stack.key("chat", tenant=shop), customer_id="cust-button")
    say(customer, "Hi, I have a question about a delivery")
    expect(customer.locator(".cw-msg--ai")).to_contain_text(BOT_REPLY)

    customer.get_by_role("button", name="Talk to a person").click()
    expect(customer.locator(".cw-status")).to_have_text("Waiting for a person")
    expect(customer.locator(".cw-msg--system").last).to_contain_text("person")

    agent = sign_in_console(new_context(), key=stack.key("agent", tenant=shop))
    expect(agent.locator("tr.queue-row", has_text="Asked for a person")).to_have_count(1)

    # While a person holds the conversation, the bot is not asked.
    calls_before = len(stack.fake.received)
    say(customer, "Are you there?")
    assert len(stack.fake.received) == calls_before


def test_the_button_works_before_the_first_message(stack: Stack, new_context: Any) -> None:
    shop = stack.new_tenant()
    customer = open_widget(new_context(), key=stack.key("chat", tenant=shop), customer_id="cust-button-first")
    calls_before = len(stack.fake.received)
    customer.get_by_role("button", name="Talk to a person").click()
    # The request opens the conversation in the customer's name, and is honoured at once.
    expect(customer.locator(".cw-msg--customer")).to_contain_text("talk to a person")
    expect(customer.locator(".cw-status")).to_have_text("Waiting for a person")
    assert len(stack.fake.received) == calls_before
