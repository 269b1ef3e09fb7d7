"""The `candor` command: serve | migrate | tenants | keys | policy check."""

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
            return minted.key

    print(_run_db(run))
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
