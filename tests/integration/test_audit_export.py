"""Exporting the audit trail: NDJSON and CSV streamed with a signed manifest, checked by the
offline script; any one-byte change fails it; 100,000 events stream in flat memory."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import json
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.audit.checkpoints import write_checkpoint
from app.audit.export import export_events
from app.audit.query import EventFilter
from app.db import create_engine, create_sessionmaker
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app
from tests.support.audit_seed import seed_events

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_audit_export.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_audit_export", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VERIFY = load_script()


def verdict(data: bytes, public_key: str) -> str:
    """The script's verdict on ``data``: its OK line, or the reason it failed."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
    try:
        return str(VERIFY.verify(data, key))
    except VERIFY.Bad as problem:
        return f"FAILED: {problem}"
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as problem:
        return f"FAILED: malformed ({type(problem).__name__})"


@dataclass
class Trail:
    app: Any
    client: httpx.AsyncClient
    tenant: TenantKeys
    conversations: list[str]
    public_key: str

    async def export(self, **params: Any) -> httpx.Response:
        await flush_audit(self.app)
        response = await self.client.get(
            "/v1/audit/export", headers=self.tenant.headers(Role.AUDITOR), params=params
        )
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
async def trail(database_url: str, tenant: TenantKeys) -> AsyncIterator[Trail]:
    async with running_app(make_settings(database_url)) as (app, client):
        conversations = [f"exp-{uuid.uuid4().hex[:10]}" for _ in range(2)]
        for text in ("Hello, where is my parcel?", "My e-mail is sam.lee@example.org", "thanks"):
            for conversation in conversations:
                response = await client.post(
                    "/v1/chat/completions",
                    headers=tenant.headers(Role.CHAT, **{"X-Conversation-Id": conversation}),
                    json={"messages": [{"role": "user", "content": text}], "metadata": {"channel": "web"}},
                )
                assert response.status_code == 200, response.text
        key = await client.get("/v1/audit/public-key", headers=tenant.headers(Role.AUDITOR))
        assert key.status_code == 200, key.text
        yield Trail(app, client, tenant, conversations, key.json()["public_key"])


def trailer_of(data: bytes) -> dict[str, Any]:
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return dict(json.loads(last.lstrip(b"#"))["manifest"])


async def test_an_ndjson_export_verifies_offline(trail: Trail, tmp_path: Path) -> None:
    response = await trail.export(format="ndjson")
    path = tmp_path / "trail.ndjson"
    path.write_bytes(response.content)

    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(SCRIPT), str(path), "--public-key", trail.public_key],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK:")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    manifest = trailer_of(response.content)
    lines = response.content.splitlines()[:-1]
    assert manifest["count"] == len(lines) > 0
    assert manifest["complete"] is True and manifest["first_seq"] == 1
    events = [json.loads(line) for line in lines]
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert {event["tenant_id"] for event in events} == {trail.tenant.id}


async def test_the_export_carries_the_latest_signed_checkpoint(trail: Trail) -> None:
    await flush_audit(trail.app)
    state = trail.app.state.candor
    async with state.sessionmaker() as session, session.begin():
        checkpoint = await write_checkpoint(session, tenant_id=trail.tenant.id, keys=state.keys)
    assert checkpoint is not None

    data = (await trail.export(format="ndjson")).content

    manifest = trailer_of(data)
    assert manifest["checkpoint"]["tree_size"] == checkpoint.tree_size <= manifest["last_seq"]
    assert manifest["checkpoint"]["head_hash"] == checkpoint.head_hash
    assert verdict(data, trail.public_key).endswith(
        f"checkpoint at {checkpoint.tree_size} signed and matched"
    )


async def test_a_one_byte_change_anywhere_fails(trail: Trail) -> None:
    data = (await trail.export(format="ndjson")).content
    assert verdict(data, trail.public_key).startswith("OK")

    # Forty positions spread over the whole file, trailer and signature included.
    positions = sorted({round(i * (len(data) - 1) / 39) for i in range(40)})
    for position in positions:
        changed = bytearray(data)
        changed[position] ^= 0x01
        assert verdict(bytes(changed), trail.public_key).startswith("FAILED"), position


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        pytest.param(lambda lines: lines[:3] + lines[4:], "sha256", id="delete-a-line"),
        pytest.param(
            lambda lines: [*lines[:2], lines[3], lines[2], *lines[4:]], "sha256", id="swap-two-lines"
        ),
        pytest.param(lambda lines: lines[:-3] + lines[-1:], "sha256", id="truncate-the-tail"),
        pytest.param(lambda lines: lines[:-1], "signed manifest", id="drop-the-manifest"),
    ],
)
async def test_tampered_exports_fail(trail: Trail, tamper: Any, reason: str) -> None:
    lines = (await trail.export(format="ndjson")).content.splitlines(keepends=True)

    result = verdict(b"".join(tamper(lines)), trail.public_key)

    assert result.startswith("FAILED") and reason in result, result


async def test_a_resigned_forgery_fails_the_real_key(trail: Trail) -> None:
    """Someone edits an event, recomputes its hash and the digest, and signs with their own key."""
    data = (await trail.export(format="ndjson")).content
    *lines, _ = data.splitlines(keepends=True)
    last = json.loads(lines[-1])
    last.pop("hash")
    last["reason"] = "nothing to see here"
    last["hash"] = VERIFY.event_hash(last["prev_hash"], last)
    lines[-1] = (VERIFY.canonical(last) + "\n").encode()
    manifest = trailer_of(data)
    manifest.update(sha256=VERIFY.hashlib.sha256(b"".join(lines)).hexdigest(), last_hash=last["hash"])
    forger = Ed25519PrivateKey.generate()
    signature = forger.sign(VERIFY.canonical(manifest).encode()).hex()
    forged = (
        b"".join(lines) + (VERIFY.canonical({"manifest": manifest, "signature": signature}) + "\n").encode()
    )

    assert "signature" in verdict(forged, trail.public_key)
    forger_key = forger.public_key().public_bytes_raw().hex()
    assert verdict(forged, forger_key).startswith("OK")  # which is why the key is kept apart


