"""Shared fixtures: a real migrated database (SQLite, or PostgreSQL when
CANDOR_TEST_DATABASE_URL is set), the app over ASGI, and a fresh tenant per test.

Tests isolate through tenancy, as production does: every test gets its own tenant and
keys, so one migrated database serves the whole session.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.tenants.keys import Role, create_key
from app.tenants.service import create_tenant

PG_URL = os.environ.get("CANDOR_TEST_DATABASE_URL")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    assert PG_URL
    connection = await asyncpg.connect(_plain(PG_URL))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A new, migrated, empty database; dropped afterwards."""
    if PG_URL:
        name = f"candor_t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        url = f"{PG_URL.rpartition('/')[0]}/{name}"
        try:
            asyncio.run(upgrade(url))
            yield url
        finally:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}"
        asyncio.run(upgrade(url))
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "env": "development",
        "backend_kind": "demo",
        "backend_url": None,
        "audit_flush_interval_s": 0.01,
        "transcript_flush_interval_s": 0.01,
        "policy_file": None,
        "hold_open_s": 0.0,  # tests that hold a stream open for a person say so
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class TenantKeys:
    name: str
    id: str
    keys: dict[Role, str]

    def headers(self, role: Role = Role.CHAT, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}


async def new_tenant(database_url: str) -> TenantKeys:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            tenant = await create_tenant(session=session, name=f"t-{uuid.uuid4().hex[:12]}")
            keys = {
                role: (await create_key(session=session, tenant_id=tenant.id, role=role)).key for role in Role
            }
    finally:
        await engine.dispose()
    return TenantKeys(name=tenant.name, id=tenant.id, keys=keys)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the shared test database, through an engine of the test's own."""
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def tenant(database_url: str) -> TenantKeys:
    return await new_tenant(database_url)


_SHARED: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _share_resources(shared_resources: Any) -> None:
    _SHARED["resources"] = shared_resources


@asynccontextmanager
async def running_app(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The real app, lifespan and all, reached over ASGI (with the session's PII engine)."""
    overrides = {**_SHARED, **overrides}
    app = create_app(settings, overrides=overrides)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://candor.test", timeout=30
        ) as client:
            yield app, client


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with running_app(make_settings(database_url)) as pair:
        yield pair


async def flush_audit(app: Any) -> None:
    """Waits until the turns and audit events submitted so far are in the database."""
    await app.state.candor.recorder.flush()
    await app.state.candor.audit.flush()


@pytest.fixture(scope="session")
def shared_resources() -> Iterator[Any]:
    """One PII engine for the whole session: building spaCy + Presidio takes a second."""
    from app.crypto import Keys
    from guardrails.pii_engine import PII_ENGINE, build_pii_engine
    from guardrails.resources import CpuRunner, Resources

    engine = build_pii_engine()
    engine.warm_up()
    keys = Keys.from_secret(make_settings("sqlite+aiosqlite://").secret_key.get_secret_value())
    resources = Resources(cpu=CpuRunner(max_workers=2), hmac_key=keys.pii_hmac, engines={PII_ENGINE: engine})
    yield resources
    resources.cpu.close()
