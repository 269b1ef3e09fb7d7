"""The handoff, through the real app: the widget asks for a person, agents work the queue,
the customer reads the agents' replies by polling and over SSE, and the agent hands back
to the bot with a note for its context. Every step is audited, without message text."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.db import create_engine, create_sessionmaker, utcnow
from app.tenants.keys import Role, create_key
from escalation import queue, service
from tests.conftest import PG_URL, TenantKeys, flush_audit, make_settings, new_tenant, running_app

EMAIL = "jane.doe@example.com"


async def add_agent(database_url: str, tenant: TenantKeys, name: str) -> dict[str, str]:
    """Another agent key of the tenant; returns its headers and id."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            minted = await create_key(session=session, tenant_id=tenant.id, role=Role.AGENT, name=name)
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {minted.key}", "id": minted.id}


def headers_of(agent: dict[str, str]) -> dict[str, str]:
    return {"Authorization": agent["Authorization"]}


async def start_conversation(client: httpx.AsyncClient, tenant: TenantKeys, text: str) -> str:
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "candor-demo", "messages": [{"role": "user", "content": text}]},
        headers=tenant.headers(),
    )
    assert response.status_code == 200
    return response.headers["x-conversation-id"]


async def queued(
    client: httpx.AsyncClient, tenant: TenantKeys, text: str = "Where is my order?"
) -> tuple[str, str]:
    conversation_id = await start_conversation(client, tenant, text)
    response = await client.post(f"/v1/conversations/{conversation_id}/handoff", headers=tenant.headers())
    assert response.status_code == 201, response.text
    return conversation_id, response.json()["handoff"]["id"]


