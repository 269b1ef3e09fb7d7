"""A tenant's policy: which guardrails run, in which order, in which mode, with which params.

Policies are YAML documents validated here; each guardrail's ``params`` are validated by
that guardrail's own ``Params`` model, so a bad value fails when the policy is loaded, not
on a customer's turn.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from guardrails.base import Mode, Params
from guardrails.locale import FALLBACK, SHIPPED, customer_locale, normalize_tag, shipped_texts
from guardrails.registry import UnknownGuardrailError, guardrail_class

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")


class OnError(StrEnum):
    """What a turn does when a guardrail crashes or runs out of time (always fail closed)."""

    REFUSE = "refuse"
    HANDOFF = "handoff"


class RailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    guardrail: str
    mode: Mode = Mode.ENFORCE
    budget_ms: float | None = Field(default=None, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("guardrail")
    @classmethod
    def _known(cls, name: str) -> str:
        try:
            guardrail_class(name)
        except UnknownGuardrailError as exc:
            raise ValueError(str(exc)) from None
        return name

    @field_validator("params")
    @classmethod
    def _valid_params(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        # A field validator (not a model one) so that errors read "output.0.params.text".
        name = info.data.get("guardrail")
        if name is not None:  # an unknown name has already been reported
            guardrail_class(name).Params.model_validate(params)
        return params

    def typed_params(self) -> Params:
        return guardrail_class(self.guardrail).Params.model_validate(self.params)


_ENGLISH = shipped_texts("en").messages


class LocaleMessages(BaseModel):
    """A tenant's wording of Candor's texts for one locale; what is left out comes from
    Candor's shipped translation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend_unavailable: str | None = None
    refused: str | None = None
    handoff_queued: str | None = None
    with_person: str | None = None
    handoff_failed: str | None = None


class Messages(BaseModel):
    """Texts Candor says itself. Never sent through the model.

    The fields are the wording for ``default_locale``; ``localized()`` gives the texts
    in the customer's language: the tenant's ``locales`` entry, else Candor's shipped
    translation (en, es, fr, de; guardrails/locales/), else these fields.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend_unavailable: str = _ENGLISH.backend_unavailable
    refused: str = _ENGLISH.refused
    handoff_queued: str = _ENGLISH.handoff_queued
    with_person: str = _ENGLISH.with_person
    handoff_failed: str = _ENGLISH.handoff_failed
    default_locale: str = FALLBACK
    locales: dict[str, LocaleMessages] = Field(default_factory=dict)

    @field_validator("default_locale")
    @classmethod
    def _valid_default(cls, locale: str) -> str:
        tag = normalize_tag(locale)
        if tag is None:
            raise ValueError(f"{locale!r} is not a language tag (like 'en' or 'de-AT')")
        return tag

    @field_validator("locales")
    @classmethod
    def _valid_locales(cls, locales: dict[str, LocaleMessages]) -> dict[str, LocaleMessages]:
        valid = {}
        for locale, texts in locales.items():
            tag = normalize_tag(locale)
            if tag is None:
                raise ValueError(f"{locale!r} is not a language tag (like 'es' or 'es-MX')")
            valid[tag] = texts
        return valid

    def localized(self, locale: str | None, languages: Iterable[str] = ()) -> Messages:
        """These texts in the customer's language (``locale``, else ``languages``)."""
        available = {*SHIPPED, *self.locales, self.default_locale}
        chosen = customer_locale(locale, languages, available=available, default=self.default_locale)
        language = chosen.split("-")[0]
        shipped = shipped_texts(language).messages if language in SHIPPED else None
        override = self.locales.get(chosen)
        values: dict[str, str] = {}
        for name in LocaleMessages.model_fields:
            own = getattr(override, name) if override is not None else None
            if own is not None:
                values[name] = own
            elif (chosen == self.default_locale and name in self.model_fields_set) or shipped is None:
                values[name] = getattr(self, name)
            else:
                values[name] = getattr(shipped, name)
        return self.model_copy(update=values)


class ConsentPolicy(BaseModel):
    """Consent to AI (docs/consent-and-data-rights.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # No AI turn until the customer has opted in: until then Candor itself asks them to
    # (a person is always available on request).
    require_opt_in: bool = False


class RetentionPolicy(BaseModel):
    """How long a tenant's conversation data is kept; unset: until erased."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages_days: int | None = Field(default=None, ge=1)  # messages, and idle conversations
    vault_days: int | None = Field(default=None, ge=1)  # encrypted originals of redacted values


class OnStoreFailure(StrEnum):
    """What turns do while the audit store (the database) cannot be written."""

    FAIL_CLOSED = "fail_closed"  # no AI turn is answered until its audit can be stored
    SPOOL = "spool"  # serve on; events wait in the local spool until the database is back


class AuditPolicy(BaseModel):
    """The audit trail (docs/audit-integrity.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_store_failure: OnStoreFailure = OnStoreFailure.FAIL_CLOSED
    # Events older than this are purged, up to a signed checkpoint; unset: kept forever.
    retention_days: int | None = Field(default=None, ge=1)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: tuple[RailConfig, ...] = ()
    output: tuple[RailConfig, ...] = ()
    default_budget_ms: float = Field(default=1000.0, gt=0)
    on_guardrail_error: OnError = OnError.REFUSE
    messages: Messages = Messages()
    consent: ConsentPolicy = ConsentPolicy()
    retention: RetentionPolicy = RetentionPolicy()
    audit: AuditPolicy = AuditPolicy()

    @model_validator(mode="after")
    def _each_rail_once_per_stage(self) -> Self:
        for stage_name, rails in (("input", self.input), ("output", self.output)):
            names = [rail.guardrail for rail in rails]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{stage_name} lists {', '.join(duplicates)} more than once")
        return self


class PolicyError(ValueError):
    """A policy document that cannot be used; the message says where and why."""


def parse_policy(text: str) -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a YAML mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(problems) from None


def load_policy_file(path: Path) -> tuple[Policy, str]:
    text = path.read_text(encoding="utf-8")
    return parse_policy(text), text
