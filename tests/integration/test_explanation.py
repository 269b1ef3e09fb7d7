"""``GET /v1/conversations/{id}/explanation``: what Candor decided and why, in the
customer's language, built from the audit trail, with no personal data in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai

CARD = "4539 1488 0343 6467"
EMAIL = "explained.person@example.net"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        fake.default = Behaviour(reply="Thank you, let me check.")
        yield fake


async def converse(client: httpx.AsyncClient, tenant: TenantKeys, texts: list[str], **metadata: str) -> str:
    history: list[dict[str, str]] = []
    conversation_id: str | None = None
    for text in texts:
        history.append({"role": "user", "content": text})
        extra = {"X-Conversation-Id": conversation_id} if conversation_id else {}
        body: dict[str, Any] = {"model": "m", "messages": history, "user": "cust-explained"}
        if metadata:
            body["metadata"] = metadata
        response = await client.post(
            "/v1/chat/completions", json=body, headers=tenant.headers(Role.CHAT, **extra)
        )
        assert response.status_code == 200, response.text
        conversation_id = response.headers["x-conversation-id"]
        history.append({"role": "assistant", "content": response.json()["choices"][0]["message"]["content"]})
    assert conversation_id is not None
    return conversation_id


async def explanation(client: httpx.AsyncClient, tenant: TenantKeys, conversation_id: str) -> httpx.Response:
    return await client.get(f"/v1/conversations/{conversation_id}/explanation", headers=tenant.headers())


@pytest.mark.parametrize(
    ("locale", "card", "disclosed", "asked"),
    [
        pytest.param(
            None,
            "Your card number was hidden from the AI assistant.",
            "You were told you were chatting with an AI on ",
            "You were transferred to a person because you asked for one.",
            id="en",
        ),
        pytest.param(
            "es-ES",
            "Su número de tarjeta se ocultó al asistente de IA.",
            "Se le informó de que estaba hablando con una IA el ",
            "Se le pasó con una persona porque usted lo pidió.",
            id="es",
        ),
        pytest.param(
            "fr",
            "Votre numéro de carte a été masqué(e) pour l'assistant IA.",
            "Vous avez été informé(e) que vous parliez avec une IA le ",
            "Vous avez été mis(e) en relation avec une personne car vous l'avez demandé.",
            id="fr",
        ),
        pytest.param(
            "de-AT",
            "Ihre Angabe „Kartennummer“ wurde vor dem KI-Assistenten verborgen.",
            "Ihnen wurde am ",
            "Sie wurden an eine Person weitergeleitet, weil Sie darum gebeten haben.",
            id="de",
        ),
        pytest.param(
            "pt-BR",
            "Your card number was hidden from the AI assistant.",
            "You were told you were chatting with an AI on ",
            "You were transferred to a person because you asked for one.",
            id="fallback-en",
        ),
    ],
)
async def test_the_explanation_says_what_was_decided_in_the_customers_language(
    database_url: str,
    tenant: TenantKeys,
    fake: FakeOpenAI,
    locale: str | None,
    card: str,
    disclosed: str,
    asked: str,
) -> None:
    settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)
    metadata = {"locale": locale} if locale else {}
    async with running_app(settings) as (app, client):
        conversation_id = await converse(
            client,
            tenant,
            [
                "Hello, I need help with a payment.",
                f"My card is {CARD} and my e-mail {EMAIL}.",
                "I want to talk to a real person please",
            ],
            **metadata,
        )
        await flush_audit(app)
        response = await explanation(client, tenant, conversation_id)
        assert response.status_code == 200, response.text
        body = response.json()
        texts = [item["text"] for item in body["items"]]
        assert card in texts
        assert [text for text in texts if text.startswith(disclosed)], texts
        assert asked in texts
        # Said once each, in the order it happened: disclosure, data hidden, the handoff.
        kinds = [item["kind"] for item in body["items"]]
        assert kinds.index("disclosure") < kinds.index("pii") < kinds.index("handoff")
        assert len(texts) == len(set(texts))
        assert body["summary"].startswith(texts[0])
        flat = json.dumps(body, ensure_ascii=False)
        for value in (CARD, CARD.replace(" ", ""), EMAIL, "cust-explained", "<CREDIT_CARD"):
            assert value not in flat


async def test_opting_out_is_explained(database_url: str, tenant: TenantKeys, fake: FakeOpenAI) -> None:
    settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)
    async with running_app(settings) as (app, client):
        conversation_id = await converse(client, tenant, ["Hi there", "no bots please"])
        await flush_audit(app)
        texts = [
            item["text"] for item in (await explanation(client, tenant, conversation_id)).json()["items"]
        ]
        assert "You chose not to talk to the AI assistant; from then on, people answered you." in texts
        assert "You were transferred to a person because you chose not to talk to an AI." in texts


async def test_a_conversation_with_nothing_decided_yet(database_url: str, tenant: TenantKeys) -> None:
    policy = "input: []\noutput: []\n"
    async with running_app(make_settings(database_url)) as (app, client):
        stored = await client.put("/v1/policy", json={"document": policy}, headers=tenant.headers(Role.ADMIN))
        assert stored.status_code in (200, 201), stored.text
        conversation_id = await converse(client, tenant, ["Hello"])
        await flush_audit(app)
        body = (await explanation(client, tenant, conversation_id)).json()
        assert body["items"] == []
        assert body["summary"] == "Candor has taken no decisions about this conversation yet."


async def test_only_the_tenants_own_conversations_are_explained(
    database_url: str, tenant: TenantKeys
) -> None:
    other = await new_tenant(database_url)
    async with running_app(make_settings(database_url)) as (_, client):
        conversation_id = await converse(client, tenant, ["Hello"])
        assert (await explanation(client, other, conversation_id)).status_code == 404
        assert (await explanation(client, tenant, "no-such-conversation")).status_code == 404
        by_agent = await client.get(
            f"/v1/conversations/{conversation_id}/explanation", headers=tenant.headers(Role.AGENT)
        )
        assert by_agent.status_code == 403
        by_auditor = await client.get(
            f"/v1/conversations/{conversation_id}/explanation", headers=tenant.headers(Role.AUDITOR)
        )
        assert by_auditor.status_code == 200
