"""Scenario 1: a customer chats in /demo/, sees the disclosure, gets frustrated and is
handed to a person; an agent in another browser context claims it in /console/ and
replies; the customer sees the reply live; the agent hands back; the bot answers again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import BOT_REPLY, Stack, screenshot
from tests.browser.pages import expect, open_widget, say, sign_in_console

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FRUSTRATED = "This is the third time I'm contacting you!!! still nothing, fed up"
EMAIL = "jane.doe@example.com"


def test_frustrated_customer_is_handed_to_an_agent_and_back(stack: Stack, new_context: Any) -> None:
    shop = stack.new_tenant()  # a queue of its own
    customer = open_widget(new_context(), key=stack.key("chat", tenant=shop), customer_id="cust-browser-1")

    # The first AI reply comes after the AI disclosure, each in its own labelled line.
    say(customer, f"Hello, where is my order? You can reach me at {EMAIL}")
    log = customer.get_by_role("log", name="Conversation")
    disclosure = log.locator(".cw-msg--disclosure")
    expect(disclosure).to_contain_text("AI disclosure")
    expect(disclosure).to_contain_text(re.compile(r"\bAI\b"))
    expect(log.locator(".cw-msg--ai")).to_have_count(1)
    expect(log.locator(".cw-msg--ai")).to_contain_text(BOT_REPLY)
    expect(log.locator(".cw-msg--ai .cw-author")).to_have_text("AI assistant")
    authors = log.locator("li").evaluate_all("items => items.map(item => item.dataset.author)")
    assert authors == ["customer", "disclosure", "ai"]
    # The model saw a placeholder, never the e-mail address.
    assert EMAIL not in str(stack.fake.received[-1]["messages"])
    screenshot(customer, "widget")

    calls_before = len(stack.fake.received)
    say(customer, FRUSTRATED)
    expect(log.locator(".cw-msg--system").last).to_contain_text("person")
    expect(customer.locator(".cw-status")).to_have_text("Waiting for a person")
    assert len(stack.fake.received) == calls_before  # escalated: the bot was not asked

    # An agent, in a browser of their own, sees it in the live queue and claims it.
    agent = sign_in_console(new_context(), key=stack.key("agent", tenant=shop), name="Dana")
    row = agent.locator("tr.queue-row", has_text="Frustrated customer")
    expect(row).to_have_count(1)
    waiting = row.locator("td.waiting")
    first = waiting.inner_text()
    expect(waiting).not_to_have_text(first, timeout=5000)  # the waiting time ticks
    screenshot(agent, "console-queue")
    row.get_by_role("button", name=re.compile("^Claim")).click()

    transcript = agent.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text(FRUSTRATED)
    expect(transcript).to_contain_text(EMAIL)  # restored for the agent (the reveal is audited)
    agent.get_by_label("Reply to the customer").fill(
        "Hi, I'm Dana. I'm sorry it took three tries: let me sort this out now."
    )
    agent.get_by_role("button", name="Send").click()
    expect(transcript.locator(".msg--agent")).to_contain_text("let me sort this out now")
    agent.get_by_label("Reply to the customer").fill("Customer contacted three times about the order.")
    agent.get_by_label("Private note (only agents see it)").check()
    agent.get_by_role("button", name="Send").click()
    expect(transcript.locator(".msg--private")).to_contain_text("three times about the order")
    screenshot(agent, "console-transcript")

    # The customer sees the reply live, labelled as a person, and never the private note.
    reply = log.locator(".cw-msg--agent")
    expect(reply).to_contain_text("let me sort this out now")
    expect(reply.locator(".cw-author")).to_have_text("Dana (human agent)")
    expect(customer.locator(".cw-status")).to_have_text("With a person")
    expect(log).not_to_contain_text("three times about the order")
    screenshot(customer, "widget-handoff")

    # The agent hands back; the widget is with the bot again and the bot answers.
    agent.get_by_role("button", name="Hand back to bot").click()
    expect(customer.locator(".cw-status")).to_have_text("AI assistant")
    expect(agent.locator("tr.queue-row", has_text="Frustrated customer")).to_have_count(0)
    calls_before = len(stack.fake.received)
    say(customer, "Thanks. Can you also tell me about returns?")
    expect(log.locator(".cw-msg--ai")).to_have_count(2)
    expect(log.locator(".cw-msg--ai").last).to_contain_text(BOT_REPLY)
    assert len(stack.fake.received) == calls_before + 1

    # The explanation says, in plain words, what was decided and why, with no personal data.
    customer.get_by_role("button", name="Why did this happen?").click()
    explanation = customer.get_by_role("region", name="Explanation of this conversation")
    expect(explanation.locator("li").first).to_be_visible()
    assert explanation.locator("li").count() >= 3
    expect(explanation).not_to_contain_text(EMAIL)
    screenshot(customer, "widget-explanation")
    expect(customer.get_by_role("button", name="Why did this happen?")).to_have_attribute(
        "aria-expanded", "true"
    )
