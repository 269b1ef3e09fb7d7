"""Outbound webhooks, through the real app to a real receiver on 127.0.0.1: a handoff's
life is sent signed, with ids and states only; failures are retried with backoff and
every attempt is recorded; endpoints belong to their tenant."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import insert, select

from app.crypto import Keys
from app.db import WriteGate, create_engine, create_sessionmaker, new_id, utcnow
from app.settings import Settings
from app.tenants.keys import Role
from app.webhooks import endpoints
from app.webhooks.dispatcher import Retry, WebhookDispatcher
from app.webhooks.models import WebhookDelivery
from app.webhooks.signing import SecretBox
from tests.conftest import TenantKeys, make_settings, new_tenant, running_app
from tests.support.webhook_receiver import Received, Receiver, serve_receiver

EMAIL = "jane.doe@example.com"
PHONE = "+44 20 7946 0958"
ASK = f"I want to talk to a human. Write to {EMAIL} or call {PHONE}."


def fast(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_retry_first_s": 0.05,
        "webhook_retry_max_s": 0.1,
        "webhook_poll_interval_s": 0.02,
        "webhook_timeout_s": 2.0,
    }
    return make_settings(database_url, **{**values, **overrides})


def verify(secret: str, received: Received, *, tolerance_s: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md)."""
    timestamp = received.headers["x-candor-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), received.headers["x-candor-signature"])


async def eventually(check: Callable[[], Any], *, within_s: float = 10.0) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def register(
    client: httpx.AsyncClient, tenant: TenantKeys, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks", json={"url": url, "events": events}, headers=tenant.headers(Role.ADMIN)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(client: httpx.AsyncClient, tenant: TenantKeys, endpoint_id: str) -> list[Any]:
    response = await client.get(f"/v1/webhooks/{endpoint_id}/deliveries", headers=tenant.headers(Role.ADMIN))
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def settled(
    client: httpx.AsyncClient, tenant: TenantKeys, endpoint_id: str, *, count: int, within_s: float = 10.0
) -> list[Any]:
    """The endpoint's deliveries once ``count`` of them exist and none is pending."""
    deadline = time.monotonic() + within_s
    while True:
        rows = await deliveries(client, tenant, endpoint_id)
        if len(rows) >= count and all(row["status"] != "pending" for row in rows):
            return rows
        assert time.monotonic() < deadline, f"deliveries did not settle: {rows}"
        await asyncio.sleep(0.05)


async def ask_for_a_person(client: httpx.AsyncClient, tenant: TenantKeys) -> str:
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "candor-demo", "messages": [{"role": "user", "content": ASK}]},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text
    return response.headers["x-conversation-id"]


async def queue_one(client: httpx.AsyncClient, tenant: TenantKeys) -> str:
    conversation_id = await ask_for_a_person(client, tenant)
    response = await client.get("/v1/handoffs", headers=tenant.headers(Role.AGENT))
    (handoff,) = [h for h in response.json()["data"] if h["conversation_id"] == conversation_id]
    return str(handoff["id"])


async def test_a_handoffs_life_reaches_the_helpdesk_signed_and_without_text(
    database_url: str, tenant: TenantKeys
) -> None:
    with serve_receiver() as receiver:
        async with running_app(fast(database_url)) as (_app, client):
            endpoint = await register(client, tenant, receiver.url)
            assert endpoint["secret"].startswith("whsec_")
            conversation_id = await ask_for_a_person(client, tenant)

            (requested,) = await eventually(lambda: receiver.of_type("handoff.requested"))
            assert verify(endpoint["secret"], requested)
            assert not verify("whsec_wrong", requested)
            event = requested.event
            handoff = event["data"]["handoff"]
            assert event["type"] == "handoff.requested"
            assert handoff["conversation_id"] == conversation_id
            assert handoff["status"] == "queued"
            assert handoff["reason_code"] == "customer_request"
            assert requested.headers["x-candor-delivery"]
            assert requested.headers["content-type"] == "application/json"

            agent = tenant.headers(Role.AGENT)
            claimed = await client.post(f"/v1/handoffs/{handoff['id']}/claim", headers=agent)
            assert claimed.status_code == 200, claimed.text
            (accepted,) = await eventually(lambda: receiver.of_type("handoff.accepted"))
            assert accepted.event["data"]["handoff"]["status"] == "human"
            assert verify(endpoint["secret"], accepted)

            resolved = await client.post(f"/v1/handoffs/{handoff['id']}/resolve", headers=agent)
            assert resolved.status_code == 200, resolved.text
            (completed,) = await eventually(lambda: receiver.of_type("handoff.completed"))
            assert completed.event["data"]["handoff"]["status"] == "resolved"

            rows = await settled(client, tenant, endpoint["id"], count=3)
            assert sorted(row["event_type"] for row in rows) == [
                "handoff.accepted",
                "handoff.completed",
                "handoff.requested",
            ]
            assert {(row["status"], row["attempts"], row["last_status_code"]) for row in rows} == {
                ("delivered", 1, 200)
            }
            for row in rows:
                assert EMAIL not in str(row["payload"])

    for received in receiver.received:
        body = received.body.decode()
        for customer_text in (EMAIL, PHONE, "talk to a human", "jane"):
            assert customer_text not in body
            assert customer_text not in str(received.headers)


async def test_a_failing_receiver_is_retried_until_it_answers(database_url: str, tenant: TenantKeys) -> None:
    with serve_receiver(Receiver(script=[500, 500])) as receiver:
        async with running_app(fast(database_url)) as (_app, client):
            endpoint = await register(client, tenant, receiver.url, events=["handoff.requested"])
            await queue_one(client, tenant)
            (row,) = await settled(client, tenant, endpoint["id"], count=1)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 3, 200)
    assert row["delivered_at"] is not None
    assert len(receiver.received) == 3
    # One delivery, the same body each time, signed afresh each time.
    assert {r.headers["x-candor-delivery"] for r in receiver.received} == {row["id"]}
    assert {r.body for r in receiver.received} == {receiver.received[0].body}
    assert all(verify(endpoint["secret"], r) for r in receiver.received)


