"""The pages and files of app/web: content types, caching and a strict CSP; no inline
script; nothing outside the static folders."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.web.router import STATIC_ROOT
from tests.conftest import TenantKeys, make_settings, running_app


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        pytest.param("/demo/", "text/html", id="demo-page"),
        pytest.param("/console/", "text/html", id="console-page"),
        pytest.param("/demo/widget.js", "text/javascript", id="widget-loader"),
        pytest.param("/demo/widget-app.js", "text/javascript", id="widget-module"),
        pytest.param("/demo/widget.css", "text/css", id="widget-css"),
        pytest.param("/console/console.js", "text/javascript", id="console-module"),
        pytest.param("/web/sse.js", "text/javascript", id="shared-sse"),
        pytest.param("/web/base.css", "text/css", id="shared-css"),
    ],
)
async def test_files_are_served_with_their_type_and_a_strict_policy(
    app_client: tuple[Any, httpx.AsyncClient], path: str, content_type: str
) -> None:
    _, client = app_client
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    again = await client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_bare_section_names_redirect_to_the_page(app_client: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = app_client
    response = await client.get("/console")
    assert response.status_code == 308 and response.headers["location"] == "/console/"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/demo/../../main.py", id="dot-dot"),
        pytest.param("/demo/%2e%2e/%2e%2e/main.py", id="encoded-dot-dot"),
        pytest.param("/web/..%2f..%2fsettings.py", id="encoded-slash"),
        pytest.param("/console/missing.js", id="missing"),
        pytest.param("/console/README", id="unknown-kind"),
    ],
)
async def test_nothing_outside_the_static_folders_is_served(
    app_client: tuple[Any, httpx.AsyncClient], path: str
) -> None:
    _, client = app_client
    response = await client.get(path)
    assert response.status_code == 404
    assert "error" in response.json()  # an API error body, never a file


def test_pages_have_no_inline_script_or_style_and_no_other_origin() -> None:
    pages = sorted(STATIC_ROOT.glob("*/*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{page.name}: inline script"
        assert "<style" not in html and " style=" not in html, f"{page.name}: inline style"
        assert not re.search(r"<[a-z][^>]*\s(src|href)=\"(https?:)?//", html), f"{page.name}: another origin"


def test_scripts_never_put_a_key_in_a_url() -> None:
    # EventSource cannot send headers: the scripts read SSE with fetch() instead.
    for script in STATIC_ROOT.glob("*/*.js"):
        text = script.read_text(encoding="utf-8")
        assert "EventSource" not in text or script.name == "sse.js", script.name
        assert not re.search(r"[?&](api_)?key=", text), script.name


async def test_the_api_answers_a_listed_origin_and_no_other(database_url: str, tenant: TenantKeys) -> None:
    # The widget embedded on a tenant's own site calls the API cross-origin.
    settings = make_settings(database_url, cors_origins="https://shop.example")
    async with running_app(settings) as (_, client):
        preflight = await client.options(
            "/v1/chat/completions",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-conversation-id",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
        turn = await client.post(
            "/v1/chat/completions",
            json={"model": "candor-demo", "messages": [{"role": "user", "content": "opening hours?"}]},
            headers={**tenant.headers(), "Origin": "https://shop.example"},
        )
        assert turn.headers["access-control-allow-origin"] == "https://shop.example"
        assert "x-conversation-id" in turn.headers["access-control-expose-headers"].lower()
        stranger = await client.options(
            "/v1/chat/completions",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in stranger.headers


async def test_without_listed_origins_the_api_sends_no_cors_headers(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    turn = await client.post(
        "/v1/chat/completions",
        json={"model": "candor-demo", "messages": [{"role": "user", "content": "opening hours?"}]},
        headers={**tenant.headers(), "Origin": "https://shop.example"},
    )
    assert turn.status_code == 200
    assert "access-control-allow-origin" not in turn.headers