async def test_an_edited_event_with_a_matching_digest_still_fails_its_hash(trail: Trail) -> None:
    data = (await trail.export(format="ndjson")).content
    *lines, _ = data.splitlines(keepends=True)
    lines[0] = lines[0].replace(b'"seq":1,', b'"seq":1,"extra":"nobody",')
    assert b"nobody" in lines[0]

    with pytest.raises(VERIFY.Bad, match="line 1: the event's hash does not match"):
        list(VERIFY.ndjson_events(b"".join(lines)))


async def test_a_csv_export_has_the_same_events_and_verifies(trail: Trail) -> None:
    ndjson = (await trail.export(format="ndjson")).content
    response = await trail.export(format="csv")
    data = response.content

    assert response.headers["content-type"].startswith("text/csv")
    assert verdict(data, trail.public_key).startswith("OK")
    body = data[: data.rstrip(b"\n").rfind(b"\n") + 1].decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    events = [json.loads(line) for line in ndjson.splitlines()[:-1]]
    # The CSV export began later: it also holds the audit.exported event of the first one.
    assert [row["hash"] for row in rows[: len(events)]] == [event["hash"] for event in events]
    assert rows[len(events)]["event_type"] == "audit.exported"
    assert json.loads(rows[0]["findings"]) == events[0]["findings"]
    changed = bytearray(data)
    changed[len(body) // 2] ^= 0x01
    assert verdict(bytes(changed), trail.public_key).startswith("FAILED")


async def test_a_filtered_export_holds_only_matching_events(trail: Trail) -> None:
    first = trail.conversations[0]

    data = (
        await trail.export(format="ndjson", conversation_id=first, event_type="guardrail.decision")
    ).content

    manifest = trailer_of(data)
    events = [json.loads(line) for line in data.splitlines()[:-1]]
    assert events and {(e["conversation_id"], e["event_type"]) for e in events} == {
        (first, "guardrail.decision")
    }
    assert manifest["complete"] is False
    assert manifest["filters"] == {"conversation_id": first, "event_type": "guardrail.decision"}
    assert verdict(data, trail.public_key).startswith("OK")


async def test_exports_are_audited_and_tenant_scoped(trail: Trail, database_url: str) -> None:
    await trail.export(format="csv", guardrail="pii")
    await flush_audit(trail.app)
    other = await new_tenant(database_url)

    reads = await trail.client.get(
        "/v1/audit/events",
        headers=trail.tenant.headers(Role.AUDITOR),
        params={"event_type": "audit.exported"},
    )
    foreign = await trail.client.get("/v1/audit/export", headers=other.headers(Role.AUDITOR))

    [read] = reads.json()["data"]
    assert read["action"] == "csv" and read["details"]["filters"] == {"guardrail": "pii"}
    assert trailer_of(foreign.content)["count"] == 0
    assert foreign.content.count(b"\n") == 1  # the manifest alone


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"format": "xml"}, 400, id="unknown-format"),
        pytest.param({"since": "soon"}, 400, id="bad-time"),
    ],
)
async def test_bad_export_requests_are_refused(trail: Trail, params: dict[str, str], status: int) -> None:
    response = await trail.client.get(
        "/v1/audit/export", headers=trail.tenant.headers(Role.AUDITOR), params=params
    )

    assert response.status_code == status
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_chat_key_cannot_export(trail: Trail) -> None:
    response = await trail.client.get("/v1/audit/export", headers=trail.tenant.headers(Role.CHAT))

    assert response.status_code == 403


async def _export_to_file(sessionmaker: Any, tenant_id: str, key: Ed25519PrivateKey, path: Path) -> int:
    """Streams the whole export to ``path``; returns the peak memory traced meanwhile."""
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            async for chunk in export_events(
                sessionmaker=sessionmaker,
                tenant_id=tenant_id,
                filters=EventFilter(),
                content="ndjson",
                signing_key=key,
            ):
                out.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


async def test_100k_events_stream_in_flat_memory_and_verify(database_url: str, tmp_path: Path) -> None:
    small, large = await new_tenant(database_url), await new_tenant(database_url)
    key = Ed25519PrivateKey.generate()
    public_key = key.public_key().public_bytes_raw().hex()
    engine = create_engine(database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        await seed_events(sessionmaker, tenant_id=small.id, count=10_000)
        seeded = await seed_events(sessionmaker, tenant_id=large.id, count=100_000)

        peak_small = await _export_to_file(sessionmaker, small.id, key, tmp_path / "small.ndjson")
        peak_large = await _export_to_file(sessionmaker, large.id, key, tmp_path / "large.ndjson")
    finally:
        await engine.dispose()

    data = (tmp_path / "large.ndjson").read_bytes()
    assert trailer_of(data)["count"] == seeded >= 100_000
    # Ten times the events, about the same memory: one page at a time, never the whole file.
    assert peak_large < 1.5 * peak_small + 2_000_000, (peak_small, peak_large)
    assert peak_large < len(data) / 5, (peak_large, len(data))
    assert verdict(data, public_key).startswith(f"OK: {seeded} events")
    changed = bytearray(data)
    changed[len(data) // 3] ^= 0x20
    assert verdict(bytes(changed), public_key).startswith("FAILED")