async def test_a_receiver_that_always_fails_is_given_up_after_the_last_attempt(
    database_url: str, tenant: TenantKeys
) -> None:
    with serve_receiver(Receiver(default_status=503)) as receiver:
        async with running_app(fast(database_url, webhook_max_attempts=3)) as (_app, client):
            endpoint = await register(client, tenant, receiver.url, events=["handoff.requested"])
            await queue_one(client, tenant)
            (row,) = await settled(client, tenant, endpoint["id"], count=1)
            await asyncio.sleep(0.3)  # several retry intervals: nothing more is sent
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("failed", 3, 503)
    assert row["last_error"] == "http_503"
    assert row["next_attempt_at"] is None
    assert len(receiver.received) == 3


async def test_an_unreachable_receiver_records_the_error_type(database_url: str, tenant: TenantKeys) -> None:
    with serve_receiver() as receiver:
        closed = receiver.url
    async with running_app(fast(database_url, webhook_max_attempts=2)) as (_app, client):
        endpoint = await register(client, tenant, closed, events=["handoff.requested"])
        await queue_one(client, tenant)
        (row,) = await settled(client, tenant, endpoint["id"], count=1)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("failed", 2, None)
    assert row["last_error"] == "ConnectError"


async def test_pending_deliveries_are_sent_after_a_restart(database_url: str, tenant: TenantKeys) -> None:
    with serve_receiver(Receiver(default_status=500)) as receiver:
        # The first run only ever fails, and retries rarely: it stops with the row pending.
        slow = fast(database_url, webhook_retry_first_s=0.2, webhook_retry_max_s=0.2)
        async with running_app(slow) as (_app, client):
            endpoint = await register(client, tenant, receiver.url, events=["handoff.requested"])
            await queue_one(client, tenant)
            await eventually(lambda: receiver.received)
        (stored,) = await _rows(database_url, tenant, endpoint["id"])
        assert stored.status == "pending"
        receiver.default_status = 200
        async with running_app(fast(database_url)) as (_app, client):
            (row,) = await settled(client, tenant, endpoint["id"], count=1)
    assert row["status"] == "delivered"
    assert row["attempts"] >= 2


