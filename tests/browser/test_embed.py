"""The widget embedded with one <script> tag in a page that is not Candor's own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import BOT_REPLY, Stack
from tests.browser.pages import expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_one_script_tag_embeds_a_working_widget(stack: Stack, new_context: Any) -> None:
    # The shop's own page, as its web server would send it; only the tag comes from Candor.
    shop = f"""<!doctype html><html lang="en"><head><title>Shop</title></head><body>
      <h1>Acme shop</h1>
      <script src="{stack.base_url}/demo/widget.js" data-key="{stack.key("chat")}"
              data-customer-id="cust-embedded" data-title="Acme help" defer></script>
    </body></html>"""
    page = new_context().new_page()
    page.route(
        f"{stack.base_url}/shop.html", lambda route: route.fulfill(body=shop, content_type="text/html")
    )
    page.goto("/shop.html")
    expect(page.get_by_role("heading", name="Acme help")).to_be_visible()
    page.get_by_label("Your message").fill("Hi, what can you do?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".cw-msg--ai")).to_contain_text(BOT_REPLY)
    expect(page.locator(".cw-msg--disclosure")).to_be_visible()
