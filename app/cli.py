"""The `candor` command: serve | migrate | tenants | keys | purge | policy check."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from app.settings import Environment, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    from app.errors import CandorError

    try:
        result: int = args.run(args)
    except ValidationError as exc:
        print(f"candor: configuration error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except CandorError as exc:
        print(f"candor: {exc.message}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="candor", description="Candor guardrail proxy")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the proxy")
    serve.add_argument("--host", help="listen address (default CANDOR_HOST)")
    serve.add_argument("--port", type=int, help="listen port (default CANDOR_PORT)")
    serve.add_argument("--migrate", action="store_true", help="migrate first (always on SQLite)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(run=_migrate)

    tenants = commands.add_parser("tenants", help="manage tenants").add_subparsers(title="tenant commands")
    create_tenant = tenants.add_parser("create", help="create a tenant")
    create_tenant.add_argument("name")
    create_tenant.set_defaults(run=_create_tenant)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(title="key commands")
    create_key = keys.add_parser("create", help="mint an API key (printed once)")
    create_key.add_argument("--tenant", required=True, help="tenant name")
    create_key.add_argument("--role", required=True, choices=["chat", "agent", "auditor", "admin"])
    create_key.add_argument("--name", default="", help="a label for the key")
    create_key.set_defaults(run=_create_key)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(title="audit commands")
    verify = audit.add_parser("verify", help="check the hash chain and signed checkpoints")
    verify.add_argument("--tenant", help="tenant name (default: every tenant)")
    verify.set_defaults(run=_audit_verify)
    purge = audit.add_parser("purge", help="delete old audit events, keeping the chain verifiable")
    purge.add_argument("--tenant", help="tenant name (default: every tenant)")
    purge.add_argument(
        "--older-than-days", type=int, help="keep this many days (default: the policy's audit.retention_days)"
    )
    purge.set_defaults(run=_audit_purge)

    retention = commands.add_parser("purge", help="delete data past each tenant's retention period")
    retention.add_argument("--tenant", help="only this tenant (its name)")
    retention.set_defaults(run=_purge)

    policy = commands.add_parser("policy", help="policies").add_subparsers(title="policy commands")
    check = policy.add_parser("check", help="validate a policy file")
    check.add_argument("file", type=Path)
    check.set_defaults(run=_policy_check)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.migrate import upgrade_blocking
    from app.ops.logging import configure_logging

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    if settings.is_sqlite or args.migrate:
        upgrade_blocking(settings.database_url)
    if settings.env is Environment.DEVELOPMENT:
        asyncio.run(_bootstrap(settings))
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
    return 0


async def _bootstrap(settings: Settings) -> None:
    from app.db import create_engine, create_sessionmaker
    from app.tenants.service import bootstrap_demo

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            minted = await bootstrap_demo(session=session)
    finally:
        await engine.dispose()
    if minted:
        print("Created tenant 'demo' with one key per role (shown once, keep them):", flush=True)
        for key in minted:
            print(f"  {key.role.value:8} {key.key}", flush=True)


def _migrate(args: argparse.Namespace) -> int:
    from app.migrate import upgrade_blocking

    settings = Settings()
    upgrade_blocking(settings.database_url)
    print("database is up to date")
    return 0


def _create_tenant(args: argparse.Namespace) -> int:
    from app.tenants.service import create_tenant

    async def run(settings: Settings) -> str:
        async with _session(settings) as session:
            tenant = await create_tenant(session=session, name=args.name)
            return tenant.id

    tenant_id = _run_db(run)
    print(f"created tenant {args.name} ({tenant_id})")
    return 0


def _create_key(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.audit.events import AuditScope
    from app.audit.writer import store_chained
    from app.errors import NotFound
    from app.tenants.keys import create_key, parse_role
    from app.tenants.models import Tenant

    async def run(settings: Settings) -> str:
        async with _session(settings) as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.name == args.tenant))
            if tenant is None:
                raise NotFound(f"no tenant named {args.tenant}")
            minted = await create_key(
                session=session, tenant_id=tenant.id, role=parse_role(args.role), name=args.name
            )
            # Audited in the same transaction: a key minted from the shell leaves a trace too.
            created = AuditScope(tenant_id=tenant.id, request_id=None).event(
                "key.created", actor="cli", action="create", details={"key_id": minted.id, "role": args.role}
            )
            await store_chained(session, [created])
            return minted.key

    print(_run_db(run))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    """Prints one JSON line per tenant; exits 1 when any trail does not verify."""
    import json

    from sqlalchemy import select

    from app.audit.checkpoints import public_key_hex
    from app.audit.verify import verify_tenant
    from app.crypto import Keys
    from app.tenants.models import Tenant

    async def run(settings: Settings) -> list[dict[str, object]]:
        public_key = public_key_hex(Keys.from_secret(settings.secret_key.get_secret_value()))
        async with _session(settings) as session:
            query = select(Tenant.id, Tenant.name).order_by(Tenant.name)
            if args.tenant:
                query = query.where(Tenant.name == args.tenant)
            tenants = (await session.execute(query)).all()
            if args.tenant and not tenants:
                raise _no_tenant(args.tenant)
            results = []
            for tenant_id, name in tenants:
                result = await verify_tenant(session, tenant_id, public_key)
                results.append({"tenant": name, **result.as_dict()})
            return results

    results = _run_db(run)
    for result in results:
        print(json.dumps(result, sort_keys=True))
    return 0 if all(result["ok"] for result in results) else 1


def _audit_purge(args: argparse.Namespace) -> int:
    """Purges audit events up to a checkpoint (docs/audit-integrity.md); without
    --older-than-days, each tenant's policy ``audit.retention_days`` decides."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.audit.retention import purge_audit_events
    from app.customers.retention import stored_policies
    from app.db import utcnow
    from app.tenants.models import Tenant
    from guardrails.policy import DEFAULT_POLICY_PATH

    if args.older_than_days is not None and args.older_than_days < 1:
        print("candor: --older-than-days must be at least 1", file=sys.stderr)
        return 2

    async def run(settings: Settings) -> list[str]:
        default = (settings.policy_file or DEFAULT_POLICY_PATH).read_text(encoding="utf-8")
        policy_of = stored_policies(default)
        lines = []
        async with _session(settings) as session:
            query = select(Tenant.id, Tenant.name).order_by(Tenant.name)
            if args.tenant:
                query = query.where(Tenant.name == args.tenant)
            tenants = (await session.execute(query)).all()
            if args.tenant and not tenants:
                raise _no_tenant(args.tenant)
            for tenant_id, name in tenants:
                days = args.older_than_days or (await policy_of(session, tenant_id)).audit.retention_days
                if days is None:
                    lines.append(f"{name}: no audit retention period; nothing purged")
                    continue
                before = utcnow() - timedelta(days=days)
                result = await purge_audit_events(session, tenant_id, before, actor="cli:audit-purge")
                lines.append(
                    f"{name}: purged {result.deleted} audit events "
                    f"(the trail now starts after seq {result.through_seq})"
                )
        return lines

    for line in _run_db(run):
        print(line)
    return 0


