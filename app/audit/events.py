"""Building audit events. Every builder takes ids, names and numbers, never customer text.

An event is a plain dict of ``AuditEvent`` columns, ready for a batched insert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.db import utcnow
from guardrails.pipeline import Outcome


@dataclass(frozen=True, slots=True)
class AuditScope:
    """Who and where: the fields every event of one turn shares."""

    tenant_id: str
    request_id: str | None
    conversation_id: str | None = None
    customer_pseudonym: str | None = None
    policy_version: int | None = None
    channel: str | None = None
    locale: str | None = None
    region: str | None = None

    def event(
        self,
        event_type: str,
        *,
        actor: str,
        reason: str = "",
        action: str | None = None,
        reason_code: str | None = None,
        score: float | None = None,
        latency_ms: float | None = None,
        details: dict[str, Any] | None = None,
        **columns: Any,
    ) -> dict[str, Any]:
        return {
            # Unique per event: the spool replays by it without storing anything twice.
            "event_uid": uuid.uuid4().hex,
            "tenant_id": self.tenant_id,
            "occurred_at": utcnow(),
            "event_type": event_type,
            "request_id": self.request_id,
            "conversation_id": self.conversation_id,
            "customer_pseudonym": self.customer_pseudonym,
            "policy_version": self.policy_version,
            "channel": self.channel,
            "locale": self.locale,
            "region": self.region,
            "actor": actor,
            "reason": reason,
            "action": action,
            "reason_code": reason_code,
            "score": score,
            "latency_ms": round(latency_ms, 3) if latency_ms is not None else None,
            "findings": columns.pop("findings", []),
            "details": details or {},
            "stage": columns.pop("stage", None),
            "guardrail": columns.pop("guardrail", None),
            "mode": columns.pop("mode", None),
        }


def decision_event(
    scope: AuditScope, outcome: Outcome, *, message_index: int | None = None
) -> dict[str, Any]:
    decision = outcome.decision
    details: dict[str, Any] = {}
    if outcome.failed:
        details["failed"] = True
    if message_index is not None:
        details["message_index"] = message_index
    # Annotations are facts such as the disclosure version; only scalar ones are kept, and
    # the disclosure text itself is the tenant's wording, not customer data.
    for key, value in decision.annotations.items():
        if isinstance(value, (str, int, float, bool)):
            details[key] = value
    return scope.event(
        "guardrail.decision",
        actor=decision.guardrail,
        guardrail=decision.guardrail,
        stage=outcome.stage.value,
        mode=outcome.mode.value,
        action=decision.action.value,
        reason_code=decision.reason_code.value if decision.reason_code else None,
        reason=decision.reason,
        score=decision.score,
        latency_ms=outcome.latency_ms,
        findings=[
            {
                "entity_type": f.entity_type,
                "start": f.start,
                "end": f.end,
                "score": round(f.score, 4),
                "detector": f.detector,
            }
            for f in decision.findings
        ],
        details=details,
    )
