"""Bad input gets a clear OpenAI-style error with a request id, and nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.conversations.models import Conversation, Message
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app

GOOD = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    error = body["error"]
    assert error["message"] and error["type"] and error["code"]
    if code:
        assert error["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return error


async def count_rows(app: Any, tenant_id: str) -> tuple[int, int]:
    await flush_audit(app)
    async with app.state.candor.sessionmaker() as session:
        conversations = await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.tenant_id == tenant_id)
        )
        messages = await session.scalar(
            select(func.count()).select_from(Message).where(Message.tenant_id == tenant_id)
        )
    return int(conversations or 0), int(messages or 0)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        pytest.param({}, 401, "invalid_api_key", id="no-key"),
        pytest.param({"Authorization": "Bearer nope"}, 401, "invalid_api_key", id="garbage-key"),
        pytest.param({"Authorization": "Basic abc"}, 401, "invalid_api_key", id="wrong-scheme"),
        pytest.param(
            {"Authorization": "Bearer cnd_0000000000000000_forged"},
            401,
            "invalid_api_key",
            id="unknown-key-id",
        ),
    ],
)
async def test_missing_or_invalid_key_is_401(
    app_client: tuple[Any, httpx.AsyncClient], headers: dict[str, str], status: int, code: str
) -> None:
    _, client = app_client
    response = await client.post("/v1/chat/completions", json=GOOD, headers=headers)
    assert_error(response, status, code)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_tampered_secret_half_is_401(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    key = tenant.keys[Role.CHAT]
    response = await client.post(
        "/v1/chat/completions", json=GOOD, headers={"Authorization": f"Bearer {key[:-2]}xx"}
    )
    assert_error(response, 401)


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.ADMIN])
async def test_wrong_role_is_403(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, role: Role
) -> None:
    _, client = app_client
    response = await client.post("/v1/chat/completions", json=GOOD, headers=tenant.headers(role))
    assert_error(response, 403, "permission_denied")


async def test_another_tenants_conversation_is_404_and_untouched(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, database_url: str
) -> None:
    app, client = app_client
    owner = await new_tenant(database_url)
    created = await client.post("/v1/chat/completions", json=GOOD, headers=owner.headers())
    conversation_id = created.headers["x-conversation-id"]
    before = await count_rows(app, owner.id)
    response = await client.post(
        "/v1/chat/completions", json=GOOD, headers=tenant.headers(**{"X-Conversation-Id": conversation_id})
    )
    assert_error(response, 404, "not_found")
    assert await count_rows(app, owner.id) == before
    assert await count_rows(app, tenant.id) == (0, 0)


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        pytest.param(b"{not json", "invalid_json", "JSON", id="malformed-json"),
        pytest.param(b"\xff\xfe\x00", "invalid_json", "JSON", id="not-utf8"),
        pytest.param(b"[1, 2]", "invalid_json", "object", id="json-array"),
        pytest.param(b"", "invalid_json", "JSON", id="empty-body"),
        pytest.param(json.dumps({"model": "m"}).encode(), "invalid_request", "messages", id="no-messages"),
        pytest.param(
            json.dumps({"messages": []}).encode(), "invalid_request", "messages", id="empty-messages"
        ),
        pytest.param(
            json.dumps({"messages": [{"role": "wizard", "content": "hi"}]}).encode(),
            "invalid_request",
            "role",
            id="unknown-role",
        ),
        pytest.param(
            json.dumps({"messages": [{"role": "user", "content": "   "}]}).encode(),
            "invalid_request",
            "content",
            id="blank-content",
        ),
        pytest.param(
            json.dumps({"messages": [{"role": "user"}]}).encode(),
            "invalid_request",
            "content",
            id="no-content",
        ),
        pytest.param(
            json.dumps(
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
            ).encode(),
            "invalid_request",
            "last message",
            id="ends-with-assistant",
        ),
        pytest.param(
            json.dumps({"messages": [{"role": "user", "content": 42}]}).encode(),
            "invalid_request",
            "content",
            id="content-not-text",
        ),
        pytest.param(
            json.dumps(
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}
            ).encode(),
            "invalid_request",
            "content",
            id="image-part",
        ),
        pytest.param(
            json.dumps({"messages": [{"role": "user", "content": "hi"}], "stream": "yes please"}).encode(),
            "invalid_request",
            "stream",
            id="stream-not-bool",
        ),
    ],
)
async def test_malformed_requests_are_400_and_store_nothing(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, body: bytes, code: str, fragment: str
) -> None:
    app, client = app_client
    response = await client.post(
        "/v1/chat/completions", content=body, headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    error = assert_error(response, 400, code)
    assert fragment.lower() in error["message"].lower()
    assert await count_rows(app, tenant.id) == (0, 0)


async def test_error_never_echoes_the_customer_text(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    secret = "jane.doe@example.org"
    body = {"messages": [{"role": "user", "content": secret}, {"role": "assistant", "content": secret}]}
    response = await client.post("/v1/chat/completions", json=body, headers=tenant.headers())
    assert_error(response, 400)
    assert secret not in response.text


async def test_invalid_conversation_id_is_400(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    response = await client.post(
        "/v1/chat/completions", json=GOOD, headers=tenant.headers(**{"X-Conversation-Id": "../../etc/passwd"})
    )
    assert_error(response, 400)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_body_over_the_limit_is_413(database_url: str, tenant: TenantKeys, declared: bool) -> None:
    settings = make_settings(database_url, max_body_bytes=2048)
    payload = json.dumps({"messages": [{"role": "user", "content": "x" * 5000}]}).encode()
    async with running_app(settings) as (app, client):
        if declared:
            response = await client.post("/v1/chat/completions", content=payload, headers=tenant.headers())
        else:

            async def chunks() -> Any:
                for start in range(0, len(payload), 1000):
                    yield payload[start : start + 1000]

            response = await client.post("/v1/chat/completions", content=chunks(), headers=tenant.headers())
        assert_error(response, 413, "request_too_large")
        assert await count_rows(app, tenant.id) == (0, 0)


async def test_too_many_messages_is_400(database_url: str, tenant: TenantKeys) -> None:
    settings = make_settings(database_url, max_messages=3)
    messages = [{"role": "user", "content": f"m{i}"} for i in range(5)]
    async with running_app(settings) as (_, client):
        response = await client.post(
            "/v1/chat/completions", json={"messages": messages}, headers=tenant.headers()
        )
    assert_error(response, 400)


async def test_unknown_route_is_a_json_404(app_client: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = app_client
    response = await client.get("/v1/nothing-here")
    assert_error(response, 404)
