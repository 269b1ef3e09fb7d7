"""Known personal data goes through every kind of turn — answered, streamed, leaked back by
the model, a failing backend, a handoff, an agent's replies and notes, a reveal of the
originals — and then the whole audit table, both export formats and the reports are
scanned for it: zero hits."""

from __future__ import annotations

import json
import re
import uuid

import httpx
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, running_app
from tests.support.fake_openai import Behaviour, serve_fake_openai

PII = {
    "name": "Margarethe Schwarzenbach",
    "name_2": "Oluwaseun Adebayo",
    "email": "m.schwarzenbach.audit@example.org",
    "email_2": "oluwaseun.a+orders@example.com",
    "phone": "+44 20 7946 0958",
    "phone_2": "(415) 555-0199",
    "card": "4111 1111 1111 1111",
    "card_2": "5500-0000-0000-0004",
    "iban": "DE89 3704 0044 0532 0130 00",
    "iban_2": "GB82WEST12345698765432",
    "address": "221B Baker Street, London NW1 6XE",
}

CUSTOMER_TURNS = [
    "Hi, I'm {name}, you can mail me at {email} or call {phone}.",
    "My card {card} was charged twice, please refund to IBAN {iban}.",
    "Ship it to {address} instead, and copy {email_2}.",
    "I am {name_2}, my other card is {card_2} and my IBAN is {iban_2}; phone {phone_2}.",
]


def filled(template: str) -> str:
    return template.format(**PII)


def needles() -> list[str]:
    """Every value as written, and its digits-and-letters-only form (so a value stored
    without its spaces or dashes is found too)."""
    found = set(PII.values())
    found |= {re.sub(r"[^0-9A-Za-z]", "", value) for value in PII.values()}
    found |= {
        part for value in PII.values() for part in value.split() if len(part) >= 6 and not part.isdigit()
    }
    return sorted(found)


def hits(text: str) -> list[str]:
    compact = re.sub(r"[^0-9A-Za-z]", "", text)
    return [needle for needle in needles() if needle in text or (len(needle) >= 10 and needle in compact)]


async def chat(
    client: httpx.AsyncClient, tenant: TenantKeys, conversation: str, text: str, *, stream: bool = False
) -> httpx.Response:
    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(
            Role.CHAT, **{"X-Conversation-Id": conversation, "X-Customer-Id": PII["email"]}
        ),
        json={
            "model": "m",
            "stream": stream,
            "user": PII["email"],
            "messages": [{"role": "user", "content": text}],
            "metadata": {"channel": "web", "locale": "en-GB"},
        },
    )
    assert response.status_code == 200, response.text
    return response


async def test_no_seeded_pii_in_the_audit_table_exports_or_reports(
    database_url: str, tenant: TenantKeys
) -> None:
    with serve_fake_openai() as fake:
        fake.script = [
            Behaviour(reply=f"Thanks {PII['name']}, I will write to {PII['email']}."),  # echoes given PII
            Behaviour(reply=f"Our records say you live at {PII['address']}."),
            Behaviour(status=500),
            Behaviour(status=500),  # the retry fails too: the customer gets the apology
        ]
        fake.default = Behaviour(reply=f"Another customer, {PII['name_2']}, had that too.")  # a leak
        settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=1)
        async with running_app(settings) as (app, client):
            bot = f"nopii-{uuid.uuid4().hex[:8]}"
            for n, template in enumerate(CUSTOMER_TURNS * 2):
                await chat(client, tenant, bot, filled(template), stream=n % 2 == 1)

            person = f"nopii-{uuid.uuid4().hex[:8]}"
            # A stolen card is a fraud case: a person takes over from the first turn.
            stolen = await chat(client, tenant, person, filled("I'm {name}, my card {card} was stolen"))
            assert stolen.json()["candor"]["handoff"], stolen.json()["candor"]
            handoff = stolen.json()["candor"]["handoff"]["id"]
            await chat(client, tenant, person, filled("I want to talk to a human please, call {phone}"))
            await chat(client, tenant, person, filled("Still waiting; my IBAN is {iban}"))  # while queued
            agent = tenant.headers(Role.AGENT)
            assert (await client.post(f"/v1/handoffs/{handoff}/claim", headers=agent)).status_code == 200
            for private in (False, True):
                reply = await client.post(
                    f"/v1/handoffs/{handoff}/messages",
                    headers=agent,
                    json={
                        "content": filled("Hello {name}, I mailed {email} about card {card}"),
                        "private": private,
                    },
                )
                assert reply.status_code in (200, 201), reply.text
            revealed = await client.get(f"/v1/handoffs/{handoff}", headers=agent)
            assert revealed.status_code == 200
            assert PII["card"] in revealed.text or PII["email"] in revealed.text  # the agent did see them
            await chat(client, tenant, person, filled("Thanks! Address is {address}"))
            assert (await client.post(f"/v1/handoffs/{handoff}/resolve", headers=agent)).status_code == 200

            await flush_audit(app)
            async with app.state.candor.sessionmaker() as session:
                rows = (
                    await session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id))
                ).all()
            auditor = tenant.headers(Role.AUDITOR)
            outputs = {
                "ndjson export": (await client.get("/v1/audit/export", headers=auditor)).text,
                "csv export": (await client.get("/v1/audit/export?format=csv", headers=auditor)).text,
                "events": (await client.get("/v1/audit/events?limit=1000", headers=auditor)).text,
                "summary": (await client.get("/v1/audit/reports/summary", headers=auditor)).text,
                "fairness": (
                    await client.get("/v1/audit/reports/fairness?min_samples=1", headers=auditor)
                ).text,
            }

    types = {row.event_type for row in rows}
    assert {
        "turn.received",
        "guardrail.decision",
        "backend.call",
        "handoff.queued",
        "handoff.claimed",
    } <= types
    assert {"handoff.message", "pii.revealed", "handoff.resolved", "turn.answered"} <= types
    assert any(row.event_type == "backend.call" and row.action == "error" for row in rows)
    assert any(row.action == "redact" for row in rows)
    table = json.dumps(
        [
            {column: str(getattr(row, column)) for column in AuditEvent.__table__.columns.keys()}
            for row in rows
        ]
    )
    assert len(rows) > 50
    assert hits(table) == []
    for name, text in outputs.items():
        assert len(text) > 100, name
        assert hits(text) == [], name
