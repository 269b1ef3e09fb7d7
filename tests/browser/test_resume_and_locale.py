"""A reload resumes the conversation; the widget's locale reaches Candor, which answers
with the disclosure in the customer's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import BOT_REPLY, Stack
from tests.browser.pages import expect, open_widget, say

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_reload_resumes_the_conversation(stack: Stack, new_context: Any) -> None:
    page = open_widget(new_context(), key=stack.key("chat"), customer_id="cust-reload")
    say(page, "Where is my parcel?")
    expect(page.locator(".cw-msg--ai")).to_contain_text(BOT_REPLY)
    page.reload()  # the key and the conversation id live in this tab's sessionStorage
    expect(page.locator(".cw-msg--customer")).to_have_text("YouWhere is my parcel?")
    expect(page.locator(".cw-msg--ai")).to_contain_text(BOT_REPLY)
    say(page, "And when will it arrive?")
    expect(page.locator(".cw-msg--ai")).to_have_count(2)


def german_shop(stack: Stack, new_context: Any, customer_id: str) -> Any:
    shop = f"""<!doctype html><html lang="de"><head><title>Laden</title></head><body>
      <script src="{stack.base_url}/demo/widget.js" data-key="{stack.key("chat")}"
              data-customer-id="{customer_id}" defer></script>
    </body></html>"""
    page = new_context().new_page()
    page.route(
        f"{stack.base_url}/laden.html", lambda route: route.fulfill(body=shop, content_type="text/html")
    )
    page.goto("/laden.html")
    expect(page.get_by_role("heading", name="Chatten Sie mit uns")).to_be_visible()
    return page


def test_the_widget_speaks_the_pages_language(stack: Stack, new_context: Any) -> None:
    page = german_shop(stack, new_context, "cust-de")
    page.get_by_label("Ihre Nachricht").fill("Hallo, wo ist meine Bestellung?")
    page.get_by_role("button", name="Senden").click()
    disclosure = page.locator(".cw-msg--disclosure")
    expect(disclosure).to_contain_text("KI-Hinweis")
    expect(disclosure).to_contain_text("Sie chatten mit einem KI-Assistenten")  # Candor's own wording
    # The AI reply itself does not repeat it: it was said in its own line.
    expect(page.locator(".cw-msg--ai")).not_to_contain_text("Sie chatten")
    expect(page.locator(".cw-msg--ai .cw-author")).to_have_text("KI-Assistent")


def test_talk_to_a_person_is_honoured_in_any_language(stack: Stack, new_context: Any) -> None:
    page = german_shop(stack, new_context, "cust-de-person")
    page.get_by_role("button", name="Mit einem Menschen sprechen").click()
    expect(page.locator(".cw-msg--customer")).to_contain_text("mit einem Menschen sprechen")
    # Whether or not the words were understood, the button's request is.
    expect(page.locator(".cw-status")).to_have_text("Warten auf einen Menschen")
