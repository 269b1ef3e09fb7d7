"""AI disclosure: the customer is told, at the latest with the first AI reply, that they
are talking to an AI system (EU AI Act Art. 50; California B&P 17941).

An output guardrail: it prefixes the reply with the tenant's disclosure text on the first
AI turn of a conversation (and, if the policy says so, on every AI turn) and reports the
text and its version so the app can put it in ``candor.disclosure``, the
``X-AI-Disclosure`` header and the audit trail.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from pydantic import Field

from guardrails.base import Action, Decision, Params, TurnContext, allow
from guardrails.resources import Resources

DEFAULT_TEXT = "You are chatting with an AI assistant, not a person. You can ask for a person at any time."


class DisclosureParams(Params):
    text: str = Field(default=DEFAULT_TEXT, min_length=10, max_length=500)
    every_turn: bool = False


class DisclosureGuardrail:
    name: ClassVar[str] = "disclosure"
    Params: ClassVar[type[DisclosureParams]] = DisclosureParams

    def __init__(self, *, params: DisclosureParams, resources: Resources) -> None:
        self._text = params.text.strip()
        self._every_turn = params.every_turn
        # The version of the wording shown, so an auditor can tell which text a customer saw.
        self._version = hashlib.sha256(self._text.encode()).hexdigest()[:12]

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        due = ctx.is_first_ai_turn or self._every_turn
        if not due or ctx.segment != 0:
            return allow(self.name, text, "disclosure already given in this conversation")
        return Decision(
            guardrail=self.name,
            action=Action.ANNOTATE,
            text=f"{self._text}\n\n{text}",
            reason="AI disclosure shown" + (" (first AI turn)" if ctx.is_first_ai_turn else ""),
            annotations={"disclosure": self._text, "disclosure_version": self._version},
        )
