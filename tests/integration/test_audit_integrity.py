"""Tamper evidence: the hash chain, signed checkpoints, verify, concurrent writers and
retention, on SQLite (and PostgreSQL with CANDOR_TEST_DATABASE_URL).

Each test tampers with its own tenant's rows the way a database admin could, with plain
SQL, and checks that verify names the first bad position.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.audit.chain import canonical_event, event_hash
from app.audit.checkpoints import (
    checkpoint_all,
    key_id_of,
    latest_checkpoint,
    load_public_key,
    public_key_hex,
    tenants_to_checkpoint,
    write_checkpoint,
)
from app.audit.events import AuditScope
from app.audit.retention import purge_audit_events, purge_expired_audit
from app.audit.spool import Spool
from app.audit.verify import VerifyResult, verify_tenant
from app.audit.writer import AuditWriter
from app.cli import main
from app.crypto import Keys
from app.db import WriteGate, create_engine, create_sessionmaker, utcnow
from app.tenants.keys import Role
from guardrails.policy import Policy, parse_policy
from tests.conftest import TenantKeys, make_settings, new_tenant, running_app

KEYS = Keys.from_secret(make_settings("sqlite+aiosqlite://").secret_key.get_secret_value())
PUBLIC_KEY = public_key_hex(KEYS)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(database_url)
    yield engine, create_sessionmaker(engine)
    await engine.dispose()


def _events(tenant_id: str, count: int, *, start: int = 0) -> list[dict[str, Any]]:
    scope = AuditScope(tenant_id=tenant_id, request_id="req_test", conversation_id="conv-1", policy_version=1)
    return [
        scope.event(
            "guardrail.decision",
            actor="pii",
            guardrail="pii",
            stage="input",
            action="redact",
            reason="an e-mail address was redacted",
            score=[0.85, 1, 0.1 + 0.2][n % 3],  # an int and an awkward float among them
            latency_ms=n / 3,
            findings=[{"entity_type": "EMAIL_ADDRESS", "start": n, "end": n + 17, "score": 0.99}],
            details={"message_index": n, "nested": {"b": [1, 2.5], "a": None}},
        )
        for n in range(start, start + count)
    ]


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    events: list[dict[str, Any]],
    spool_dir: Path,
    *,
    sqlite: bool,
) -> None:
    writer = AuditWriter(
        sessionmaker=sessionmaker,
        gate=WriteGate(sqlite=sqlite),
        batch_size=7,  # several batches, so heads move between transactions
        flush_interval_s=0.01,
        spool=Spool(directory=spool_dir, database_url=str(sessionmaker.kw["bind"].url)),
    )
    await writer.start()
    writer.submit(events)
    await writer.flush()
    await writer.stop()


def _spool_files(directory: Path) -> list[Path]:
    return list(directory.glob("*.spool"))


async def _checkpoint(sessionmaker: async_sessionmaker[AsyncSession], tenant_id: str) -> None:
    async with sessionmaker() as session, session.begin():
        await write_checkpoint(session, tenant_id=tenant_id, keys=KEYS)


async def _verify(sessionmaker: async_sessionmaker[AsyncSession], tenant_id: str) -> VerifyResult:
    async with sessionmaker() as session:
        return await verify_tenant(session, tenant_id, PUBLIC_KEY)


async def _sql(sessionmaker: async_sessionmaker[AsyncSession], statement: str, **params: Any) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(text(statement), params)


async def _trail(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path, count: int = 20
) -> str:
    tenant = await new_tenant(database_url)
    await _write(sessionmaker, _events(tenant.id, count), tmp_path, sqlite=database_url.startswith("sqlite"))
    return tenant.id


async def test_an_untouched_trail_verifies_and_what_was_hashed_is_what_reads_back(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path)
    await _checkpoint(sessionmaker, tenant_id)

    result = await _verify(sessionmaker, tenant_id)

    assert result.ok, result.first_bad
    assert result.checked == 20 and result.head_seq == 20 and result.checkpoints == 1
    async with sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    text("SELECT * FROM audit_events WHERE tenant_id = :t ORDER BY seq"), {"t": tenant_id}
                )
            )
            .mappings()
            .all()
        )
    assert [row["seq"] for row in rows] == list(range(1, 21))
    assert len({row["event_uid"] for row in rows}) == 20
    assert not _spool_files(tmp_path), "a stopped writer leaves no spool behind"


async def test_floats_json_and_nulls_hash_alike_after_a_round_trip(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    tenant = await new_tenant(database_url)
    odd = AuditScope(tenant_id=tenant.id, request_id=None, locale="fr-CH").event(
        "guardrail.decision",
        actor="sensitive_topic",
        reason="Sujet délicat — « deuil » 🕊",  # the tenant's wording, not customer text
        score=1e-300,
        latency_ms=123456.789012,
        findings=[],
        details={"ratio": 1e-7, "big": 2**53 + 1, "ünïcode": "ß", "empty": {}, "list": [None, True, 0.1]},
    )
    await _write(
        sessionmaker, [*_events(tenant.id, 6), odd], tmp_path, sqlite=database_url.startswith("sqlite")
    )
    from app.audit.models import AuditEvent

    async with sessionmaker() as session:
        stored = (
            (await session.execute(AuditEvent.__table__.select().where(AuditEvent.tenant_id == tenant.id)))
            .mappings()
            .all()
        )
    assert len(stored) == 7
    for row in stored:
        assert event_hash(row["prev_hash"], canonical_event(row)) == row["hash"]
        assert isinstance(row["score"], float)
    last = max(stored, key=lambda row: row["seq"])
    assert last["details"]["big"] == 2**53 + 1 and last["reason"].endswith("🕊")
    first = min(stored, key=lambda row: row["seq"])
    assert first["details"]["nested"] == {"b": [1, 2.5], "a": None}


TAMPERING = [
    pytest.param(
        "UPDATE audit_events SET reason = 'nothing to see' WHERE tenant_id = :t AND seq = 7",
        7,
        "edited",
        id="edit",
    ),
    pytest.param("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 5", 5, "deleted", id="delete"),
    pytest.param(
        "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 1", 1, "deleted", id="delete-first"
    ),
    pytest.param(
        "INSERT INTO audit_events (event_uid, tenant_id, occurred_at, event_type, actor, reason,"
        " findings, details, seq, prev_hash, hash) SELECT 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0', tenant_id,"
        " occurred_at, event_type, actor, 'forged', findings, details, seq, prev_hash, hash"
        " FROM audit_events WHERE tenant_id = :t AND seq = 9",
        9,
        "inserted",
        id="insert",
    ),
    pytest.param(
        "UPDATE audit_events SET seq = CASE seq WHEN 11 THEN 12 ELSE 11 END"
        " WHERE tenant_id = :t AND seq IN (11, 12)",
        11,
        "reordered",
        id="swap-positions",
    ),
    pytest.param(
        "UPDATE audit_events SET hash = 'x' || substr(hash, 2) WHERE tenant_id = :t AND seq = 3",
        3,
        "edited",
        id="hash",
    ),
    pytest.param(
        "DELETE FROM audit_events WHERE tenant_id = :t AND seq > 16", 17, "truncated", id="truncate-tail"
    ),
    pytest.param(
        "UPDATE audit_checkpoints SET tree_size = 19 WHERE tenant_id = :t",
        19,
        "bad_checkpoint",
        id="checkpoint",
    ),
    pytest.param(
        "UPDATE audit_checkpoints SET signature = CASE WHEN substr(signature, 1, 1) = 'a'"
        " THEN 'b' ELSE 'a' END || substr(signature, 2) WHERE tenant_id = :t",
        20,
        "bad_signature",
        id="checkpoint-signature",
    ),
]


@pytest.mark.parametrize(("statement", "seq", "problem"), TAMPERING)
async def test_verify_names_the_first_bad_position(
    database_url: str, db: Any, tmp_path: Path, statement: str, seq: int, problem: str
) -> None:
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path)
    await _checkpoint(sessionmaker, tenant_id)
    assert (await _verify(sessionmaker, tenant_id)).ok

    await _sql(sessionmaker, statement, t=tenant_id)
    result = await _verify(sessionmaker, tenant_id)

    assert not result.ok
    assert result.first_bad == {"seq": seq, "problem": problem}


async def test_a_rehashed_edit_is_found_by_the_next_link(database_url: str, db: Any, tmp_path: Path) -> None:
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path)
    async with sessionmaker() as session, session.begin():
        row = (
            (
                await session.execute(
                    text("SELECT * FROM audit_events WHERE tenant_id = :t AND seq = 4"), {"t": tenant_id}
                )
            )
            .mappings()
            .one()
        )
    from app.audit.models import AuditEvent

    async with sessionmaker() as session:
        typed = (
            (await session.execute(AuditEvent.__table__.select().where(AuditEvent.id == row["id"])))
            .mappings()
            .one()
        )
    body = {**canonical_event(typed), "reason": "rewritten"}
    await _sql(
        sessionmaker,
        "UPDATE audit_events SET reason = 'rewritten', hash = :h WHERE id = :id",
        h=event_hash(typed["prev_hash"], body),
        id=row["id"],
    )

    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 4, "problem": "edited"}


async def test_a_rewritten_tail_is_caught_by_the_signed_checkpoint(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    """Even an admin who recomputes every hash after an edit cannot match the signature."""
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path, count=8)
    await _checkpoint(sessionmaker, tenant_id)
    from app.audit.models import AuditEvent

    async with sessionmaker() as session, session.begin():
        rows = (
            (
                await session.execute(
                    AuditEvent.__table__.select()
                    .where(AuditEvent.tenant_id == tenant_id)
                    .order_by(AuditEvent.seq)
                )
            )
            .mappings()
            .all()
        )
        prev = rows[4]["prev_hash"]
        for row in rows[4:]:
            body = canonical_event({**row, "prev_hash": prev, "reason": "rewritten"})
            prev_new = event_hash(prev, body)
            await session.execute(
                text(
                    "UPDATE audit_events SET reason = 'rewritten', prev_hash = :p, hash = :h WHERE id = :id"
                ),
                {"p": prev, "h": prev_new, "id": row["id"]},
            )
            prev = prev_new
        await session.execute(
            text("UPDATE audit_chain_heads SET hash = :h WHERE tenant_id = :t"), {"h": prev, "t": tenant_id}
        )

    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 8, "problem": "checkpoint_mismatch"}


async def test_a_deleted_checkpoint_breaks_the_checkpoint_chain(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path, count=4)
    await _checkpoint(sessionmaker, tenant_id)
    await _write(sessionmaker, _events(tenant_id, 4), tmp_path, sqlite=database_url.startswith("sqlite"))
    await _checkpoint(sessionmaker, tenant_id)
    assert (await _verify(sessionmaker, tenant_id)).checkpoints == 2

    await _sql(
        sessionmaker, "DELETE FROM audit_checkpoints WHERE tenant_id = :t AND tree_size = 4", t=tenant_id
    )

    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 8, "problem": "checkpoint_chain"}


async def test_an_event_beyond_the_head_is_an_insertion(database_url: str, db: Any, tmp_path: Path) -> None:
    _, sessionmaker = db
    tenant_id = await _trail(database_url, sessionmaker, tmp_path, count=3)
    await _sql(sessionmaker, "UPDATE audit_chain_heads SET seq = 2 WHERE tenant_id = :t", t=tenant_id)

    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 3, "problem": "inserted"}


async def test_two_writers_on_two_engines_keep_one_contiguous_chain(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    """Two replicas sharing one database: the head lock orders their batches."""
    _, sessionmaker = db
    tenant = await new_tenant(database_url)
    sqlite = database_url.startswith("sqlite")
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        await asyncio.gather(
            *(
                _write(
                    create_sessionmaker(engine),
                    _events(tenant.id, 150, start=i * 1000),
                    tmp_path / f"r{i}",
                    sqlite=sqlite,
                )
                for i, engine in enumerate(engines)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()

    result = await _verify(sessionmaker, tenant.id)
    assert result.ok, result.first_bad
    assert result.checked == 300 and result.head_seq == 300


async def test_purging_keeps_the_trail_verifiable_from_the_kept_checkpoint(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    tenant_id = await _old_trail(database_url, sessionmaker, tmp_path)

    async with sessionmaker() as session, session.begin():
        purged = await purge_audit_events(session, tenant_id, utcnow() - timedelta(days=30))
    result = await _verify(sessionmaker, tenant_id)

    assert purged.deleted == 6 and purged.through_seq == 6  # up to the checkpoint, not beyond
    assert result.ok, result.first_bad
    assert result.from_seq == 7
    async with sessionmaker() as session:
        kinds = (
            (
                await session.execute(
                    text("SELECT event_type FROM audit_events WHERE tenant_id = :t ORDER BY seq"),
                    {"t": tenant_id},
                )
            )
            .scalars()
            .all()
        )
    assert kinds[-1] == "audit.purged"

    # Deleting more, without a checkpoint to start from, is found.
    await _sql(sessionmaker, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 7", t=tenant_id)
    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 7, "problem": "deleted"}


async def test_deleting_a_prefix_up_to_a_checkpoint_without_a_purge_is_found(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    """A cut at a checkpoint looks like a retention purge, but no audit.purged event says so."""
    _, sessionmaker = db
    tenant_id = await _old_trail(database_url, sessionmaker, tmp_path)  # checkpoint at 6

    await _sql(sessionmaker, "DELETE FROM audit_events WHERE tenant_id = :t AND seq <= 6", t=tenant_id)

    assert (await _verify(sessionmaker, tenant_id)).first_bad == {"seq": 1, "problem": "deleted"}


async def _old_trail(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> str:
    """6 events a year old, a checkpoint, 2 more old ones, then 3 recent ones."""
    tenant = await new_tenant(database_url)
    sqlite = database_url.startswith("sqlite")
    old = utcnow() - timedelta(days=365)
    aged = _events(tenant.id, 8)
    for n, event in enumerate(aged):
        event["occurred_at"] = old + timedelta(seconds=n)
    await _write(sessionmaker, aged[:6], tmp_path, sqlite=sqlite)
    await _checkpoint(sessionmaker, tenant.id)
    await _write(sessionmaker, aged[6:] + _events(tenant.id, 3), tmp_path, sqlite=sqlite)
    return tenant.id


async def test_the_verify_endpoint_is_for_the_tenants_auditor(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    settings = make_settings(database_url, audit_spool_dir=tmp_path / "spool")
    async with running_app(settings) as (_, client):
        tenant = await new_tenant(database_url)
        other = await new_tenant(database_url)
        await _write(sessionmaker, _events(tenant.id, 5), tmp_path, sqlite=database_url.startswith("sqlite"))
        await _checkpoint(sessionmaker, tenant.id)

        ok = await client.get("/v1/audit/verify", headers=tenant.headers(Role.AUDITOR))
        refused = await client.get("/v1/audit/verify", headers=tenant.headers(Role.CHAT))
        theirs = await client.get("/v1/audit/verify", headers=other.headers(Role.AUDITOR))
        await _sql(
            sessionmaker, "UPDATE audit_events SET actor = 'x' WHERE tenant_id = :t AND seq = 2", t=tenant.id
        )
        bad = await client.get("/v1/audit/verify", headers=tenant.headers(Role.AUDITOR))

    assert ok.status_code == 200
    body = ok.json()
    assert body["ok"] is True and body["checked"] == 5 and body["first_bad"] is None
    assert body["tenant_id"] == tenant.id and body["public_key"] == PUBLIC_KEY
    assert refused.status_code == 403
    assert theirs.json()["tenant_id"] == other.id  # their own trail, never this one
    assert bad.json()["ok"] is False and bad.json()["first_bad"] == {"seq": 2, "problem": "edited"}


def test_the_cli_prints_the_result_and_exits_non_zero_when_bad(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    monkeypatch.delenv("CANDOR_SECRET_KEY", raising=False)

    async def arrange() -> TenantKeys:
        engine = create_engine(database_url)
        sessionmaker = create_sessionmaker(engine)
        tenant = await new_tenant(database_url)
        await _write(sessionmaker, _events(tenant.id, 5), tmp_path, sqlite=database_url.startswith("sqlite"))
        await engine.dispose()
        return tenant

    tenant = asyncio.run(arrange())

    assert main(["audit", "verify", "--tenant", tenant.name]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True and printed["checked"] == 5 and printed["tenant"] == tenant.name

    async def tamper() -> None:
        engine = create_engine(database_url)
        await _sql(
            create_sessionmaker(engine),
            "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 3",
            t=tenant.id,
        )
        await engine.dispose()

    asyncio.run(tamper())
    assert main(["audit", "verify", "--tenant", tenant.name]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad"] == {"seq": 3, "problem": "deleted"}
    assert main(["audit", "verify", "--tenant", "no-such-tenant"]) == 1


def test_the_cli_purges_up_to_a_checkpoint_and_the_trail_still_verifies(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    monkeypatch.delenv("CANDOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("CANDOR_POLICY_FILE", raising=False)

    async def arrange() -> tuple[str, str]:
        engine = create_engine(database_url)
        tenant_id = await _old_trail(database_url, create_sessionmaker(engine), tmp_path)
        async with engine.connect() as connection:
            name = (
                await connection.execute(text("SELECT name FROM tenants WHERE id = :t"), {"t": tenant_id})
            ).scalar()
        await engine.dispose()
        return tenant_id, str(name)

    tenant_id, name = asyncio.run(arrange())

    assert main(["audit", "purge", "--tenant", name]) == 0  # the shipped policy keeps audit forever
    assert "nothing purged" in capsys.readouterr().out
    assert main(["audit", "purge", "--tenant", name, "--older-than-days", "30"]) == 0
    assert f"{name}: purged 6 audit events (the trail now starts after seq 6)" in capsys.readouterr().out
    assert main(["audit", "verify", "--tenant", name]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["from_seq"] == 7 and printed["checked"] == 6  # 5 kept + the audit.purged event
    assert tenant_id == printed["tenant_id"]


def test_events_stored_before_the_chain_existed_are_chained_by_the_migration(tmp_path: Path) -> None:
    from app.migrate import downgrade, upgrade
    from tests.conftest import fresh_database

    async def old_events(url: str) -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            for n in range(3):
                await connection.execute(
                    text(
                        "INSERT INTO audit_events (tenant_id, occurred_at, event_type, actor, reason, score,"
                        " findings, details) VALUES ('legacy', :at, 'turn.answered', 'candor', '', :score,"
                        " '[]', '{\"n\": 1}')"
                    ),
                    {"at": utcnow() + timedelta(seconds=n), "score": [1, 0.5, None][n]},
                )
        await engine.dispose()

    async def verify(url: str) -> VerifyResult:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await verify_tenant(session, "legacy", PUBLIC_KEY)
        finally:
            await engine.dispose()

    with fresh_database(tmp_path) as url:
        asyncio.run(downgrade(url, "0005"))
        asyncio.run(old_events(url))
        asyncio.run(upgrade(url))
        result = asyncio.run(verify(url))

    assert result.ok, result.first_bad
    assert result.checked == 3 and result.head_seq == 3


async def test_an_event_the_database_refuses_is_kept_beside_the_spool_not_dropped(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    tenant = await new_tenant(database_url)
    good = _events(tenant.id, 3)
    bad = {**_events(tenant.id, 1)[0], "actor": None}  # NOT NULL: no retry can store it
    await _write(sessionmaker, [*good[:2], bad, good[2]], tmp_path, sqlite=database_url.startswith("sqlite"))

    result = await _verify(sessionmaker, tenant.id)
    rejected = _rejected_lines(tmp_path)

    assert result.ok and result.checked == 3  # the others are stored and chained
    assert [line["event_uid"] for line in rejected] == [bad["event_uid"]]


def _rejected_lines(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in directory.glob("rejected-*.ndjson")
        for line in path.read_text().splitlines()
    ]


async def test_the_running_app_signs_checkpoints_of_moved_heads(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, audit_spool_dir=tmp_path / "spool", audit_checkpoint_interval_s=0.05
    )
    tenant = await new_tenant(database_url)
    async with running_app(settings) as (app, client):
        response = await client.post(
            "/v1/chat/completions",
            headers=tenant.headers(),
            json={"model": "demo", "messages": [{"role": "user", "content": "Hello there"}]},
        )
        await app.state.candor.audit.flush()
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            verified = (await client.get("/v1/audit/verify", headers=tenant.headers(Role.AUDITOR))).json()
            # The verify call itself adds an event; wait for a checkpoint covering the turn.
            checkpoint = verified["latest_checkpoint"]
            if checkpoint is not None and checkpoint["tree_size"] >= 3:
                break
            assert asyncio.get_running_loop().time() < deadline, verified
            await asyncio.sleep(0.05)

    assert response.status_code == 200
    assert verified["ok"] is True and verified["checkpoints"] >= 1
    assert checkpoint["tenant_id"] == tenant.id
    assert checkpoint["key_id"] == key_id_of(load_public_key(PUBLIC_KEY))


async def test_verify_while_events_are_being_written_finds_nothing_wrong(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    """Verify reads without one snapshot while writers commit: no false alarm."""
    _, sessionmaker = db
    tenant = await new_tenant(database_url)
    writer = AuditWriter(
        sessionmaker=sessionmaker,
        gate=WriteGate(sqlite=database_url.startswith("sqlite")),
        batch_size=5,
        flush_interval_s=0.001,
        spool=Spool(directory=tmp_path, database_url=database_url),
    )
    await writer.start()
    results = []
    try:
        for round_ in range(15):
            writer.submit(_events(tenant.id, 10, start=round_ * 10))
            results.append(await _verify(sessionmaker, tenant.id))
            await asyncio.sleep(0.005)
        await writer.flush()
    finally:
        await writer.stop()

    assert [result.first_bad for result in results if not result.ok] == []
    final = await _verify(sessionmaker, tenant.id)
    assert final.ok and final.checked == 150


async def test_checkpoint_all_signs_only_heads_that_moved(database_url: str, db: Any, tmp_path: Path) -> None:
    _, sessionmaker = db
    sqlite = database_url.startswith("sqlite")
    moved = await _trail(database_url, sessionmaker, tmp_path, count=3)
    still = await _trail(database_url, sessionmaker, tmp_path, count=2)
    await _checkpoint(sessionmaker, still)
    gate = WriteGate(sqlite=sqlite)

    async with sessionmaker() as session:
        due = await tenants_to_checkpoint(session)
    await checkpoint_all(sessionmaker=sessionmaker, gate=gate, keys=KEYS)
    async with sessionmaker() as session:
        due_after = await tenants_to_checkpoint(session)
        latest = await latest_checkpoint(session, moved)

    assert moved in due and still not in due
    assert moved not in due_after and still not in due_after
    assert latest is not None and latest.tree_size == 3
    assert (await _verify(sessionmaker, moved)).checkpoints == 1


async def test_the_periodic_purge_applies_each_tenants_audit_retention(
    database_url: str, db: Any, tmp_path: Path
) -> None:
    _, sessionmaker = db
    keeps_30_days = await _old_trail(database_url, sessionmaker, tmp_path)
    keeps_all = await _old_trail(database_url, sessionmaker, tmp_path)
    policies = {
        keeps_30_days: parse_policy("audit:\n  retention_days: 30\n"),
        keeps_all: parse_policy("{}"),
    }

    async def policy_of(session: AsyncSession, tenant_id: str) -> Policy:
        return policies.get(tenant_id, parse_policy("{}"))

    purged = await purge_expired_audit(
        sessionmaker=sessionmaker,
        gate=WriteGate(sqlite=database_url.startswith("sqlite")),
        policy_of=policy_of,
        now=utcnow(),
    )

    assert purged[keeps_30_days].deleted == 6 and keeps_all not in purged
    assert (await _verify(sessionmaker, keeps_30_days)).from_seq == 7
    assert (await _verify(sessionmaker, keeps_30_days)).ok
    assert (await _verify(sessionmaker, keeps_all)).from_seq == 1
