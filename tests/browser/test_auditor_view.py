"""Scenario 3: an auditor signs in to /console/, runs verify, reads the summary and
fairness reports (tables and charts) and pages through the audit events."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Stack, screenshot
from tests.browser.pages import expect, sign_in_console
from tests.conftest import TenantKeys

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def chat_turns(stack: Stack, tenant: TenantKeys, count: int) -> None:
    """Real turns on two channels (one with an e-mail address to redact, one frustrated
    customer), so the trail has more than one page of events and the reports have rows."""
    texts = [
        "My e-mail is sam.lee@example.org, where is my parcel?",
        "third time asking!!! still nothing, fed up",
    ]
    for index in range(count):
        text = texts[index] if index < len(texts) else f"Question {index}: where is order #{1000 + index}?"
        reply = httpx.post(
            f"{stack.base_url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {stack.key('chat', tenant=tenant)}"},
            json={
                "model": "m",
                "messages": [{"role": "user", "content": text}],
                "metadata": {"channel": "web" if index % 2 else "email", "locale": "en"},
            },
            timeout=30,
        )
        assert reply.status_code == 200


def events_total(stack: Stack, tenant: TenantKeys) -> int:
    page = httpx.get(
        f"{stack.base_url}/v1/audit/events",
        headers={"Authorization": f"Bearer {stack.key('auditor', tenant=tenant)}"},
        params={"limit": 1000},
        timeout=10,
    )
    return len(page.json()["data"])


def test_auditor_verifies_the_trail_and_reads_the_reports(stack: Stack, new_context: Any) -> None:
    tenant = stack.new_tenant()  # a trail of its own: the counts below are exact
    chat_turns(stack, tenant, 8)
    deadline = time.monotonic() + 10  # the audit writer batches: wait for the page to fill
    while events_total(stack, tenant) <= 50 and time.monotonic() < deadline:
        time.sleep(0.1)

    auditor = sign_in_console(new_context(), key=stack.key("auditor", tenant=tenant))
    expect(auditor.get_by_role("heading", name="Audit events")).to_be_visible()
    # An auditor key sees no queue: the API refuses it, and the console does not offer it.
    expect(auditor.get_by_role("heading", name="Queue")).to_have_count(0)

    auditor.get_by_role("button", name="Verify the trail").click()
    result = auditor.locator(".verify-result")
    expect(result).to_contain_text("Verified")
    expect(result).to_have_class("verify-result ok")

    summary = auditor.locator(".summary-table")
    expect(summary.locator("tbody tr").first).to_be_visible()
    expect(auditor.get_by_role("img", name="Turns per day")).to_be_visible()
    expect(summary).to_contain_text("frustration")
    expect(summary).to_contain_text("EMAIL")
    fairness = auditor.locator(".fairness-table")
    expect(fairness).to_contain_text("email")
    expect(fairness).to_contain_text("web")
    auditor.get_by_label("Segment", exact=True).select_option("locale")
    expect(fairness.locator("thead")).to_contain_text("locale")
    expect(auditor.locator(".fairness-table")).to_contain_text("en")
    expect(auditor.locator("svg.chart").nth(2)).to_be_visible()

    # The events page through with the keyset cursor, and filter.
    events = auditor.locator(".events-table tbody tr")
    expect(events).to_have_count(50)
    expect(auditor.locator(".page-info")).to_contain_text("Page 1")
    auditor.get_by_role("button", name="Next page").click()
    expect(auditor.locator(".page-info")).to_contain_text("Page 2")
    auditor.get_by_role("button", name="Previous page").click()
    expect(auditor.locator(".page-info")).to_contain_text("Page 1")
    auditor.get_by_label("Event type").fill("backend.call")
    auditor.get_by_role("button", name="Search").click()
    expect(auditor.locator(".events-table tbody tr").first).to_contain_text("backend.call")
    types = auditor.locator(".events-table tbody tr td:nth-child(2)").all_inner_texts()
    assert types and set(types) == {"backend.call"}
    screenshot(auditor, "console-auditor")
