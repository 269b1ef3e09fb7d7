"""Access, erasure and pseudonyms: a customer seeded through real turns (name, e-mail,
phone, card), a handoff and an agent's replies; the export gives it all back; after
``DELETE`` no table of the database holds any of it, the export is 404, the audit chain
still verifies and ``subject.erased`` is in it; the audit trail only ever names the
customer by a keyed, per-tenant pseudonym."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select

from app.crypto import customer_pseudonym
from app.db import create_engine
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        fake.default = Behaviour(reply="Thanks, I have noted that.")
        yield fake


def luhn_card() -> str:
    """A random 16-digit Visa-like number that passes the Luhn check (unique per test run)."""
    digits = [4, *(random.randint(0, 9) for _ in range(14))]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


class Seeded:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.customer_id = f"cust-erase-{tag}"
        self.surname = "Quillfeather"
        self.name = f"Ottoline {self.surname}"
        self.email = f"ottoline.{tag}@example.org"
        self.phone = f"+1 415 555 {random.randint(1000, 9999)}"
        self.card = luhn_card()

    def values(self) -> list[str]:
        return [self.customer_id, self.email, self.phone, self.card, self.card.replace(" ", ""), self.surname]


async def chat(client: httpx.AsyncClient, tenant: TenantKeys, seeded: Seeded, history: list[dict[str, str]],
               text: str, conversation_id: str | None) -> tuple[dict[str, Any], str]:  # fmt: skip
    history.append({"role": "user", "content": text})
    extra = {"X-Conversation-Id": conversation_id} if conversation_id else {}
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": history, "user": seeded.customer_id},
        headers=tenant.headers(Role.CHAT, **extra),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    history.append({"role": "assistant", "content": body["choices"][0]["message"]["content"]})
    return body, response.headers["x-conversation-id"]


async def seed(client: httpx.AsyncClient, tenant: TenantKeys, seeded: Seeded) -> str:
    """Real turns with PII, an opt-in, a handoff claimed by an agent who writes the name."""
    history: list[dict[str, str]] = []
    _, conversation_id = await chat(client, tenant, seeded, history, f"Hi, I'm {seeded.name}.", None)
    await chat(
        client,
        tenant,
        seeded,
        history,
        f"My e-mail is {seeded.email} and my phone is {seeded.phone}.",
        conversation_id,
    )
    await chat(client, tenant, seeded, history, f"Please charge my card {seeded.card}.", conversation_id)
    response = await client.put(
        f"/v1/customers/{seeded.customer_id}/consent", json={"ai": "opt_in"}, headers=tenant.headers()
    )
    assert response.status_code == 200
    handed, _ = await chat(
        client, tenant, seeded, history, "I want to talk to a real person", conversation_id
    )
    handoff_id = handed["candor"]["handoff"]["id"]
    agent = tenant.headers(Role.AGENT)
    assert (await client.post(f"/v1/handoffs/{handoff_id}/claim", json={}, headers=agent)).status_code == 200
    note = f"Hello {seeded.name}, I see your card ending {seeded.card[-4:]}."
    posted = await client.post(f"/v1/handoffs/{handoff_id}/messages", json={"content": note}, headers=agent)
    assert posted.status_code in (200, 201), posted.text
    await client.post(
        f"/v1/handoffs/{handoff_id}/messages",
        json={"content": f"Customer {seeded.email} is a regular.", "private": True},
        headers=agent,
    )
    return conversation_id


async def scan_database(database_url: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every table and column of the database (reflected, not the models): where do the
    needles appear? Returns (table, column, needle) for each hit."""
    engine = create_engine(database_url)
    hits: list[tuple[str, str, str]] = []
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                for row in (await connection.execute(select(table))).mappings():
                    for column, value in row.items():
                        if value is None:
                            continue
                        if isinstance(value, bytes | bytearray | memoryview):
                            text = bytes(value).decode("latin-1")
                        elif isinstance(value, dict | list):
                            text = json.dumps(value, ensure_ascii=False)
                        else:
                            text = str(value)
                        hits.extend(
                            (table.name, str(column), n) for n in needles if n.lower() in text.lower()
                        )
    finally:
        await engine.dispose()
    return hits


