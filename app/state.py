"""The heavy shared objects, built once in lifespan and reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.audit.writer import AuditWriter
from app.backends.base import BotBackend
from app.chat.turn import TurnService
from app.conversations.recorder import TurnRecorder
from app.crypto import Keys
from app.customers.lookup import ConsentLookup
from app.customers.retention import RetentionTask
from app.db import WriteGate
from app.pg_reads import PgReader
from app.settings import Settings
from app.tenants.keys import KeyCache
from app.tenants.policies import PolicyStore
from app.webhooks.runtime import Webhooks
from escalation.events import EventHub
from escalation.watcher import NoPickupWatcher
from guardrails.resources import Resources


@dataclass(slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    gate: WriteGate
    keys: Keys
    resources: Resources
    policies: PolicyStore
    backend: BotBackend
    audit: AuditWriter
    recorder: TurnRecorder
    turns: TurnService
    key_cache: KeyCache
    nlp_ready: bool = False
    hub: EventHub = field(default_factory=EventHub)  # handoff and conversation events (SSE)
    watcher: NoPickupWatcher | None = None  # the no-pickup timeout
    webhooks: Webhooks | None = None  # handoff events sent to the tenants' helpdesks
    consent: ConsentLookup | None = None  # customers' consent to AI, read on every turn
    retention: RetentionTask | None = None  # the periodic retention purge
    pg_reader: PgReader | None = None  # one-round-trip reads on PostgreSQL