def _no_tenant(name: str) -> Exception:
    from app.errors import NotFound

    return NotFound(f"no tenant named {name}")


def _purge(args: argparse.Namespace) -> int:
    """Retention (policy ``retention``): the same purge the server runs periodically,
    audited as ``data.purged`` (docs/consent-and-data-rights.md)."""
    from app.audit.writer import AuditWriter
    from app.customers.retention import TenantPurge, purge_all, stored_policies
    from app.db import WriteGate, create_engine, create_sessionmaker, utcnow
    from app.errors import NotFound
    from guardrails.policy import DEFAULT_POLICY_PATH

    async def run(settings: Settings) -> list[TenantPurge]:
        engine = create_engine(settings.database_url)
        sessionmaker = create_sessionmaker(engine)
        gate = WriteGate(sqlite=settings.is_sqlite)
        audit = AuditWriter(
            sessionmaker=sessionmaker,
            gate=gate,
            batch_size=settings.audit_batch_size,
            flush_interval_s=settings.audit_flush_interval_s,
        )
        await audit.start()
        try:
            default = (settings.policy_file or DEFAULT_POLICY_PATH).read_text(encoding="utf-8")
            return await purge_all(
                sessionmaker=sessionmaker,
                gate=gate,
                policy_of=stored_policies(default),
                audit=audit,
                now=utcnow(),
                tenant_name=args.tenant,
                actor="cli:purge",
            )
        finally:
            await audit.stop()  # writes the data.purged events before the process ends
            await engine.dispose()

    results = _run_db(run)
    if args.tenant is not None and not results:
        raise NotFound(f"no tenant named {args.tenant}")
    for result in results:
        counts = result.counts
        print(
            f"{result.tenant_name}: {counts.messages} messages, {counts.conversations} conversations, "
            f"{counts.vault_entries} vault entries purged"
        )
    return 0


def _policy_check(args: argparse.Namespace) -> int:
    from guardrails.policy import PolicyError, parse_policy

    try:
        policy = parse_policy(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"{args.file}: cannot read ({exc.strerror})", file=sys.stderr)
        return 1
    except PolicyError as exc:
        print(f"{args.file}: invalid policy: {exc}", file=sys.stderr)
        return 1
    stages = ", ".join(
        f"{name}: {' -> '.join(rail.guardrail for rail in rails) or '(none)'}"
        for name, rails in (("input", policy.input), ("output", policy.output))
    )
    print(f"{args.file}: ok ({stages})")
    return 0


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def _run_db(run: Callable[[Settings], Awaitable[T]]) -> T:
    # A CandorError (unknown tenant, name taken ...) is reported by main() with exit code 1.
    return asyncio.run(run(Settings()))  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
