"""The summary and fairness reports, computed from a trail of real turns: customers on two
channels, some sharing an e-mail address, some asking for a person, one of them claimed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.audit.reports import nearest_rank
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app

EMAIL_TURN = "My address for the invoice is jane.{n}@example.com"
HUMAN_TURN = "I want to talk to a human please"
PLAIN_TURN = "What are your opening hours?"


@dataclass
class Trail:
    client: httpx.AsyncClient
    app: Any
    tenant: TenantKeys
    handoffs: list[str]

    async def report(self, kind: str, **params: Any) -> dict[str, Any]:
        await flush_audit(self.app)
        response = await self.client.get(
            f"/v1/audit/reports/{kind}", headers=self.tenant.headers(Role.AUDITOR), params=params
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def events(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/audit/events", headers=self.tenant.headers(Role.AUDITOR), params={"limit": 1000, **params}
        )
        return list(response.json()["data"])


async def turn(
    client: httpx.AsyncClient, tenant: TenantKeys, conversation: str, text: str, channel: str
) -> Any:
    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(Role.CHAT, **{"X-Conversation-Id": conversation}),
        json={"messages": [{"role": "user", "content": text}], "metadata": {"channel": channel}},
    )
    assert response.status_code == 200, response.text
    return response.json()["candor"]


@pytest.fixture
async def trail(database_url: str, tenant: TenantKeys) -> AsyncIterator[Trail]:
    """web: four conversations sharing an e-mail, two of them then asking for a person
    (six turns); sms: four plain one-turn conversations. One handoff is claimed."""
    async with running_app(make_settings(database_url)) as (app, client):
        handoffs: list[str] = []
        for n in range(4):
            conversation = f"web-{uuid.uuid4().hex[:10]}"
            await turn(client, tenant, conversation, EMAIL_TURN.format(n=n), "web")
            if n < 2:
                candor = await turn(client, tenant, conversation, HUMAN_TURN, "web")
                assert candor["handoff"], candor
                handoffs.append(candor["handoff"]["id"])
        for _ in range(4):
            await turn(client, tenant, f"sms-{uuid.uuid4().hex[:10]}", PLAIN_TURN, "sms")
        claimed = await client.post(f"/v1/handoffs/{handoffs[0]}/claim", headers=tenant.headers(Role.AGENT))
        assert claimed.status_code == 200, claimed.text
        yield Trail(client=client, app=app, tenant=tenant, handoffs=handoffs)


async def test_the_summary_counts_what_happened(trail: Trail) -> None:
    report = await trail.report("summary", period="day")

    assert report["period"] == "day"
    [day] = report["data"]
    assert day["period"] == datetime.now(UTC).date().isoformat()
    assert day["turns"] == 10
    assert day["conversations"] == 8
    assert day["bot_resolved_share"] == 0.75
    assert day["redactions_by_entity"] == {"EMAIL_ADDRESS": 4}
    assert day["escalations_by_reason"] == {"customer_request": 2}
    assert day["handoff_wait_s"]["count"] == 1
    assert 0 <= day["handoff_wait_s"]["p50"] == day["handoff_wait_s"]["p90"] < 60
    shown = [
        e for e in await trail.events(guardrail="disclosure", action="annotate") if e["mode"] == "enforce"
    ]
    assert day["disclosures_shown"] == len(shown) > 0
    latency = day["guardrail_latency_ms"]
    assert {"pii", "human_request", "disclosure"} <= set(latency)
    for values in latency.values():
        assert 0 <= values["p50"] <= values["p95"]
    pii = sorted(e["latency_ms"] for e in await trail.events(guardrail="pii") if e["latency_ms"] is not None)
    assert latency["pii"] == {"p50": nearest_rank(pii, 0.5), "p95": nearest_rank(pii, 0.95)}


async def test_a_week_holds_the_same_counts_as_its_days(trail: Trail) -> None:
    days = await trail.report("summary", period="day")
    weeks = await trail.report("summary", period="week")

    [week] = weeks["data"]
    monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    assert week["period"] == monday.isoformat()
    assert week["turns"] == sum(day["turns"] for day in days["data"])
    assert week["redactions_by_entity"] == {"EMAIL_ADDRESS": 4}


async def test_a_window_without_events_reports_nothing(trail: Trail) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)

    report = await trail.report(
        "summary", since=long_ago.isoformat(), until=(long_ago + timedelta(days=3)).isoformat()
    )

    assert report["data"] == []


def metrics_of(report: dict[str, Any], segment: str) -> dict[str, Any]:
    [row] = [row for row in report["data"] if row["value"] == segment]
    return dict(row["metrics"])


async def test_fairness_flags_the_segment_treated_worse(trail: Trail) -> None:
    report = await trail.report("fairness", segment="channel", min_samples=2)

    assert report["threshold"] == 0.8
    web, sms = metrics_of(report, "web"), metrics_of(report, "sms")
    assert web["redaction_rate"] == {"value": 0.6667, "samples": 6, "disparity_ratio": 1.0, "flag": False}
    assert sms["redaction_rate"] == {"value": 0.0, "samples": 4, "disparity_ratio": 0.0, "flag": True}
    assert web["escalation_rate"]["value"] == 0.3333
    assert sms["escalation_rate"]["flag"] is True
    assert web["handoff_rate"]["value"] == 0.5
    assert sms["handoff_rate"] == {"value": 0.0, "samples": 4, "disparity_ratio": 0.0, "flag": True}
    # Nobody was refused: every segment is as well treated as the best.
    assert web["block_rate"]["disparity_ratio"] == sms["block_rate"]["disparity_ratio"] == 1.0
    assert not web["block_rate"]["flag"] and not sms["block_rate"]["flag"]
    assert web["wait_p50_s"]["samples"] == 1 and sms["wait_p50_s"]["value"] is None
    assert report["best"]["redaction_rate"] == "web"


async def test_small_segments_are_reported_but_not_flagged(trail: Trail) -> None:
    report = await trail.report("fairness", segment="channel", min_samples=5)

    sms = metrics_of(report, "sms")
    assert sms["redaction_rate"]["disparity_ratio"] == 0.0
    assert sms["redaction_rate"]["flag"] is False  # four turns are too few to judge
    # No segment has five conversations, so none can be the yardstick for handoffs.
    assert report["best"]["handoff_rate"] is None
    assert metrics_of(report, "web")["handoff_rate"]["disparity_ratio"] is None


async def test_events_without_the_segment_are_unspecified(trail: Trail) -> None:
    report = await trail.report("fairness", segment="locale", min_samples=2)

    assert [row["value"] for row in report["data"]] == ["unspecified"]
    assert report["data"][0]["turns"] == 10


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        pytest.param("summary", {"period": "month"}, id="unknown-period"),
        pytest.param(
            "summary", {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, id="backwards"
        ),
        pytest.param("summary", {"since": "last tuesday"}, id="since-not-a-time"),
        pytest.param("fairness", {"segment": "shoe_size"}, id="unknown-segment"),
        pytest.param("fairness", {"min_samples": 0}, id="min-samples-zero"),
    ],
)
async def test_bad_report_parameters_are_400(trail: Trail, kind: str, params: dict[str, Any]) -> None:
    response = await trail.client.get(
        f"/v1/audit/reports/{kind}", headers=trail.tenant.headers(Role.AUDITOR), params=params
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_reports_are_the_auditors_own_tenant_and_role(trail: Trail, database_url: str) -> None:
    other = await new_tenant(database_url)

    response = await trail.client.get("/v1/audit/reports/summary", headers=other.headers(Role.AUDITOR))
    denied = await trail.client.get("/v1/audit/reports/fairness", headers=trail.tenant.headers(Role.AGENT))

    assert response.status_code == 200 and response.json()["data"] == []
    assert denied.status_code == 403


async def test_reading_a_report_is_audited(trail: Trail) -> None:
    await trail.report("fairness", segment="region", min_samples=3)
    await flush_audit(trail.app)

    reads = await trail.events(event_type="audit.read", action="report.fairness")

    assert len(reads) == 1
    assert reads[0]["details"]["segment"] == "region"
    assert reads[0]["actor"].startswith("key:")
