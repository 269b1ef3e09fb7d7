"""Browser tests: Debian's Chromium driven by Python Playwright against a real
``candor serve`` process, whose backend is the fake OpenAI server (so that tests can count
what reached the model).

When Chromium or Playwright is missing, every test here is skipped with the reason;
``make test`` installs Chromium first where it can (``scripts/ensure-chromium``).
Playwright's own browser downloads are never used: nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import TenantKeys, fresh_database, new_tenant
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai
from tests.support.server import RunningServer, candor_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM = os.environ.get("CANDOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BOT_REPLY = "Thanks for your message. I can help with orders, deliveries and returns. What do you need?"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "Python Playwright is not installed (it is in requirements/dev.lock: run make install)"
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set CANDOR_CHROMIUM)"
    return None


@pytest.fixture(scope="package", autouse=True)
def _needs_browser() -> None:
    """Runs before the package's other fixtures: no server is started for nothing."""
    reason = missing_browser()
    if reason and os.environ.get("CANDOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CANDOR_REQUIRE_BROWSER=1 but {reason}")
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")


@dataclass
class Stack:
    """The running pieces a browser test talks to."""

    server: RunningServer
    fake: FakeOpenAI
    database_url: str
    tenant: TenantKeys
    other: TenantKeys  # a second tenant, to check nothing of one shows to the other
    extra: list[TenantKeys] = field(default_factory=list)

    def new_tenant(self) -> TenantKeys:
        """A tenant of the test's own, for a trail or queue no other test writes to."""
        # Playwright's sync API keeps an event loop running in this thread: use another.
        with ThreadPoolExecutor(max_workers=1) as pool:
            tenant = pool.submit(asyncio.run, new_tenant(self.database_url)).result()
        self.extra.append(tenant)
        return tenant

    def all_keys(self) -> list[str]:
        return [key for tenant in (self.tenant, self.other, *self.extra) for key in tenant.keys.values()]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def key(self, role: str, *, tenant: TenantKeys | None = None) -> str:
        from app.tenants.keys import Role

        return (tenant or self.tenant).keys[Role(role)]


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("browser")
    fake = FakeOpenAI(default=Behaviour(reply=BOT_REPLY))
    with (
        serve_fake_openai(fake) as backend,
        fresh_database(workdir) as url,
        candor_server(url, workdir, CANDOR_BACKEND_URL=backend.url, CANDOR_BACKEND_KIND="openai") as server,
    ):
        tenant = asyncio.run(new_tenant(url))
        other = asyncio.run(new_tenant(url))
        yield Stack(server=server, fake=backend, database_url=url, tenant=tenant, other=other)


@pytest.fixture(scope="package")
def browser(stack: Stack) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Browser, stack: Stack) -> Iterator[Any]:
    """Opens fresh browser contexts (separate storage, like separate people) and checks,
    when the test ends, that no API key ever appeared in a URL and that no page had a
    script error or a Content-Security-Policy violation."""
    contexts: list[BrowserContext] = []
    urls: list[str] = []
    problems: list[str] = []

    def watch(page: Any) -> None:
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}")
                # A refused request (a bad key, a 409) is the page's business, not a bug.
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=stack.base_url, **options)
        context.set_default_timeout(15_000)
        context.on("request", lambda request: urls.append(request.url))
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    keys = stack.all_keys()
    leaked = [url for url in urls if any(key in url or key.split("_", 2)[2] in url for key in keys)]
    assert not leaked, "an API key appeared in a URL"
    assert not problems, problems


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
