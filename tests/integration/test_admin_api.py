"""The admin API through the app: API keys and versioned policies, every change audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.tenants.keys import Role
from guardrails.policy import DEFAULT_POLICY_PATH, parse_policy
from tests.conftest import TenantKeys, flush_audit, new_tenant

POLICY_V1 = """\
output:
  - guardrail: disclosure
    params:
      text: "Hi, I'm an automated assistant. Ask for a person any time."
"""
POLICY_V2 = """\
on_guardrail_error: handoff
output:
  - guardrail: disclosure
    params:
      every_turn: true
"""


@pytest.fixture
def client(app_client: tuple[Any, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_client[1]


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"message", "type", "code"} <= set(body["error"])
    assert body["request_id"] == response.headers["x-request-id"]
    if code is not None:
        assert body["error"]["code"] == code
    return body


async def create_key(client: httpx.AsyncClient, tenant: TenantKeys, role: str) -> httpx.Response:
    return await client.post(
        "/v1/keys", headers=tenant.headers(Role.ADMIN), json={"role": role, "name": "test"}
    )


@pytest.mark.parametrize("role", [role.value for role in Role])
async def test_admin_creates_a_working_key_of_each_role(
    client: httpx.AsyncClient, tenant: TenantKeys, role: str
) -> None:
    response = await create_key(client, tenant, role)

    assert response.status_code == 201
    body = response.json()
    assert body["role"] == role
    assert body["tenant"] == tenant.name
    assert body["key"].startswith(f"cnd_{body['id']}_")
    models = await client.get("/v1/models", headers={"Authorization": f"Bearer {body['key']}"})
    assert models.status_code == 200


async def test_a_created_key_has_exactly_its_role(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    key = (await create_key(client, tenant, "auditor")).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}

    assert (await client.get("/v1/audit/events", headers=headers)).status_code == 200
    assert_error(await client.get("/v1/policy", headers=headers), 403, "permission_denied")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"role": "superuser"}, id="unknown-role"),
        pytest.param({"role": "ADMIN"}, id="wrong-case"),
        pytest.param({}, id="missing-role"),
        pytest.param({"role": "chat", "name": "x" * 101}, id="name-too-long"),
    ],
)
async def test_invalid_key_requests_are_400(
    client: httpx.AsyncClient, tenant: TenantKeys, body: dict
) -> None:
    response = await client.post("/v1/keys", headers=tenant.headers(Role.ADMIN), json=body)

    assert_error(response, 400)


@pytest.mark.parametrize("role", [Role.CHAT, Role.AGENT, Role.AUDITOR])
async def test_only_admins_manage_keys_and_policy(
    client: httpx.AsyncClient, tenant: TenantKeys, role: Role
) -> None:
    headers = tenant.headers(role)

    assert_error(
        await client.post("/v1/keys", headers=headers, json={"role": "admin"}), 403, "permission_denied"
    )
    assert_error(await client.delete("/v1/keys/whatever", headers=headers), 403, "permission_denied")
    assert_error(await client.get("/v1/policy", headers=headers), 403, "permission_denied")
    assert_error(await client.put("/v1/policy", headers=headers, content=POLICY_V1), 403, "permission_denied")


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/keys", json={"role": "admin"})

    assert_error(response, 401, "invalid_api_key")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_key_stops_working(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    minted = (await create_key(client, tenant, "chat")).json()
    headers = {"Authorization": f"Bearer {minted['key']}"}
    assert (await client.get("/v1/models", headers=headers)).status_code == 200

    response = await client.delete(f"/v1/keys/{minted['id']}", headers=tenant.headers(Role.ADMIN))

    assert response.status_code == 204
    assert_error(await client.get("/v1/models", headers=headers), 401, "invalid_api_key")
    # Revoking twice is reported like a key that does not exist.
    again = await client.delete(f"/v1/keys/{minted['id']}", headers=tenant.headers(Role.ADMIN))
    assert_error(again, 404, "not_found")


async def test_another_tenants_key_cannot_be_revoked(
    client: httpx.AsyncClient, tenant: TenantKeys, database_url: str
) -> None:
    other = await new_tenant(database_url)
    victim = (await create_key(client, other, "chat")).json()

    response = await client.delete(f"/v1/keys/{victim['id']}", headers=tenant.headers(Role.ADMIN))

    assert_error(response, 404, "not_found")
    still = await client.get("/v1/models", headers={"Authorization": f"Bearer {victim['key']}"})
    assert still.status_code == 200


async def test_unknown_key_id_is_404(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.delete("/v1/keys/0123456789abcdef", headers=tenant.headers(Role.ADMIN))

    assert_error(response, 404, "not_found")


async def test_a_new_tenant_has_the_default_policy_as_version_0(
    client: httpx.AsyncClient, tenant: TenantKeys
) -> None:
    response = await client.get("/v1/policy", headers=tenant.headers(Role.ADMIN))

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 0
    assert body["document"] == DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    shipped = parse_policy(body["document"])
    for stage in ("input", "output"):
        expected = [rail.guardrail for rail in getattr(shipped, stage)]
        assert [rail["guardrail"] for rail in body["policy"][stage]] == expected


async def test_each_put_stores_a_new_version(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    admin = tenant.headers(Role.ADMIN, **{"Content-Type": "application/yaml"})

    first = await client.put("/v1/policy", headers=admin, content=POLICY_V1)
    second = await client.put("/v1/policy", headers=admin, content=POLICY_V2)

    assert (first.status_code, first.json()) == (200, {"version": 1})
    assert (second.status_code, second.json()) == (200, {"version": 2})
    current = (await client.get("/v1/policy", headers=admin)).json()
    assert current["version"] == 2
    assert current["document"] == POLICY_V2
    assert current["policy"]["on_guardrail_error"] == "handoff"


async def test_a_policy_as_json_document(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.put(
        "/v1/policy", headers=tenant.headers(Role.ADMIN), json={"document": POLICY_V1}
    )

    assert (response.status_code, response.json()) == (200, {"version": 1})
    current = (await client.get("/v1/policy", headers=tenant.headers(Role.ADMIN))).json()
    assert current["document"] == POLICY_V1


@pytest.mark.parametrize(
    ("kwargs", "code", "expected"),
    [
        pytest.param(
            {"content": "output:\n  - guardrail: nope\n"}, "invalid_policy", "nope", id="unknown-guardrail"
        ),
        pytest.param(
            {"content": "output:\n  - guardrail: disclosure\n    params: {text: short}\n"},
            "invalid_policy",
            "params.text",
            id="bad-params",
        ),
        pytest.param({"content": "output: [\n"}, "invalid_policy", "YAML", id="invalid-yaml"),
        pytest.param({"content": "- a\n- b\n"}, "invalid_policy", "mapping", id="not-a-mapping"),
        pytest.param(
            {"json": {"policy": "input: []"}}, "invalid_policy", "document", id="json-without-document"
        ),
        pytest.param(
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            "invalid_json",
            "JSON",
            id="broken-json",
        ),
        pytest.param({"content": b"output: \xff\xfe\n"}, "invalid_policy", "UTF-8", id="not-utf8"),
        pytest.param({"content": "#" * (64 * 1024 + 1)}, "request_too_large", "bytes", id="too-large"),
    ],
)
async def test_an_invalid_policy_is_refused_and_not_stored(
    client: httpx.AsyncClient, tenant: TenantKeys, kwargs: dict[str, Any], code: str, expected: str
) -> None:
    admin = tenant.headers(Role.ADMIN)
    assert (await client.put("/v1/policy", headers=admin, content=POLICY_V1)).json() == {"version": 1}
    headers = {**admin, **kwargs.pop("headers", {})}

    response = await client.put("/v1/policy", headers=headers, **kwargs)

    body = assert_error(response, 400, code)
    assert expected in body["error"]["message"]
    current = (await client.get("/v1/policy", headers=admin)).json()
    assert current["version"] == 1
    assert current["document"] == POLICY_V1


async def test_policy_changes_apply_to_the_next_turn(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    await client.put("/v1/policy", headers=tenant.headers(Role.ADMIN), content=POLICY_V1)

    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(Role.CHAT),
        json={
            "model": "candor-demo",
            "messages": [{"role": "user", "content": "What are your opening hours?"}],
        },
    )

    assert response.status_code == 200
    assert (
        response.json()["candor"]["disclosure"]
        == "Hi, I'm an automated assistant. Ask for a person any time."
    )


async def audit_events(client: httpx.AsyncClient, tenant: TenantKeys, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit/events", headers=tenant.headers(Role.AUDITOR), params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_admin_changes_are_audited_per_tenant(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, database_url: str
) -> None:
    app, client = app_client
    other = await new_tenant(database_url)
    admin = tenant.headers(Role.ADMIN)
    minted = (await create_key(client, tenant, "agent")).json()
    await client.delete(f"/v1/keys/{minted['id']}", headers=admin)
    await client.put("/v1/policy", headers=admin, content=POLICY_V1)
    await client.put("/v1/policy", headers=other.headers(Role.ADMIN), content=POLICY_V2)
    await create_key(client, other, "chat")

    await flush_audit(app)
    events = await audit_events(client, tenant)

    assert [event["event_type"] for event in events] == ["key.created", "key.revoked", "policy.changed"]
    created, revoked, changed = events
    admin_actor = f"key:{tenant.keys[Role.ADMIN].split('_')[1]}"
    assert created["details"] == {"key_id": minted["id"], "role": "agent"}
    assert revoked["details"] == {"key_id": minted["id"]}
    assert changed["policy_version"] == 1
    assert {event["actor"] for event in events} == {admin_actor}
    assert minted["key"] not in str(events)
    assert [event["event_type"] for event in await audit_events(client, other)] == [
        "policy.changed",
        "key.created",
    ]
    only_changes = await audit_events(client, tenant, event_type="policy.changed")
    assert [event["id"] for event in only_changes] == [changed["id"]]


@pytest.mark.parametrize("role", list(Role))
async def test_any_key_can_ask_who_it_is(client: httpx.AsyncClient, tenant: TenantKeys, role: Role) -> None:
    response = await client.get("/v1/me", headers=tenant.headers(role))
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == role.value
    assert body["tenant"] == {"id": tenant.id, "name": tenant.name}
    assert tenant.keys[role].startswith(f"cnd_{body['key_id']}_")
    assert (await client.get("/v1/me")).status_code == 401
