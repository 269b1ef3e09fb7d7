"""A fake e-mail address and phone number go through whole turns (plain, streamed, and a
failing backend); neither appears in any log record or audit row."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.ops.logging import JsonFormatter
from tests.conftest import TenantKeys, flush_audit, make_settings, running_app
from tests.support.fake_openai import Behaviour, serve_fake_openai

EMAIL = "maria.gonzalez.test@example.org"
PHONE = "+1 415 555 0137"
SECRETS = (EMAIL, PHONE, "415 555 0137", "maria.gonzalez")


def turn(stream: bool) -> dict[str, Any]:
    return {
        "model": "m",
        "stream": stream,
        "user": EMAIL,  # customers are sometimes identified by their e-mail
        "messages": [{"role": "user", "content": f"Hi, I'm reachable at {EMAIL} or {PHONE}, order 12345."}],
    }


async def test_no_customer_text_in_logs_or_audit(
    database_url: str, tenant: TenantKeys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve_fake_openai() as fake:
        fake.script = [
            Behaviour(reply=f"I will write to {EMAIL}."),
            Behaviour(status=500),
            Behaviour(status=500),
        ]
        fake.default = Behaviour(reply="Noted.")
        settings = make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=1)
        async with running_app(settings) as (app, client):
            for stream in (False, True, False):
                response = await client.post(
                    "/v1/chat/completions", json=turn(stream), headers=tenant.headers()
                )
                assert response.status_code == 200
            await flush_audit(app)
            async with app.state.candor.sessionmaker() as session:
                rows = (
                    await session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id))
                ).all()

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert caplog.records, "the turn should have logged something (requests, the backend failure)"
    audit_dump = json.dumps(
        [
            {column: str(getattr(row, column)) for column in AuditEvent.__table__.columns.keys()}
            for row in rows
        ]
    )
    assert rows
    for secret in SECRETS:
        assert secret not in logged
        assert secret not in audit_dump
