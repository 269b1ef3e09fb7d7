"""The ``sensitive_topic`` input guardrail: situations a bot must not handle alone.

Topics are data: ``guardrails/lexicons/<topic>.yaml`` (self-harm, medical emergency,
legal threats, bereavement, financial hardship, vulnerability, fraud / account takeover,
harassment and abuse), matched with the stemmed, order-tolerant rules of
``guardrails.lexicon``. A match escalates with the lexicon's reason code and severity;
for self-harm and medical emergencies Candor's own ``reply`` (crisis resources, "call
your local emergency number") goes to the customer before anything else, and the
handoff is ``urgent``.

When no crisis lexicon matches, the escalation classifier (``guardrails.text_classifier``)
gives a second opinion on self-harm and medical emergencies only: a crisis probability at
or above the policy's threshold adds the crisis topic (its medical head picks which), with
the same reply and urgency. The other topics are the lexicons alone. The classifier's
``escalation`` head (does this message need a person for any reason?) can also silence a
non-crisis topic's lexicon match on a message it finds plainly ordinary ("can I pay my
solicitor's invoice by card?"): below ``topic_veto``, chosen by cross-validation as the
largest that silenced no labelled match. Crisis matches are never vetoed, and a tenant's
own ``extra_phrases`` are never second-guessed.

Stateless: it judges the newest message only, so an old message never fires twice.
Annotations on ESCALATE: ``severity``, ``topics`` (every topic matched, most severe first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from guardrails.base import Decision, Params, ReasonCode, TurnContext
from guardrails.handoff import SEVERITY_RANK, Severity, carry_on, escalate
from guardrails.lexicon import (
    LEXICON_DIR,
    Clause,
    Topic,
    available_topics,
    clauses,
    compile_rule,
    default_topic,
    load_topic,
)
from guardrails.resources import Resources
from guardrails.text_classifier import ModelOpinion

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
    # The classifier finds crisis messages the lexicons miss (self-harm and medical
    # emergencies only; the other topics are rules alone), and vetoes the other topics'
    # matches on plainly ordinary messages. On one or two words ("sure") a couple of
    # n-grams decide: those are the lexicons' alone.
    model: ModelOpinion = ModelOpinion(min_words=3)

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
            load_topic(LEXICON_DIR / f"{name}.yaml", extra=params.extra_phrases[name])
            if name in params.extra_phrases
            else default_topic(name)
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
        self._model = params.model.bind("crisis")

    def _model_crisis(self, text: str, parts: Sequence[Clause]) -> tuple[Topic, Severity] | None:
        """The crisis topic the classifier sees in ``text`` (one it judges).

        Silent where a crisis lexicon's ``unless`` rules know the wording as something
        else ("I won't need it anymore, I'm moving house"): the model reads n-grams and
        cannot tell those look-alikes from the oblique real thing."""
        assert self._model is not None
        if any(t.spec.reason_code is ReasonCode.CRISIS and t.excepted(parts) for t, _ in self._topics):
            return None
        if self._model.score(text) < self._model.threshold:
            return None
        # The medical head tells an emergency from self-harm; both replies say to call
        # the local emergency number, so a wrong guess still gives safe advice.
        name = (
            "medical_emergency" if self._model.model.scores(text)["medical_emergency"] >= 0.5 else "self_harm"
        )
        return next(((t, s) for t, s in self._topics if t.spec.topic == name), None)

    def _vetoed(self, text: str, matched: list[tuple[Topic, Severity]]) -> list[tuple[Topic, Severity]]:
        """The non-crisis lexicon matches the classifier finds no reason to escalate: a topic
        word in an ordinary message ("my solicitor's invoice", "the stalker thriller")."""
        assert self._model is not None
        if not matched:
            return []
        model = self._model.model
        needs_person = model.scores(text)["escalation"]

        def veto(topic: Topic) -> bool:
            if topic.spec.reason_code is ReasonCode.CRISIS:
                return False  # a silenced crisis costs most: the lexicon has the last word
            if topic.spec.topic in self._params.extra_phrases:
                return False  # the tenant's own phrases: its call, not the model's
            return needs_person < model.thresholds["topic_veto"]

        return [(t, s) for t, s in matched if veto(t)]

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        parts = clauses(text)
        matched = [(topic, severity) for topic, severity in self._topics if topic.match(parts)]
        # The classifier has its say only where it is on and the message is long enough.
        judged = self._model is not None and self._params.model.judges(text)
        vetoed = self._vetoed(text, matched) if judged else []
        matched = [m for m in matched if m not in vetoed]
        by_model = False
        if judged and not any(t.spec.reason_code is ReasonCode.CRISIS for t, _ in matched):
            found = self._model_crisis(text, parts)
            if found is not None:
                matched.insert(0, found)
                by_model = True
        if not matched:
            if vetoed:
                silenced = ", ".join(t.spec.topic for t, _ in vetoed)
                return carry_on(self.name, text, reason=f"lexicon match vetoed by the model: {silenced}")
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
            reason=f"sensitive topic: {', '.join(names)}{' (model)' if by_model else ''}",
            code=top.spec.reason_code,
            score=1.0 if crisis else 0.9,
            severity=severity,
            reply=reply,
            topics=names,
        )
