"""What a person does on Candor's pages, as small steps the tests share."""

from __future__ import annotations

from typing import Any

import pytest

# Without Playwright every browser test module is skipped, with this reason.
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests skipped: Python Playwright is not installed (make install)"
).expect


def open_widget(context: Any, *, key: str, customer_id: str | None = None) -> Any:
    page = context.new_page()
    page.goto("/demo/")
    page.get_by_label("Chat key").fill(key)
    if customer_id:
        page.get_by_label("Customer id").fill(customer_id)
    page.get_by_role("button", name="Start chatting").click()
    expect(page.get_by_label("Your message")).to_be_visible()
    return page


def say(page: Any, text: str) -> None:
    """Types a message and sends it with Enter, then waits until the widget is ready again."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".cw-msg--customer").last).to_have_text(f"You{text}")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def sign_in_console(context: Any, *, key: str, name: str = "") -> Any:
    page = context.new_page()
    page.goto("/console/")
    page.get_by_label("API key").fill(key)
    if name:
        page.get_by_label("Your name for customers").fill(name)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page