async def customer_view(
    client: httpx.AsyncClient, tenant: TenantKeys, conversation_id: str, after: int = 0
) -> Any:
    response = await client.get(
        f"/v1/conversations/{conversation_id}/messages", params={"after": after}, headers=tenant.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def audit_rows(
    app: Any, client: httpx.AsyncClient, tenant: TenantKeys, conversation_id: str
) -> list[Any]:
    await flush_audit(app)
    response = await client.get(
        "/v1/audit/events",
        params={"conversation_id": conversation_id, "limit": 1000},
        headers=tenant.headers(Role.AUDITOR),
    )
    return list(response.json()["data"])


async def test_the_widget_button_answers_in_the_customers_language(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    response = await client.post(
        "/v1/chat/completions",
        json={
            "model": "candor-demo",
            "messages": [{"role": "user", "content": "¿Dónde está mi pedido?"}],
            "metadata": {"locale": "es-ES"},
        },
        headers=tenant.headers(),
    )
    conversation_id = response.headers["x-conversation-id"]
    button = await client.post(f"/v1/conversations/{conversation_id}/handoff", headers=tenant.headers())
    assert button.status_code == 201, button.text
    notices = [m["content"] for m in (await customer_view(client, tenant, conversation_id))["data"]]
    assert any(n.startswith("Le estoy poniendo en contacto con una persona") for n in notices), notices


async def test_the_widget_button_queues_the_conversation_once(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    again = await client.post(f"/v1/conversations/{conversation_id}/handoff", headers=tenant.headers())
    assert again.status_code == 200
    assert again.json()["handoff"] == {
        "id": handoff_id,
        "status": "queued",
        "reason_code": "customer_request",
    }

    listing = await client.get("/v1/handoffs", headers=tenant.headers(Role.AGENT))
    assert listing.status_code == 200
    body = listing.json()
    assert [item["id"] for item in body["data"]] == [handoff_id]
    assert body["counts"]["queued"] == 1 and body["counts"]["human"] == 0
    item = body["data"][0]
    assert item["conversation_id"] == conversation_id
    assert item["reason_code"] == "customer_request" and item["severity"] == "normal"
    assert item["waiting_s"] is not None and item["assigned_agent"] is None

    view = await customer_view(client, tenant, conversation_id)
    assert view["mode"] == "queued"
    kinds = [message["author_kind"] for message in view["data"]]
    assert kinds == ["customer", "ai", "system"]
    assert "person" in view["data"][-1]["content"]

    # While queued, a new chat turn is answered by Candor, never by the bot.
    turn = await client.post(
        "/v1/chat/completions",
        json={"model": "candor-demo", "messages": [{"role": "user", "content": "hello?"}]},
        headers=tenant.headers(**{"X-Conversation-Id": conversation_id}),
    )
    assert turn.json()["candor"]["mode"] == "queued"
    assert turn.json()["candor"]["answered_by"] == "candor"


async def test_queue_is_ordered_by_priority_then_oldest(database_url: str, tenant: TenantKeys) -> None:
    async with running_app(make_settings(database_url)) as (app, client):
        first, _ = await queued(client, tenant)
        second = await start_conversation(client, tenant, "Where is my order?")
        await app.state.candor.recorder.flush()
        state = app.state.candor
        async with state.gate.writing(state.sessionmaker) as session:
            change = await service.enqueue(
                session=session,
                tenant_id=tenant.id,
                conversation_id=second,
                reason_code="crisis",
                severity="urgent",
                summary="Self-harm language: crisis resources given.",
            )
        change.announce(audit=state.audit, hub=state.hub)
        listing = (await client.get("/v1/handoffs", headers=tenant.headers(Role.AGENT))).json()
        assert [item["conversation_id"] for item in listing["data"]] == [second, first]
        assert listing["data"][0]["priority"] == 0 and listing["data"][0]["reason_code"] == "crisis"


async def test_claim_reply_and_private_note(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    agent = tenant.headers(Role.AGENT)

    claimed = await client.post(
        f"/v1/handoffs/{handoff_id}/claim", json={"display_name": "Dana"}, headers=agent
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["handoff"]["status"] == "human"
    assert claimed.json()["handoff"]["agent_name"] == "Dana"
    # Claiming one's own handoff again is harmless.
    assert (await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)).status_code == 200

    public = await client.post(
        f"/v1/handoffs/{handoff_id}/messages", json={"content": "Hi, I'm Dana. Let me look."}, headers=agent
    )
    assert public.status_code == 201
    note = await client.post(
        f"/v1/handoffs/{handoff_id}/messages",
        json={"content": "Customer sounds upset; offer the voucher.", "private": True},
        headers=agent,
    )
    assert note.status_code == 201 and note.json()["message"]["private"] is True

    view = await customer_view(client, tenant, conversation_id)
    assert view["mode"] == "human"
    contents = [message["content"] for message in view["data"]]
    assert "Dana has joined the chat." in contents
    assert "Hi, I'm Dana. Let me look." in contents
    assert not any("voucher" in content for content in contents)
    agent_message = next(message for message in view["data"] if message["author_kind"] == "agent")
    assert agent_message["author_name"] == "Dana"
    # Polling from a sequence number returns only what came after it.
    later = await customer_view(client, tenant, conversation_id, after=agent_message["seq"])
    assert later["data"] == []

    detail = (await client.get(f"/v1/handoffs/{handoff_id}", headers=agent)).json()
    assert any("voucher" in message["content"] and message["private"] for message in detail["transcript"])

    rows = await audit_rows(app, client, tenant, conversation_id)
    types = [row["event_type"] for row in rows]
    for expected in ("handoff.queued", "handoff.claimed", "handoff.message"):
        assert expected in types
    dumped = json.dumps(rows)
    assert "voucher" not in dumped and "Let me look" not in dumped


async def test_a_taken_handoff_is_409_for_other_agents(
    database_url: str, app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    _, handoff_id = await queued(client, tenant)
    other = await add_agent(database_url, tenant, "Sam")
    assert (
        await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=tenant.headers(Role.AGENT))
    ).status_code == 200

    taken = await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=headers_of(other))
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "already_claimed"
    reply = await client.post(
        f"/v1/handoffs/{handoff_id}/messages", json={"content": "Hello"}, headers=headers_of(other)
    )
    assert reply.status_code == 409
    for action in ("release", "resolve", "handback", "transfer"):
        assert (
            await client.post(f"/v1/handoffs/{handoff_id}/{action}", headers=headers_of(other))
        ).status_code == 409
    # A private note from a colleague is fine.
    note = await client.post(
        f"/v1/handoffs/{handoff_id}/messages",
        json={"content": "I know this one", "private": True},
        headers=headers_of(other),
    )
    assert note.status_code == 201


async def test_transfer_to_a_named_agent_reserves_the_handoff(
    database_url: str, app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    first = tenant.headers(Role.AGENT)
    other = await add_agent(database_url, tenant, "Sam")
    await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=first)

    moved = await client.post(
        f"/v1/handoffs/{handoff_id}/transfer",
        json={"to_agent": other["id"], "note": "Billing question, Sam knows it."},
        headers=first,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["handoff"]["status"] == "queued"
    assert moved.json()["handoff"]["assigned_agent"] == other["id"]

    mine = (await client.get("/v1/handoffs", params={"assigned": "me"}, headers=headers_of(other))).json()
    assert [item["id"] for item in mine["data"]] == [handoff_id]
    unassigned = (await client.get("/v1/handoffs", params={"assigned": "none"}, headers=first)).json()
    assert handoff_id not in [item["id"] for item in unassigned["data"]]

    assert (await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=first)).status_code == 409
    assert (
        await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=headers_of(other))
    ).status_code == 200
    view = await customer_view(client, tenant, conversation_id)
    assert not any("Billing question" in message["content"] for message in view["data"])
    assert any("has left the chat" in message["content"] for message in view["data"])

    unknown = await client.post(
        f"/v1/handoffs/{handoff_id}/transfer", json={"to_agent": "nobody"}, headers=headers_of(other)
    )
    assert unknown.status_code == 404


async def test_release_then_resolve(app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    agent = tenant.headers(Role.AGENT)
    await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)
    released = await client.post(f"/v1/handoffs/{handoff_id}/release", headers=agent)
    assert released.status_code == 200
    assert released.json()["handoff"]["status"] == "queued"
    assert released.json()["handoff"]["released_count"] == 1
    assert released.json()["handoff"]["assigned_agent"] is None

    assert (await client.post(f"/v1/handoffs/{handoff_id}/release", headers=agent)).status_code == 409
    await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)
    resolved = await client.post(f"/v1/handoffs/{handoff_id}/resolve", headers=agent)
    assert resolved.json()["handoff"]["status"] == "resolved"
    assert resolved.json()["handoff"]["resolved_at"]
    assert (await client.post(f"/v1/handoffs/{handoff_id}/resolve", headers=agent)).status_code == 409
    assert (await customer_view(client, tenant, conversation_id))["mode"] == "resolved"
    listing = (await client.get("/v1/handoffs", params={"status": "resolved"}, headers=agent)).json()
    assert [item["id"] for item in listing["data"]] == [handoff_id]
    assert listing["counts"]["resolved"] == 1 and listing["counts"]["queued"] == 0


async def test_hand_back_gives_the_bot_the_note(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    agent = tenant.headers(Role.AGENT)
    assert (await client.post(f"/v1/handoffs/{handoff_id}/handback", headers=agent)).status_code == 409
    await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)
    back = await client.post(
        f"/v1/handoffs/{handoff_id}/handback",
        json={"note": "Refund approved; order ships Monday."},
        headers=agent,
    )
    assert back.status_code == 200
    assert back.json()["handoff"]["status"] == "handed_back"

    view = await customer_view(client, tenant, conversation_id)
    assert view["mode"] == "bot"
    assert not any("Refund approved" in message["content"] for message in view["data"])
    state = app.state.candor
    async with state.sessionmaker() as session:
        notes = await queue.bot_context_notes(session=session, conversation_id=conversation_id)
    assert notes == ["Refund approved; order ships Monday."]

    # The bot answers again; after its turn the note is no longer new.
    turn = await client.post(
        "/v1/chat/completions",
        json={
            "model": "candor-demo",
            "messages": [{"role": "user", "content": "Thanks! When does it ship?"}],
        },
        headers=tenant.headers(**{"X-Conversation-Id": conversation_id}),
    )
    assert turn.json()["candor"]["mode"] == "bot"
    await state.recorder.flush()
    async with state.sessionmaker() as session:
        assert await queue.bot_context_notes(session=session, conversation_id=conversation_id) == []
    # A new request for a person opens a new handoff.
    again = await client.post(f"/v1/conversations/{conversation_id}/handoff", headers=tenant.headers())
    assert again.status_code == 201 and again.json()["handoff"]["id"] != handoff_id


async def test_detail_reveals_pii_to_agents_and_audits_it(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    conversation_id, handoff_id = await queued(client, tenant, f"My email is {EMAIL}, where is my order?")
    agent = tenant.headers(Role.AGENT)
    redacted = (
        await client.get(f"/v1/handoffs/{handoff_id}", params={"reveal": "false"}, headers=agent)
    ).json()
    assert EMAIL not in json.dumps(redacted)
    detail = await client.get(f"/v1/handoffs/{handoff_id}", headers=agent)
    assert detail.status_code == 200
    body = detail.json()
    assert body["handoff"]["id"] == handoff_id
    assert EMAIL in body["transcript"][0]["content"]

    rows = await audit_rows(app, client, tenant, conversation_id)
    reveals = [row for row in rows if row["event_type"] == "pii.revealed"]
    assert len(reveals) == 1
    assert reveals[0]["details"]["values"] >= 1
    assert "EMAIL_ADDRESS" in reveals[0]["details"]["entity_types"]
    agent_key_id = tenant.keys[Role.AGENT].split("_")[1]
    assert reveals[0]["actor"] == f"key:{agent_key_id}"
    assert EMAIL not in json.dumps(rows)


async def test_another_tenants_ids_are_not_found(
    database_url: str, app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    stranger = await new_tenant(database_url)
    agent = stranger.headers(Role.AGENT)
    assert (await client.get(f"/v1/handoffs/{handoff_id}", headers=agent)).status_code == 404
    for action in ("claim", "release", "resolve", "handback", "transfer"):
        assert (await client.post(f"/v1/handoffs/{handoff_id}/{action}", headers=agent)).status_code == 404
    message = await client.post(f"/v1/handoffs/{handoff_id}/messages", json={"content": "hi"}, headers=agent)
    assert message.status_code == 404
    assert (await client.get("/v1/handoffs", headers=agent)).json()["data"] == []
    chat = stranger.headers()
    assert (
        await client.get(f"/v1/conversations/{conversation_id}/messages", headers=chat)
    ).status_code == 404
    assert (await client.get(f"/v1/conversations/{conversation_id}/events", headers=chat)).status_code == 404
    assert (
        await client.post(f"/v1/conversations/{conversation_id}/handoff", headers=chat)
    ).status_code == 404


async def test_roles_are_enforced(app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    assert (await client.get("/v1/handoffs", headers=tenant.headers())).status_code == 403
    assert (
        await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=tenant.headers())
    ).status_code == 403
    agent = tenant.headers(Role.AGENT)
    assert (
        await client.get(f"/v1/conversations/{conversation_id}/messages", headers=agent)
    ).status_code == 403
    assert (await client.get("/v1/handoffs", params={"status": "bogus"}, headers=agent)).status_code == 400
    assert (await client.get("/v1/handoffs", params={"assigned": "them"}, headers=agent)).status_code == 400


def sse_events(body: str) -> list[tuple[str | None, Any]]:
    events = []
    for block in body.split("\n\n"):
        name, data = None, None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
        if data is not None:
            events.append((name, data))
    return events


async def test_the_customer_and_the_console_hear_it_over_sse(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    agent = tenant.headers(Role.AGENT)
    start = (await customer_view(client, tenant, conversation_id))["last_seq"]

    customer_stream = asyncio.create_task(
        client.get(
            f"/v1/conversations/{conversation_id}/events",
            params={"duration": 1.5},
            headers=tenant.headers(**{"Last-Event-ID": str(start)}),
        )
    )
    console_stream = asyncio.create_task(
        client.get("/v1/handoffs/events", params={"duration": 1.5}, headers=agent)
    )
    await asyncio.sleep(0.3)
    await client.post(f"/v1/handoffs/{handoff_id}/claim", json={"display_name": "Dana"}, headers=agent)
    await client.post(
        f"/v1/handoffs/{handoff_id}/messages", json={"content": "Hi, Dana here."}, headers=agent
    )
    await client.post(
        f"/v1/handoffs/{handoff_id}/messages", json={"content": "secret note", "private": True}, headers=agent
    )
    customer, console = await customer_stream, await console_stream

    assert customer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(customer.text)
    modes = [data["mode"] for name, data in events if name == "mode"]
    assert modes == ["queued", "human"]
    messages = [data for name, data in events if name == "message"]
    assert [m["content"] for m in messages] == ["Dana has joined the chat.", "Hi, Dana here."]
    assert messages[1]["author_kind"] == "agent" and messages[1]["author_name"] == "Dana"
    assert "secret note" not in customer.text
    assert f"id: {messages[1]['seq']}" in customer.text

    console_events = sse_events(console.text)
    names = [name for name, _ in console_events]
    assert names == ["handoff.claimed", "handoff.message", "handoff.message"]
    assert all(data["handoff_id"] == handoff_id for _, data in console_events)
    assert [data["private"] for _, data in console_events] == [False, False, True]
    assert "Dana here" not in console.text  # ids only on the console stream


async def test_no_pickup_notice_is_posted_once(database_url: str, tenant: TenantKeys) -> None:
    async with running_app(make_settings(database_url, handoff_pickup_timeout_s=0)) as (app, client):
        conversation_id, handoff_id = await queued(client, tenant)
        state = app.state.candor
        assert state.watcher is None  # turned off by the setting; driven by hand here
        for _ in range(2):
            async with state.gate.writing(state.sessionmaker) as session:
                changes = await service.expire_unclaimed(
                    session=session, now=utcnow() + timedelta(minutes=10), pickup_within=timedelta(minutes=5)
                )
            for change in changes:
                change.announce(audit=state.audit, hub=state.hub)
            if _ == 0:
                assert [change.handoff.id for change in changes if change.handoff.tenant_id == tenant.id] == [
                    handoff_id
                ]
            else:
                assert all(change.handoff.id != handoff_id for change in changes)
        view = await customer_view(client, tenant, conversation_id)
        assert view["mode"] == "queued"
        assert sum("Sorry for the wait" in message["content"] for message in view["data"]) == 1
        rows = await audit_rows(app, client, tenant, conversation_id)
        assert [row["event_type"] for row in rows].count("handoff.expired") == 1
        # Still in the queue: a person can pick it up.
        claimed = await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=tenant.headers(Role.AGENT))
        assert claimed.status_code == 200


@pytest.mark.parametrize("action", ["release", "resolve", "handback"])
async def test_every_state_change_is_audited_without_text(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, action: str
) -> None:
    app, client = app_client
    conversation_id, handoff_id = await queued(client, tenant)
    agent = tenant.headers(Role.AGENT)
    await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)
    assert (await client.post(f"/v1/handoffs/{handoff_id}/{action}", headers=agent)).status_code == 200
    rows = await audit_rows(app, client, tenant, conversation_id)
    expected = {
        "release": "handoff.released",
        "resolve": "handoff.resolved",
        "handback": "handoff.handed_back",
    }
    handoff_rows = [row for row in rows if row["event_type"].startswith("handoff.")]
    assert [row["event_type"] for row in handoff_rows] == [
        "handoff.queued",
        "handoff.claimed",
        expected[action],
    ]
    assert all(row["details"]["handoff_id"] == handoff_id for row in handoff_rows)
    assert handoff_rows[1]["actor"].startswith("key:")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CANDOR_TEST_DATABASE_URL)")
async def test_events_reach_a_customer_on_another_replica(database_url: str, tenant: TenantKeys) -> None:
    settings = make_settings(database_url)
    async with running_app(settings) as (_, one), running_app(settings) as (_, two):
        conversation_id, handoff_id = await queued(one, tenant)
        start = (await customer_view(two, tenant, conversation_id))["last_seq"]
        stream = asyncio.create_task(
            two.get(
                f"/v1/conversations/{conversation_id}/events",
                params={"after": start, "duration": 1.5},
                headers=tenant.headers(),
            )
        )
        console = asyncio.create_task(
            two.get("/v1/handoffs/events", params={"duration": 1.5}, headers=tenant.headers(Role.AGENT))
        )
        await asyncio.sleep(0.3)
        agent = tenant.headers(Role.AGENT)
        await one.post(f"/v1/handoffs/{handoff_id}/claim", json={"display_name": "Dana"}, headers=agent)
        await one.post(
            f"/v1/handoffs/{handoff_id}/messages", json={"content": "Hello from one"}, headers=agent
        )
        customer, agents = await stream, await console
    messages = [data["content"] for name, data in sse_events(customer.text) if name == "message"]
    assert messages == ["Dana has joined the chat.", "Hello from one"]
    assert [name for name, _ in sse_events(agents.text)] == ["handoff.claimed", "handoff.message"]
