"""AI disclosure: the customer is told, at the latest with the first AI reply, that they
are talking to an AI system (EU AI Act Art. 50; California B&P 17941).

An output guardrail: it prefixes the reply with the disclosure on the first AI turn of a
conversation (and, if the policy says so, on every AI turn) and reports the text, its
version and its locale so the app can put them in ``candor.disclosure``, the
``X-AI-Disclosure`` header and the audit trail.

The wording is chosen per customer: ``ctx.locale`` (the request's ``metadata.locale``),
else the ``Accept-Language`` preferences in ``ctx.languages``, else the tenant's
``default_locale``; a locale without a text falls back by language (``es-MX`` -> ``es``).
English, Spanish, French and German ship with Candor (guardrails/locales/); a tenant's
``texts`` replace or add to them. Nothing the customer writes can switch it off: the
guardrail reads the policy and the turn's position, never the conversation's text.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator

from guardrails.base import Action, Decision, Params, TurnContext, allow
from guardrails.locale import FALLBACK, customer_locale, normalize_tag, shipped_disclosures
from guardrails.resources import Resources

DEFAULT_TEXT = shipped_disclosures()[FALLBACK]
_MIN, _MAX = 10, 500


class DisclosureParams(Params):
    # The tenant's wording per locale ({"en": ..., "es-MX": ...}); locales not listed use
    # Candor's shipped text for their language.
    texts: dict[str, str] = Field(default_factory=dict)
    # The wording for ``default_locale`` (kept for policies written before ``texts``).
    text: str | None = Field(default=None, min_length=_MIN, max_length=_MAX)
    # Spoken when nothing the customer sent names a language Candor has a text for.
    default_locale: str = FALLBACK
    every_turn: bool = False

    @field_validator("texts")
    @classmethod
    def _valid_texts(cls, texts: dict[str, str]) -> dict[str, str]:
        valid: dict[str, str] = {}
        for locale, text in texts.items():
            tag = normalize_tag(locale)
            if tag is None:
                raise ValueError(f"{locale!r} is not a language tag (like 'es' or 'es-MX')")
            if not _MIN <= len(text.strip()) <= _MAX:
                raise ValueError(f"the text for {locale!r} must be {_MIN} to {_MAX} characters")
            valid[tag] = text.strip()
        return valid

    @field_validator("default_locale")
    @classmethod
    def _valid_default(cls, locale: str) -> str:
        tag = normalize_tag(locale)
        if tag is None:
            raise ValueError(f"{locale!r} is not a language tag (like 'en' or 'de-AT')")
        return tag

    @model_validator(mode="after")
    def _one_text_per_locale(self) -> Self:
        if self.text is not None and self.default_locale in self.texts:
            raise ValueError(
                f"give the {self.default_locale!r} wording either as 'text' or in 'texts', not both"
            )
        return self


def text_version(text: str) -> str:
    """A short digest of the wording, so an auditor can tell which text a customer saw."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class DisclosureGuardrail:
    name: ClassVar[str] = "disclosure"
    Params: ClassVar[type[DisclosureParams]] = DisclosureParams

    def __init__(self, *, params: DisclosureParams, resources: Resources) -> None:
        texts = {**shipped_disclosures(), **params.texts}
        if params.text is not None:
            texts[params.default_locale] = params.text.strip()
        self._default = customer_locale(params.default_locale, (), available=texts, default=FALLBACK)
        self._texts = texts
        self._versions = {locale: text_version(text) for locale, text in texts.items()}
        self._every_turn = params.every_turn

    def locale_for(self, ctx: TurnContext) -> str:
        return customer_locale(ctx.locale, ctx.languages, available=self._texts, default=self._default)

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        if ctx.segment != 0:  # the rest of a stream: the first piece said all there is
            return allow(self.name, text, "disclosure is decided on the first piece of a reply")
        locale = self.locale_for(ctx)
        notice = self._texts[locale]
        if not (ctx.is_first_ai_turn or self._every_turn):
            # Not repeated in the text, but every AI reply still names it (the
            # X-AI-Disclosure header): ``disclosure_notice``, without ``disclosure``.
            return Decision(
                guardrail=self.name,
                action=Action.ALLOW,
                text=text,
                reason="disclosure already given in this conversation",
                annotations={"disclosure_notice": notice, "disclosure_locale": locale},
            )
        return Decision(
            guardrail=self.name,
            action=Action.ANNOTATE,
            text=f"{notice}\n\n{text}",
            reason="AI disclosure shown" + (" (first AI turn)" if ctx.is_first_ai_turn else ""),
            annotations={
                "disclosure": notice,
                "disclosure_notice": notice,
                "disclosure_version": self._versions[locale],
                "disclosure_locale": locale,
            },
        )
