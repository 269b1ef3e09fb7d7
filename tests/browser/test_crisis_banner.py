"""A crisis handoff raises a banner in every agent's console, with a way to take it now."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import Stack
from tests.browser.pages import expect, sign_in_console

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_crisis_handoff_raises_the_banner(stack: Stack, new_context: Any) -> None:
    shop = stack.new_tenant()  # a queue of its own
    agent = sign_in_console(new_context(), key=stack.key("agent", tenant=shop), name="Robin")
    banner = agent.locator(".crisis-banner")
    expect(banner).to_be_hidden()

    reply = httpx.post(
        f"{stack.base_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {stack.key('chat', tenant=shop)}"},
        json={"model": "m", "messages": [{"role": "user", "content": "I don't want to live anymore"}]},
        timeout=30,
    )
    assert reply.json()["candor"]["handoff"]["reason_code"] == "crisis"

    # It arrives over the live queue: no reload.
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_contain_text("Crisis handoff")
    banner.get_by_role("button", name="Claim the most urgent").click()
    expect(agent.get_by_role("heading", name="Conversation · Crisis")).to_be_visible()
    expect(banner).to_be_hidden()
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("tr.queue-row", has_text="Crisis")).to_have_count(0)
