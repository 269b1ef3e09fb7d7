"""A tenant's policy: which guardrails run, in which order, in which mode, with which params.

Policies are YAML documents validated here; each guardrail's ``params`` are validated by
that guardrail's own ``Params`` model, so a bad value fails when the policy is loaded, not
on a customer's turn.
"""

from __future__ import annotations

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


class Messages(BaseModel):
    """Texts Candor says itself. Never sent through the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend_unavailable: str = (
        "I'm sorry, our assistant is having trouble answering right now. "
        "Would you like me to connect you with a person from our team?"
    )
    refused: str = "I'm sorry, I can't help with that message here. A person from our team can help you."
    handoff_queued: str = "I'm connecting you with a person from our team. Please stay in this chat."
    with_person: str = (
        "Your message has been passed on to the person helping you; their reply will appear here."
    )


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: tuple[RailConfig, ...] = ()
    output: tuple[RailConfig, ...] = ()
    default_budget_ms: float = Field(default=1000.0, gt=0)
    on_guardrail_error: OnError = OnError.REFUSE
    messages: Messages = Messages()

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
