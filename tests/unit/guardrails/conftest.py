"""Shared fixtures: one real Presidio engine per test session (it takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guardrails.base import Stage, TurnContext
from guardrails.pii_engine import PII_ENGINE, PiiEngine, build_pii_engine
from guardrails.pii_tokens import PiiTokens
from guardrails.resources import CpuRunner, Resources


@pytest.fixture(scope="session")
def pii_engine() -> PiiEngine:
    engine = build_pii_engine()
    engine.warm_up()
    return engine


@pytest.fixture
def resources(pii_engine: PiiEngine) -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=2)
    yield Resources(cpu=cpu, hmac_key=b"k" * 32, engines={PII_ENGINE: pii_engine})
    cpu.close()


def make_ctx(tokens: PiiTokens | None = None, *, stage: Stage = Stage.INPUT) -> TurnContext:
    state = {"pii_tokens": tokens} if tokens is not None else {}
    return TurnContext(tenant_id="t1", conversation_id="c1", stage=stage, state=state)


@pytest.fixture
def light_resources() -> Iterator[Resources]:
    """For guardrails that need no NLP engine (the escalation detectors)."""
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu)
    cpu.close()
