"""The console's other actions: release back to the queue, transfer to a named agent,
who claims and resolves it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import Stack
from tests.browser.pages import expect, sign_in_console

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_release_transfer_and_resolve(stack: Stack, new_context: Any) -> None:
    shop = stack.new_tenant()
    minted = httpx.post(
        f"{stack.base_url}/v1/keys",
        headers={"Authorization": f"Bearer {stack.key('admin', tenant=shop)}"},
        json={"role": "agent", "name": "second agent"},
        timeout=10,
    )
    assert minted.status_code == 201
    second_key, second_id = minted.json()["key"], minted.json()["id"]
    asked = httpx.post(
        f"{stack.base_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {stack.key('chat', tenant=shop)}"},
        json={"model": "m", "messages": [{"role": "user", "content": "Can I speak to a human please"}]},
        timeout=30,
    )
    assert asked.json()["candor"]["mode"] == "queued"

    first = sign_in_console(new_context(), key=stack.key("agent", tenant=shop), name="Ali")
    row = first.locator("tr.queue-row", has_text="Asked for a person")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("with you")
    first.get_by_role("button", name="Release").click()
    expect(row).to_contain_text("waiting")
    expect(first.get_by_role("button", name="Claim").first).to_be_visible()

    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("with you")
    first.get_by_label("Note for the next agent or the bot").fill("Wants to change the delivery address.")
    first.get_by_label("Transfer to agent key id").fill(second_id)
    first.get_by_role("button", name="Transfer").click()
    expect(row).to_contain_text("transferred to another agent")

    second = sign_in_console(new_context(), key=second_key, name="Bea")
    theirs = second.locator("tr.queue-row", has_text="Asked for a person")
    expect(theirs).to_contain_text("transferred to you")
    theirs.get_by_role("button", name="Claim").click()
    transcript = second.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text("Can I speak to a human please")
    expect(transcript).to_contain_text("Wants to change the delivery address.")
    second.get_by_role("button", name="Resolve").click()
    expect(theirs).to_have_count(0)
    expect(first.locator("tr.queue-row")).to_have_count(0)  # the first console hears it live
