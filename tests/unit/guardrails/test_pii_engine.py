import asyncio
import socket
import sys

import pytest

from guardrails.pii_engine import SUPPORTED_ENTITIES, PiiEngine, build_pii_engine
from guardrails.resources import CpuRunner

FORBIDDEN = ("fastapi", "sqlalchemy", "httpx", "starlette")


def test_builds_and_detects_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    engine = build_pii_engine(cache_size=10)
    engine.warm_up()
    spans = engine.analyze_sync("write to someone@example.co.uk")
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS"]


def test_spans_cover_every_supported_entity(pii_engine: PiiEngine) -> None:
    text = (
        "I'm Maria Gonzalez from Chicago, maria@example.com, (415) 555-0134, card 4111 1111 1111 1111, "
        "IBAN GB82 WEST 1234 5698 7654 32, SSN 536-22-1234, IP 84.17.2.201, 742 Evergreen Terrace, "
        "checking account 12345678901, passport number C03005988, DOB: 12/05/1985"
    )
    found = {s.entity_type for s in pii_engine.analyze_sync(text)}
    assert found == set(SUPPORTED_ENTITIES)


@pytest.mark.asyncio
async def test_cache_makes_resent_history_free(
    pii_engine: PiiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu = CpuRunner(max_workers=2)
    calls: list[int] = []
    original = pii_engine.analyze_many_sync

    def counting(texts: list[str]) -> object:
        calls.append(len(texts))
        return original(texts)

    monkeypatch.setattr(pii_engine._batcher, "_process", counting)
    history = [f"message number {i} from Ann Lee" for i in range(50)]
    for text in history:
        await pii_engine.analyze(text, cpu=cpu)
    before = sum(calls)
    for text in [*history, "a brand new message"]:
        await pii_engine.analyze(text, cpu=cpu)
    cpu.close()
    assert sum(calls) - before == 1


@pytest.mark.asyncio
async def test_concurrent_messages_are_batched(
    pii_engine: PiiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu = CpuRunner(max_workers=2)
    batches: list[int] = []
    original = pii_engine.analyze_many_sync

    def counting(texts: list[str]) -> object:
        batches.append(len(texts))
        return original(texts)

    monkeypatch.setattr(pii_engine._batcher, "_process", counting)
    texts = [f"batch test {i}: call Tom Baker on (415) 555-01{i:02d}" for i in range(16)]
    results = await asyncio.gather(*(pii_engine.analyze(t, cpu=cpu) for t in texts))
    cpu.close()
    assert len(batches) < 16
    assert all(any(s.entity_type == "PHONE_NUMBER" for s in spans) for spans in results)


def test_library_imports_no_web_or_db_package() -> None:
    import guardrails.pii
    import guardrails.pii_leak  # noqa: F401

    assert not [name for name in sys.modules if name.split(".")[0] in FORBIDDEN and "guardrails" in name]
    for name, module in list(sys.modules.items()):
        if name.startswith("guardrails"):
            source = getattr(module, "__file__", "") or ""
            if source.endswith(".py"):
                with open(source, encoding="utf-8") as handle:
                    code = handle.read()
                assert not any(f"import {pkg}" in code or f"from {pkg}" in code for pkg in FORBIDDEN), name
