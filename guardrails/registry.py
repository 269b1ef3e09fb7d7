"""Guardrail name -> class, built once from an explicit list.

An unknown name is an error when a policy is loaded, never a silent skip: a typo in a
policy must not switch a guardrail off.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from guardrails.base import Decision, Params, TurnContext
from guardrails.resources import Resources


class GuardrailClass(Protocol):
    name: ClassVar[str]
    Params: ClassVar[type[Params]]

    def __init__(self, *, params: Any, resources: Resources) -> None: ...

    async def check(self, text: str, ctx: TurnContext) -> Decision: ...


# name -> "module:Class". Imported lazily so that a policy without the PII rail never
# pays for importing Presidio and spaCy.
_KNOWN: Mapping[str, str] = {
    "normalize": "guardrails.normalize:NormalizeGuardrail",
    "pii": "guardrails.pii:PiiGuardrail",
    "pii_leak": "guardrails.pii_leak:PiiLeakGuardrail",
    "disclosure": "guardrails.disclosure:DisclosureGuardrail",
    "impersonation": "guardrails.impersonation:ImpersonationGuardrail",
    "human_request": "guardrails.human_request:HumanRequestGuardrail",
    "frustration": "guardrails.frustration:FrustrationGuardrail",
    "sensitive_topic": "guardrails.sensitive_topic:SensitiveTopicGuardrail",
    "loop": "guardrails.loop:LoopGuardrail",
    "bot_question": "guardrails.bot_question:BotQuestionGuardrail",
    "ai_consent": "guardrails.ai_consent:AiConsentGuardrail",
}


class UnknownGuardrailError(LookupError):
    pass


def known_names() -> list[str]:
    return sorted(_KNOWN)


def guardrail_class(name: str) -> type[GuardrailClass]:
    try:
        target = _KNOWN[name]
    except KeyError:
        raise UnknownGuardrailError(
            f"unknown guardrail {name!r}; known: {', '.join(known_names())}"
        ) from None
    module_name, class_name = target.split(":")
    cls: type[GuardrailClass] = getattr(importlib.import_module(module_name), class_name)
    return cls
