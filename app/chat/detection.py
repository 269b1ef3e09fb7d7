"""What the chat turn does with the escalation detectors' verdicts and state.

Detectors judge the newest customer message in the light of per-conversation state (see
``guardrails/handoff.py``); this module builds that state for the turn, folds the
detectors' updates back in, picks the escalation that decides the handoff (the most
severe one, with any reply Candor must say first, such as crisis resources), and notes the
bot's replies so that a bot repeating itself or failing to help is noticed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from guardrails.base import Action, Decision
from guardrails.handoff import SEVERITY_RANK
from guardrails.loop import note_bot_reply
from guardrails.pipeline import Outcome

BOT_REPLIES = "bot_replies"


@dataclass(frozen=True, slots=True)
class Escalation:
    decision: Decision  # the most severe enforced ESCALATE
    severity: str
    reply: str | None  # what Candor says first (crisis resources), if any detector has it

    @property
    def reason_code(self) -> str:
        code = self.decision.reason_code
        return code.value if code else "policy"

    def after_reply(self, text: str) -> str:
        """Candor's own words for this turn: the detector's reply (crisis resources) first."""
        return f"{self.reply}\n\n{text}" if self.reply else text


def turn_state(stored: Mapping[str, Any], pending: Mapping[str, Any] | None) -> dict[str, Any]:
    """The detector state this turn starts from: what this replica has not written yet
    wins over what the database holds."""
    return dict(pending if pending is not None else stored)


def fold_state(state: Mapping[str, Any], outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """``state`` with every detector's update applied (monitor mode and ALLOW included:
    a detector's memory does not depend on whether its verdict was enforced)."""
    folded = dict(state)
    for outcome in outcomes:
        update = outcome.decision.annotations.get("state")
        if not outcome.failed and isinstance(update, Mapping):
            folded.update(update)
    return folded


def escalation_of(outcomes: Iterable[Outcome]) -> Escalation | None:
    escalations = [
        outcome.decision
        for outcome in outcomes
        if outcome.enforced and not outcome.failed and outcome.decision.action is Action.ESCALATE
    ]
    if not escalations:
        return None
    strongest = max(escalations, key=lambda d: SEVERITY_RANK.get(str(d.annotations.get("severity")), 1))
    replies = sorted(
        (d for d in escalations if d.reply),
        key=lambda d: -SEVERITY_RANK.get(str(d.annotations.get("severity")), 1),
    )
    return Escalation(
        decision=strongest,
        severity=str(strongest.annotations.get("severity", "normal")),
        reply=replies[0].reply if replies else None,
    )


def direct_answer(outcomes: Iterable[Outcome]) -> str | None:
    """A reply Candor gives itself instead of the bot ("am I talking to a bot?")."""
    for outcome in outcomes:
        decision = outcome.decision
        if outcome.enforced and decision.reply and decision.annotations.get("answer_directly"):
            return decision.reply
    return None


def after_bot_reply(state: Mapping[str, Any], reply: str, *, key: bytes) -> dict[str, Any]:
    """The state once the bot has said ``reply`` (redacted text; only keyed hashes kept)."""
    return {**state, BOT_REPLIES: note_bot_reply(state.get(BOT_REPLIES), reply, key=key)}
