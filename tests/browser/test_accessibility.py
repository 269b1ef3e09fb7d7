"""Accessibility and safety checks a person would notice: every control has a label, the
keyboard reaches the send button in order, a phone-width screen needs no sideways scroll,
and signing out of the console forgets the key and everything shown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Stack, screenshot
from tests.browser.pages import expect, open_widget, say, sign_in_console

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select, button')]
  .filter(el => !el.closest('[hidden]'))
  .filter(el => el.tagName === 'BUTTON'
    ? !(el.textContent.trim() || el.getAttribute('aria-label'))
    : !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.id || el.name || el.outerHTML.slice(0, 60))"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Every visible element with its own text: its colour against the first opaque background
# behind it, as WCAG 2 computes contrast. Answers the ones under 4.5:1 (AA, normal text).
LOW_CONTRAST = """() => {
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('[hidden]')) continue;
    const style = getComputedStyle(el);
    if (el.disabled || style.visibility === 'hidden') continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def test_widget_controls_are_labelled_and_reachable_by_keyboard(stack: Stack, new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/demo/")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Chat key").focus()
    page.keyboard.type(stack.key("chat"))
    page.keyboard.press("Enter")  # submits the form: no mouse needed
    message = page.get_by_label("Your message")
    expect(message).to_be_focused()
    assert page.evaluate(UNLABELLED) == []
    page.keyboard.type("Hello there")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Talk to a person")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("switch", name="Opt out of AI")).to_be_focused()
    # New messages are announced to screen readers.
    assert page.get_by_role("log", name="Conversation").get_attribute("aria-live") == "polite"


def test_phone_width_needs_no_sideways_scrolling(stack: Stack, new_context: Any) -> None:
    context = new_context(viewport={"width": 360, "height": 740})
    widget = open_widget(context, key=stack.key("chat"), customer_id="cust-phone")
    say(widget, "A long question about the parcel that was meant to arrive on Tuesday but did not")
    assert widget.evaluate(SIDEWAYS) <= 0
    screenshot(widget, "widget-phone")
    assert widget.evaluate(LOW_CONTRAST) == []
    agent = sign_in_console(context, key=stack.key("agent"))
    expect(agent.get_by_role("heading", name="Queue")).to_be_visible()
    assert agent.evaluate(SIDEWAYS) <= 0
    assert agent.evaluate(UNLABELLED) == []
    assert agent.evaluate(LOW_CONTRAST) == []


def test_sign_out_forgets_the_key_and_what_was_shown(stack: Stack, new_context: Any) -> None:
    context = new_context()
    page = sign_in_console(context, key=stack.key("agent"), name="Sam")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 1
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.evaluate("() => document.getElementById('agent-view').childElementCount") == 0
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # Another tenant's agent sees none of this tenant's queue.
    other = sign_in_console(context, key=stack.key("agent", tenant=stack.other))
    expect(other.locator(".counts")).to_have_text("0 waiting · 0 with an agent")


def test_a_bad_key_is_refused_with_a_clear_message(stack: Stack, new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/console/")
    page.get_by_label("API key").fill("cnd_0000000000000000_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That key is not valid.")
    page.get_by_label("API key").fill(stack.key("chat"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("neither an agent's nor an auditor's")
