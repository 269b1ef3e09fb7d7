"""What the escalation detectors share: severities and the two verdicts they return.

Every detector (``human_request``, ``frustration``, ``sensitive_topic``, ``loop``,
``bot_question``) judges only the newest customer message, in the light of the
conversation state the app keeps for it in ``ctx.state``. A detector with state returns
the updated state in ``annotations["state"]`` as ``{<state key>: <JSON-able dict>}`` on
every verdict, ALLOW included; the app merges it into the stored state after the turn.
State never holds customer text: scores, counters and keyed hashes only.

``annotations["severity"]`` on an ESCALATE maps to the queue priority:
``low`` < ``normal`` < ``high`` < ``urgent`` (crisis).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from guardrails.base import Action, Decision, ReasonCode

Severity = Literal["low", "normal", "high", "urgent"]
SEVERITY_RANK: Mapping[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def escalate(
    guardrail: str,
    text: str,
    *,
    reason: str,
    code: ReasonCode,
    score: float,
    severity: Severity,
    state: Mapping[str, Any] | None = None,
    reply: str | None = None,
    **extra: Any,
) -> Decision:
    annotations: dict[str, Any] = {"severity": severity, **extra}
    if state is not None:
        annotations["state"] = dict(state)
    return Decision(
        guardrail=guardrail,
        action=Action.ESCALATE,
        text=text,
        reason=reason,
        score=round(min(1.0, max(0.0, score)), 3),
        reason_code=code,
        reply=reply,
        annotations=annotations,
    )


def carry_on(
    guardrail: str, text: str, *, reason: str, score: float = 0.0, state: Mapping[str, Any] | None = None
) -> Decision:
    """ALLOW, with the detector's score and updated state for the app to keep."""
    return Decision(
        guardrail=guardrail,
        action=Action.ALLOW,
        text=text,
        reason=reason,
        score=round(min(1.0, max(0.0, score)), 3),
        annotations={"state": dict(state)} if state is not None else {},
    )


def state_of(state: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The detector's own slice of the conversation state, or {} if absent or malformed."""
    value = state.get(key)
    return value if isinstance(value, Mapping) else {}
