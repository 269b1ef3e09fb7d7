"""The ``sensitive_topic`` input guardrail: situations a bot must not handle alone.

Topics are data: ``guardrails/lexicons/<topic>.yaml`` (self-harm, medical emergency,
legal threats, bereavement, financial hardship, vulnerability, fraud / account takeover,
harassment and abuse), matched with the stemmed, order-tolerant rules of
``guardrails.lexicon``. A match escalates with the lexicon's reason code and severity;
for self-harm and medical emergencies Candor's own ``reply`` (crisis resources, "call
your local emergency number") goes to the customer before anything else, and the
handoff is ``urgent``.

Stateless: it judges the newest message only, so an old message never fires twice.
Annotations on ESCALATE: ``severity``, ``topics`` (every topic matched, most severe first).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from guardrails.base import Decision, Params, ReasonCode, TurnContext
from guardrails.handoff import SEVERITY_RANK, Severity, carry_on, escalate
from guardrails.lexicon import LEXICON_DIR, Topic, available_topics, clauses, compile_rule, load_topic
from guardrails.resources import Resources

CRISIS_REPLY = (
    "I'm really sorry you're going through this, and I want to make sure you get support right now. "
    "If you are in immediate danger, please call your local emergency number. You can also talk to a "
    "free, confidential crisis line in your country (findahelpline.com lists them). "
    "I'm connecting you with a person from our team now."
)
EMERGENCY_REPLY = (
    "If someone is hurt or in danger, please call your local emergency number now. "
    "I'm connecting you with a person from our team."
)


class SensitiveTopicParams(Params):
    topics: tuple[str, ...] = tuple(available_topics())
    severity: dict[str, Severity] = Field(default_factory=dict)  # topic -> override
    extra_phrases: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # topic -> rules
    crisis_reply: str = Field(default=CRISIS_REPLY, min_length=20, max_length=1000)
    emergency_reply: str = Field(default=EMERGENCY_REPLY, min_length=20, max_length=1000)

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(available_topics()))
        if unknown:
            raise ValueError(f"unknown topics {unknown}; available: {available_topics()}")
        return value

    @field_validator("extra_phrases")
    @classmethod
    def _valid_rules(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for rules in value.values():
            for rule in rules:
                compile_rule(rule)  # an empty rule fails the policy, not a turn
        return value

    @model_validator(mode="after")
    def _overrides_for_enabled_topics(self) -> SensitiveTopicParams:
        stray = sorted((set(self.severity) | set(self.extra_phrases)) - set(self.topics))
        if stray:
            raise ValueError(f"severity/extra_phrases given for topics not enabled: {stray}")
        return self


class SensitiveTopicGuardrail:
    name: ClassVar[str] = "sensitive_topic"
    Params: ClassVar[type[SensitiveTopicParams]] = SensitiveTopicParams

    def __init__(self, *, params: SensitiveTopicParams, resources: Resources) -> None:
        self._params = params
        topics = [
            load_topic(LEXICON_DIR / f"{name}.yaml", extra=params.extra_phrases.get(name, ()))
            for name in params.topics
        ]
        # Most severe first, crisis before anything else of the same severity, so the
        # first match decides the reason code, severity and reply.
        self._topics: list[tuple[Topic, Severity]] = sorted(
            ((t, params.severity.get(t.spec.topic, t.spec.severity)) for t in topics),
            key=lambda ts: (
                -SEVERITY_RANK[ts[1]],
                ts[0].spec.reason_code is not ReasonCode.CRISIS,
                # Self-harm's crisis reply (which also says to call the emergency number)
                # wins over the emergency reply when both match ("I took all my pills").
                ts[0].spec.reply != "crisis",
            ),
        )

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        parts = clauses(text)
        matched = [(topic, severity) for topic, severity in self._topics if topic.match(parts)]
        if not matched:
            return carry_on(self.name, text, reason="no sensitive topic")
        top, severity = matched[0]
        names = [t.spec.topic for t, _ in matched]
        reply = {"crisis": self._params.crisis_reply, "emergency": self._params.emergency_reply}.get(
            top.spec.reply
        )
        crisis = top.spec.reason_code is ReasonCode.CRISIS
        return escalate(
            self.name,
            text,
            reason=f"sensitive topic: {', '.join(names)}",
            code=top.spec.reason_code,
            score=1.0 if crisis else 0.9,
            severity=severity,
            reply=reply,
            topics=names,
        )
