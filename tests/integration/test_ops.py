"""Operations endpoints and the request id every response carries."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit

GENERATED_ID = re.compile(r"^req_[0-9a-f]{32}$")


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, whatever order its labels are in."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


@pytest.fixture
def client(app_client: tuple[Any, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_client[1]


async def chat_turn(client: httpx.AsyncClient, tenant: TenantKeys, **headers: str) -> httpx.Response:
    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(Role.CHAT, **headers),
        json={
            "model": "candor-demo",
            "messages": [{"role": "user", "content": "How long does shipping take?"}],
        },
    )
    assert response.status_code == 200, response.text
    return response


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_its_checks(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": "ok", "nlp": "ok"}}


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.delete("/v1/keys/some-secret-looking-id")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert sample(text, "candor_http_requests_total", method="GET", route="/healthz", status="200")
    # Labels carry the route template, never the raw path with ids in it.
    assert sample(
        text, "candor_http_requests_total", method="DELETE", route="/v1/keys/{key_id}", status="401"
    )
    assert "some-secret-looking-id" not in text


async def test_metrics_after_a_chat_turn(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    disclosed = {"guardrail": "disclosure", "action": "annotate", "mode": "enforce"}
    before = sample((await client.get("/metrics")).text, "candor_decisions_total", **disclosed) or 0

    await chat_turn(client, tenant)

    text = (await client.get("/metrics")).text
    assert (sample(text, "candor_decisions_total", **disclosed) or 0) >= before + 1
    assert sample(text, "candor_guardrail_seconds_count", guardrail="disclosure", stage="output")
    assert sample(text, "candor_guardrail_seconds_bucket", guardrail="disclosure", stage="output", le="+Inf")
    assert sample(
        text, "candor_http_requests_total", method="POST", route="/v1/chat/completions", status="200"
    )


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        pytest.param("GET", "/healthz", None, id="healthz"),
        pytest.param("GET", "/metrics", None, id="metrics"),
        pytest.param("GET", "/v1/models", Role.CHAT, id="models"),
        pytest.param("GET", "/v1/models", None, id="unauthenticated-401"),
        pytest.param("GET", "/v1/policy", Role.CHAT, id="forbidden-403"),
        pytest.param("GET", "/no/such/route", None, id="not-found-404"),
        pytest.param("POST", "/v1/chat/completions", Role.CHAT, id="bad-request-400"),
    ],
)
async def test_every_response_has_a_request_id(
    client: httpx.AsyncClient, tenant: TenantKeys, method: str, path: str, role: Role | None
) -> None:
    headers = tenant.headers(role) if role else {}

    response = await client.request(method, path, headers=headers)

    assert GENERATED_ID.match(response.headers["x-request-id"])
    if response.status_code >= 400:
        assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}

    assert len(ids) == 3


@pytest.mark.parametrize(
    "supplied",
    [
        pytest.param("abc12345", id="shortest"),
        pytest.param("trace-2f9c.A_01", id="punctuation"),
        pytest.param("r" * 40, id="longest"),
    ],
)
async def test_a_valid_supplied_request_id_is_echoed(client: httpx.AsyncClient, supplied: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": supplied})

    assert response.headers["x-request-id"] == supplied


@pytest.mark.parametrize(
    "supplied",
    [
        pytest.param("short", id="too-short"),
        pytest.param("r" * 41, id="longer-than-the-audit-column"),
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("<script>alert(1)</script>", id="markup"),
        pytest.param("x" * 500, id="huge"),
    ],
)
async def test_an_invalid_supplied_request_id_is_replaced(client: httpx.AsyncClient, supplied: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": supplied})

    assert GENERATED_ID.match(response.headers["x-request-id"])


async def test_the_request_id_reaches_the_audit_trail(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    supplied = "r" * 40  # the longest accepted id must fit the audit column (PostgreSQL enforces it)

    await chat_turn(client, tenant, **{"X-Request-Id": supplied})
    await asyncio.wait_for(flush_audit(app), timeout=10)

    events = await client.get(
        "/v1/audit/events", headers=tenant.headers(Role.AUDITOR), params={"event_type": "guardrail.decision"}
    )
    request_ids = [event["request_id"] for event in events.json()["data"]]
    assert request_ids
    assert set(request_ids) == {supplied}