async def _rows(database_url: str, tenant: TenantKeys, endpoint_id: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(
                await session.scalars(
                    select(WebhookDelivery).where(
                        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.tenant_id == tenant.id
                    )
                )
            )
    finally:
        await engine.dispose()


async def test_a_no_pickup_timeout_is_sent_as_failed(database_url: str, tenant: TenantKeys) -> None:
    with serve_receiver() as receiver:
        settings = fast(database_url, handoff_pickup_timeout_s=0.01)
        async with running_app(settings) as (app, client):
            await register(client, tenant, receiver.url, events=["handoff.failed"])
            handoff_id = await queue_one(client, tenant)
            await asyncio.sleep(0.05)
            await app.state.candor.watcher.check()
            (failed,) = await eventually(lambda: receiver.of_type("handoff.failed"))
    assert failed.event["data"]["handoff"]["id"] == handoff_id
    assert failed.event["data"]["failure"] == "no_pickup"
    assert receiver.of_type("handoff.requested") == []  # filtered out by the endpoint


async def test_endpoints_belong_to_their_tenant(database_url: str, tenant: TenantKeys) -> None:
    other = await new_tenant(database_url)
    async with running_app(fast(database_url)) as (_app, client):
        endpoint = await register(client, tenant, "https://helpdesk.example/hooks")
        theirs = other.headers(Role.ADMIN)
        listed = await client.get("/v1/webhooks", headers=theirs)
        assert listed.status_code == 200 and listed.json()["data"] == []
        assert (await client.delete(f"/v1/webhooks/{endpoint['id']}", headers=theirs)).status_code == 404
        assert (
            await client.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers=theirs)
        ).status_code == 404
        # Only admins manage endpoints.
        assert (await client.get("/v1/webhooks", headers=tenant.headers(Role.AGENT))).status_code == 403

        mine = (await client.get("/v1/webhooks", headers=tenant.headers(Role.ADMIN))).json()["data"]
        assert [e["id"] for e in mine] == [endpoint["id"]]
        assert "secret" not in mine[0]
        ours = tenant.headers(Role.ADMIN)
        assert (await client.delete(f"/v1/webhooks/{endpoint['id']}", headers=ours)).status_code == 204
        assert (await client.get("/v1/webhooks", headers=ours)).json()["data"] == []


async def test_only_http_urls_and_known_events_are_accepted(database_url: str, tenant: TenantKeys) -> None:
    async with running_app(fast(database_url)) as (_app, client):
        for body in (
            {"url": "ftp://helpdesk.example/hooks"},
            {"url": "file:///etc/passwd"},
            {"url": "https://"},
            {"url": "https://helpdesk.example/hooks", "events": ["handoff.exploded"]},
        ):
            response = await client.post("/v1/webhooks", json=body, headers=tenant.headers(Role.ADMIN))
            assert response.status_code == 400, body


async def test_two_replicas_never_send_one_delivery_twice(database_url: str, tenant: TenantKeys) -> None:
    """Two dispatchers (as on two replicas, each with its own engine) race for the same
    due rows; the compare-and-set claim lets exactly one send each."""
    keys = Keys.from_secret(make_settings(database_url).secret_key.get_secret_value())
    box = SecretBox(key=keys.webhook_secrets)
    engines = [create_engine(database_url) for _ in range(2)]
    sqlite = database_url.startswith("sqlite")
    with serve_receiver() as receiver:
        try:
            async with create_sessionmaker(engines[0])() as session, session.begin():
                created = await endpoints.create(
                    session=session, box=box, tenant_id=tenant.id, url=receiver.url, events=None
                )
                now = utcnow()
                await session.execute(
                    insert(WebhookDelivery),
                    [
                        {
                            "id": new_id(),
                            "endpoint_id": created.endpoint.id,
                            "tenant_id": tenant.id,
                            "event_type": "handoff.requested",
                            "event_id": new_id(),
                            "payload": {"n": n},
                            "attempts": 0,
                            "status": "pending",
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for n in range(30)
                    ],
                )
            async with httpx.AsyncClient(timeout=5) as http:
                replicas = [
                    WebhookDispatcher(
                        sessionmaker=create_sessionmaker(engine),
                        gate=WriteGate(sqlite=sqlite),
                        box=box,
                        client=http,
                        retry=Retry(),
                        batch_size=10,
                    )
                    for engine in engines
                ]
                sent = 0
                for _ in range(5):
                    sent += sum(await asyncio.gather(*(replica.run_once() for replica in replicas)))
        finally:
            for engine in engines:
                await engine.dispose()
    ids = [r.headers["x-candor-delivery"] for r in receiver.received]
    assert sent == 30
    assert len(ids) == len(set(ids)) == 30
    assert sorted(r.event["n"] for r in receiver.received) == list(range(30))