async def test_export_then_erasure_leaves_no_trace_and_a_verifiable_trail(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    seeded = Seeded()
    settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)
    async with running_app(settings) as (app, client):
        conversation_id = await seed(client, tenant, seeded)
        await flush_audit(app)
        assert await scan_database(database_url, seeded.values()), "the seeding stored nothing to find"

        admin = tenant.headers(Role.ADMIN)
        exported = await client.get(f"/v1/customers/{seeded.customer_id}/export", headers=admin)
        assert exported.status_code == 200, exported.text
        data = exported.json()
        assert data["customer_id"] == seeded.customer_id
        [conversation] = data["conversations"]
        assert conversation["id"] == conversation_id
        text = json.dumps(conversation["messages"])
        assert seeded.email in text and seeded.card in text  # values restored from the vault
        assert any(
            m["author_kind"] == "agent" and seeded.name in m["content"] for m in conversation["messages"]
        )
        assert [h["status"] for h in conversation["handoffs"]] == ["human"]
        assert [c["ai"] for c in data["consent"]["history"]] == ["opt_in"]
        # Only the admin reads a customer's data; the widget's key cannot.
        denied = await client.get(f"/v1/customers/{seeded.customer_id}/export", headers=tenant.headers())
        assert denied.status_code == 403

        erased = await client.delete(f"/v1/customers/{seeded.customer_id}", headers=admin)
        assert erased.status_code == 200, erased.text
        counts = erased.json()["deleted"]
        assert counts["conversations"] == 1 and counts["handoffs_closed"] == 1
        assert counts["vault_keys"] == 1 and counts["vault_entries"] >= 4 and counts["consent_records"] == 1
        await flush_audit(app)

        hits = await scan_database(database_url, seeded.values())
        assert hits == []
        assert (
            await client.get(f"/v1/customers/{seeded.customer_id}/export", headers=admin)
        ).status_code == 404
        history = await client.get(f"/v1/conversations/{conversation_id}/messages", headers=tenant.headers())
        assert history.status_code == 404

        auditor = tenant.headers(Role.AUDITOR)
        events = (
            await client.get("/v1/audit/events", params={"event_type": "subject.erased"}, headers=auditor)
        ).json()["data"]
        pseudonym = customer_pseudonym(
            app.state.candor.keys.pseudonym, tenant_id=tenant.id, customer_id=seeded.customer_id
        )
        assert [(e["customer_pseudonym"], e["details"]["conversations"]) for e in events] == [(pseudonym, 1)]
        # Reading the trail is audited too: let that write land before verifying (a verify
        # racing a write on PostgreSQL can see an event past the head it read).
        await flush_audit(app)
        verified = await client.get("/v1/audit/verify", headers=auditor)
        assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text

        # Idempotent: erasing again deletes nothing, and is recorded too.
        again = await client.delete(f"/v1/customers/{seeded.customer_id}", headers=admin)
        assert again.status_code == 200
        assert set(again.json()["deleted"].values()) == {0}


async def test_another_tenant_can_neither_read_nor_erase_the_customer(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    seeded = Seeded()
    other = await new_tenant(database_url)
    settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)
    async with running_app(settings) as (app, client):
        conversation_id = await seed(client, tenant, seeded)
        await flush_audit(app)
        foreign = other.headers(Role.ADMIN)
        assert (
            await client.get(f"/v1/customers/{seeded.customer_id}/export", headers=foreign)
        ).status_code == 404
        erased = await client.delete(f"/v1/customers/{seeded.customer_id}", headers=foreign)
        assert set(erased.json()["deleted"].values()) == {0}
        still = await client.get(f"/v1/conversations/{conversation_id}/messages", headers=tenant.headers())
        assert still.status_code == 200 and still.json()["data"]


async def test_the_audit_trail_names_customers_only_by_a_keyed_per_tenant_pseudonym(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    seeded = Seeded()
    other = await new_tenant(database_url)
    settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)
    async with running_app(settings) as (app, client):
        conversation_id = await seed(client, tenant, seeded)
        await chat(client, other, seeded, [], "Hello from the other shop", None)
        await client.put(
            f"/v1/customers/{seeded.customer_id}/consent", json={"ai": "opt_out"}, headers=other.headers()
        )
        await flush_audit(app)
        keys = app.state.candor.keys
        mine = customer_pseudonym(keys.pseudonym, tenant_id=tenant.id, customer_id=seeded.customer_id)
        theirs = customer_pseudonym(keys.pseudonym, tenant_id=other.id, customer_id=seeded.customer_id)
        assert mine != theirs and seeded.customer_id not in (mine, theirs)

        for keys_of, pseudonym in ((tenant, mine), (other, theirs)):
            response = await client.get(
                "/v1/audit/events", params={"limit": 1000}, headers=keys_of.headers(Role.AUDITOR)
            )
            events = response.json()["data"]
            named = {e["customer_pseudonym"] for e in events if e["customer_pseudonym"]}
            assert named == {pseudonym}
            assert seeded.customer_id not in json.dumps(events)
        for path, params in (
            ("/v1/audit/reports/summary", {}),
            ("/v1/audit/reports/fairness", {"segment": "channel"}),
            ("/v1/audit/export", {"format": "ndjson"}),
        ):
            read = await client.get(path, params=params, headers=tenant.headers(Role.AUDITOR))
            assert read.status_code == 200, (path, read.text)
            assert seeded.customer_id not in read.text
        exported = await client.get(
            "/v1/audit/export", params={"format": "ndjson"}, headers=tenant.headers(Role.AUDITOR)
        )
        assert mine in exported.text
        # The audit table itself, every column: no raw id, in either tenant.
        hits = await scan_database(database_url, [seeded.customer_id])
        assert not [hit for hit in hits if hit[0] == "audit_events"]
        assert conversation_id
