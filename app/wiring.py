"""Building and closing the shared objects (engine, backend, pipelines, audit writer)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.checkpoints import Checkpointer
from app.audit.retention import purge_expired_audit
from app.audit.spool import Spool, default_spool_dir
from app.audit.writer import AuditWriter
from app.backends import build_backend
from app.backends.base import BotBackend
from app.chat.handoff import TurnHandoff
from app.chat.prepare import TurnPreparer
from app.chat.turn import TurnService
from app.conversations.lookup import ConversationLookup
from app.conversations.recorder import TurnRecorder
from app.conversations.vault import Vault
from app.crypto import Keys
from app.customers.lookup import ConsentLookup
from app.customers.retention import RetentionTask, purge_all
from app.db import WriteGate, create_engine, create_sessionmaker, utcnow
from app.ops.logging import quiet_chatty_libraries
from app.pg_reads import PgReader
from app.settings import Settings
from app.state import AppState
from app.tenants.keys import KeyCache
from app.tenants.policies import PolicyStore
from app.webhooks.dispatcher import Retry
from app.webhooks.runtime import Webhooks
from escalation.events import EventHub, PostgresFanout
from escalation.watcher import NoPickupWatcher
from guardrails.pii_engine import PII_ENGINE, build_pii_engine
from guardrails.pii_workers import PiiWorkerPool
from guardrails.pipeline import Pipeline
from guardrails.policy import DEFAULT_POLICY_PATH, Policy
from guardrails.resources import CpuRunner, Resources

PII_WORKERS = "pii_workers"


def default_policy_document(settings: Settings) -> str:
    path = settings.policy_file or DEFAULT_POLICY_PATH
    return path.read_text(encoding="utf-8")


async def build_resources(settings: Settings, keys: Keys) -> Resources:
    """The CPU runner and the PII engine (spaCy + Presidio, offline), built and warmed
    once, off the event loop."""
    cpu = CpuRunner(max_workers=settings.nlp_workers)
    engine = await asyncio.to_thread(build_pii_engine)
    await asyncio.to_thread(engine.warm_up)
    engines: dict[str, Any] = {PII_ENGINE: engine}
    if settings.nlp_processes:
        pool = PiiWorkerPool(processes=settings.nlp_processes)
        await asyncio.to_thread(pool.warm_up)
        engine.use_workers(pool)
        engines[PII_WORKERS] = pool
    return Resources(cpu=cpu, hmac_key=keys.pii_hmac, engines=engines)


def _audit_spool(settings: Settings) -> Spool | None:
    directory = settings.audit_spool_dir or default_spool_dir(settings.database_url)
    if directory is None:
        return None
    return Spool(directory=directory, database_url=settings.database_url, ack=settings.audit_ack)


async def build_state(settings: Settings, *, overrides: dict[str, Any]) -> AppState:
    quiet_chatty_libraries()
    keys = Keys.from_secret(settings.secret_key.get_secret_value())
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    gate = WriteGate(sqlite=settings.is_sqlite)
    resources: Resources = overrides.get("resources") or await build_resources(settings, keys)

    def build_pipeline(policy: Policy) -> Pipeline:
        return Pipeline.from_policy(policy, resources=resources)

    # Fails here, at start-up, on a bad default policy or an unknown guardrail.
    policies = PolicyStore(default_document=default_policy_document(settings), build_pipeline=build_pipeline)
    backend: BotBackend = overrides.get("backend") or build_backend(settings)
    audit = AuditWriter(
        sessionmaker=sessionmaker,
        gate=gate,
        batch_size=settings.audit_batch_size,
        flush_interval_s=settings.audit_flush_interval_s,
        spool=_audit_spool(settings),
        companions=[
            Checkpointer(
                sessionmaker=sessionmaker,
                gate=gate,
                keys=keys,
                interval_s=settings.audit_checkpoint_interval_s,
            )
        ]
        if settings.audit_checkpoint_interval_s > 0
        else [],
    )
    await audit.start()  # also replays what a crashed process left in the spool
    recorder = TurnRecorder(
        sessionmaker=sessionmaker,
        gate=gate,
        batch_size=settings.audit_batch_size,
        flush_interval_s=settings.transcript_flush_interval_s,
    )
    await recorder.start()
    # On PostgreSQL, events reach the other replicas' SSE streams over LISTEN/NOTIFY.
    hub = EventHub(fanout=None if settings.is_sqlite else PostgresFanout(dsn=settings.database_url))
    await hub.start()
    webhooks = Webhooks(
        sessionmaker=sessionmaker,
        gate=gate,
        secret_key=keys.webhook_secrets,
        retry=Retry(
            max_attempts=settings.webhook_max_attempts,
            first_s=settings.webhook_retry_first_s,
            cap_s=settings.webhook_retry_max_s,
        ),
        timeout_s=settings.webhook_timeout_s,
        poll_interval_s=settings.webhook_poll_interval_s,
    )
    hub.observe(webhooks.outbox.observe)
    await webhooks.start()
    watcher = None
    if settings.handoff_pickup_timeout_s > 0:
        watcher = NoPickupWatcher(
            sessionmaker=sessionmaker,
            gate=gate,
            audit=audit,
            hub=hub,
            pickup_within_s=settings.handoff_pickup_timeout_s,
        )
        await watcher.start()
    vault = Vault(wrap_key=keys.vault_wrap)
    # The turn's first reads in one round trip each (SQLite reads in one hop without it).
    pg_reader = None if settings.is_sqlite else PgReader(database_url=settings.database_url)
    consent = ConsentLookup(engine=engine, sessionmaker=sessionmaker, pg_reader=pg_reader)
    handoff = TurnHandoff(sessionmaker=sessionmaker, gate=gate, audit=audit, hub=hub, vault=vault)
    preparer = TurnPreparer(
        sessionmaker=sessionmaker,
        lookup=ConversationLookup(engine=engine, sessionmaker=sessionmaker, pg_reader=pg_reader),
        gate=gate,
        policies=policies,
        recorder=recorder,
        vault=vault,
        handoff=handoff,
        keys=keys,
        consent=consent,
    )
    turns = TurnService(
        preparer=preparer,
        sessionmaker=sessionmaker,
        gate=gate,
        backend=backend,
        audit=audit,
        recorder=recorder,
        handoff=handoff,
        hmac_key=keys.pii_hmac,
        model_override=settings.backend_model,
        hold_open_s=settings.hold_open_s,
    )
    retention = build_retention(
        settings, sessionmaker=sessionmaker, gate=gate, policies=policies, audit=audit
    )
    if retention is not None:
        await retention.start()
    return AppState(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        gate=gate,
        keys=keys,
        resources=resources,
        policies=policies,
        backend=backend,
        audit=audit,
        recorder=recorder,
        turns=turns,
        key_cache=KeyCache(ttl_s=settings.auth_cache_ttl_s),
        nlp_ready=True,
        hub=hub,
        watcher=watcher,
        webhooks=webhooks,
        consent=consent,
        retention=retention,
        pg_reader=pg_reader,
    )


def build_retention(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    gate: WriteGate,
    policies: PolicyStore,
    audit: AuditWriter,
) -> RetentionTask | None:
    """The periodic purge of data past each tenant's retention period (policy ``retention``)."""
    if settings.retention_purge_interval_s <= 0:
        return None

    async def policy_of(session: AsyncSession, tenant_id: str) -> Policy:
        return (await policies.active(session=session, tenant_id=tenant_id)).policy

    async def purge() -> None:
        now = utcnow()
        await purge_all(sessionmaker=sessionmaker, gate=gate, policy_of=policy_of, audit=audit, now=now)
        # The audit trail's own period (policy audit.retention_days), cut at checkpoints.
        await purge_expired_audit(sessionmaker=sessionmaker, gate=gate, policy_of=policy_of, now=now)

    return RetentionTask(interval_s=settings.retention_purge_interval_s, purge=purge)


async def close_state(state: AppState, *, overrides: dict[str, Any]) -> None:
    if state.retention is not None:
        await state.retention.stop()
    if state.watcher is not None:
        await state.watcher.stop()
    if state.webhooks is not None:
        await state.webhooks.stop()
    await state.hub.stop()
    await state.recorder.stop()
    await state.audit.stop()
    state.turns.close()
    if state.consent is not None:
        state.consent.close()
    if state.pg_reader is not None:
        await state.pg_reader.close()
    if "backend" not in overrides:
        await state.backend.aclose()
    if "resources" not in overrides:
        state.resources.cpu.close()
        pool = state.resources.engines.get(PII_WORKERS)
        if isinstance(pool, PiiWorkerPool):
            pool.close()
    await state.engine.dispose()
