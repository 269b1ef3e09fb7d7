"""Explanations from audit events, without a database: which decisions are told, in which
words and language, and that nothing but fixed templates reaches the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.audit.models import AuditEvent
from app.customers.explanation import explain_events
from guardrails.locale import SHIPPED, customer_locale, shipped_texts

T0 = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)


def event(event_type: str, seconds: int = 0, **columns: Any) -> AuditEvent:
    values: dict[str, Any] = {"findings": [], "details": {}, "mode": "enforce", **columns}
    return AuditEvent(event_type=event_type, occurred_at=T0 + timedelta(seconds=seconds), **values)


def decision(guardrail: str, action: str, seconds: int = 0, **columns: Any) -> AuditEvent:
    return event("guardrail.decision", seconds, guardrail=guardrail, action=action, **columns)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [decision("disclosure", "annotate"), decision("disclosure", "annotate", 60)],
            [("disclosure", "You were told you were chatting with an AI on 2026-11-24 10:02 UTC.")],
            id="disclosure-once",
        ),
        pytest.param(
            [decision("pii", "redact", findings=[{"entity_type": "EMAIL_ADDRESS"}, {"entity_type": "NORP"}])],
            [
                ("pii", "Your e-mail address was hidden from the AI assistant."),
                ("pii", "Some of your personal details were hidden from the AI assistant."),
            ],
            id="pii-known-and-unknown-types",
        ),
        pytest.param(
            [decision("pii", "redact", mode="monitor", findings=[{"entity_type": "PERSON"}])],
            [],
            id="monitor-mode-changed-nothing",
        ),
        pytest.param(
            [decision("pii_leak", "redact")],
            [("pii", "Personal details in the AI assistant's reply that you had not given were hidden.")],
            id="leak",
        ),
        pytest.param(
            [decision("impersonation", "redact")],
            [
                (
                    "impersonation",
                    "A reply in which the AI assistant seemed to claim to be a person was corrected.",
                )
            ],
            id="impersonation",
        ),
        pytest.param(
            [decision("frustration", "block", details={"failed": True})],
            [
                (
                    "safety_check",
                    "A safety check could not be completed, so your message was not passed on to the "
                    "AI assistant.",
                )
            ],
            id="failed-closed",
        ),
        pytest.param(
            [event("handoff.queued", actor="sensitive_topic", reason_code="crisis")],
            [
                (
                    "handoff",
                    "You were transferred to a person because something you wrote suggested you might need "
                    "urgent help.",
                )
            ],
            id="crisis",
        ),
        pytest.param(
            [event("handoff.queued", actor="consent", reason_code="customer_request")],
            [("handoff", "You were transferred to a person because you chose not to talk to an AI.")],
            id="opted-out-before",
        ),
        pytest.param(
            [event("handoff.queued", actor="x", reason_code="something_new")],
            [("handoff", "You were transferred to a person because the company's rules ask for one here.")],
            id="unknown-reason-code",
        ),
        pytest.param(
            [
                event("handoff.claimed"),
                event("handoff.handed_back", 1),
                event("handoff.resolved", 2, details={"why": "consent_opt_in"}),
                event("turn.received", 3),
                event("backend.call", 4),
            ],
            [
                ("handoff", "A person from our team joined the conversation."),
                ("handoff", "The person handed the conversation back to the AI assistant."),
            ],
            id="handoff-moves-and-silent-events",
        ),
        pytest.param(
            [event("consent.changed", action="opt_out"), event("consent.changed", 1, action="opt_in")],
            [
                ("consent", "You chose not to talk to the AI assistant; from then on, people answered you."),
                ("consent", "You agreed to talk to the AI assistant."),
            ],
            id="consent",
        ),
    ],
)
def test_what_each_event_says(events: list[AuditEvent], expected: list[tuple[str, str]]) -> None:
    body = explain_events(events, locale="en")
    assert [(item["kind"], item["text"]) for item in body["items"]] == expected


def test_every_language_has_every_sentence_and_entity() -> None:
    for language in SHIPPED:
        texts, english = shipped_texts(language).explanation, shipped_texts("en").explanation
        assert set(texts.sentences) == set(english.sentences)
        assert set(texts.entities) == set(english.entities)
        assert shipped_texts(language).consent.opted_out


@pytest.mark.parametrize(
    ("locale", "language"),
    [("es-MX", "es"), ("fr_CA", "fr"), ("DE", "de"), ("pt-BR", "en"), (None, "en"), ("", "en")],
)
def test_the_language_of_a_locale(locale: str | None, language: str) -> None:
    assert customer_locale(locale, ()) == language


def test_nothing_decided() -> None:
    body = explain_events([], locale="fr-FR")
    assert body == {
        "language": "fr",
        "summary": "Candor n'a encore pris aucune décision sur cette conversation.",
        "items": [],
    }
