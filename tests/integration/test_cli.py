"""The `candor` command against a real, fresh database.

Sync tests: ``fresh_database`` and the CLI each run their own event loops.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.db import create_engine, create_sessionmaker
from app.errors import AuthenticationFailed
from app.tenants.keys import Principal, Role, authenticate
from tests.conftest import fresh_database


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in list(os.environ):
        if name.startswith("CANDOR_") and name != "CANDOR_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    with fresh_database(tmp_path) as url:
        monkeypatch.setenv("CANDOR_DATABASE_URL", url)
        yield url


async def _authenticate(url: str, key: str) -> Principal:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await authenticate(session=session, presented=key)
    finally:
        await engine.dispose()


def test_migrate(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_create_a_tenant_and_mint_a_key(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "acme"]) == 0
    created = capsys.readouterr().out
    match = re.search(r"created tenant acme \(([0-9a-f-]{36})\)", created)
    assert match, created

    assert main(["keys", "create", "--tenant", "acme", "--role", "agent", "--name", "console"]) == 0
    key = capsys.readouterr().out.strip()

    assert re.fullmatch(r"cnd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", key)
    principal = asyncio.run(_authenticate(database, key))
    assert principal.role is Role.AGENT
    assert principal.tenant_name == "acme"
    assert principal.tenant_id == match.group(1)


def test_each_key_is_new(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["tenants", "create", "acme"])
    capsys.readouterr()

    keys = []
    for role in ("chat", "auditor"):
        assert main(["keys", "create", "--tenant", "acme", "--role", role]) == 0
        keys.append(capsys.readouterr().out.strip())

    assert keys[0] != keys[1]
    assert [asyncio.run(_authenticate(database, key)).role for key in keys] == [Role.CHAT, Role.AUDITOR]


def test_a_tenant_name_is_taken_once(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "acme"]) == 0
    capsys.readouterr()

    code = main(["tenants", "create", "acme"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip() == "candor: tenant acme exists"
    assert captured.out == ""


@pytest.mark.parametrize(
    "name",
    [pytest.param("Acme", id="upper-case"), pytest.param("a b", id="space"), pytest.param("", id="empty")],
)
def test_an_invalid_tenant_name_is_refused(
    database: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code = main(["tenants", "create", name])

    assert code == 1
    assert "tenant names are" in capsys.readouterr().err


def test_a_key_for_an_unknown_tenant_is_refused(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["keys", "create", "--tenant", "nobody", "--role", "chat"])

    captured = capsys.readouterr()
    assert code == 1
    assert "no tenant named nobody" in captured.err
    assert "cnd_" not in captured.out


def test_an_unknown_role_is_a_usage_error(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "create", "--tenant", "acme", "--role", "root"])

    assert exited.value.code == 2
    assert "invalid choice: 'root'" in capsys.readouterr().err


def test_a_printed_key_is_shown_once_and_a_wrong_one_fails(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["tenants", "create", "acme"])
    main(["keys", "create", "--tenant", "acme", "--role", "admin"])
    key = capsys.readouterr().out.strip().splitlines()[-1]

    with pytest.raises(AuthenticationFailed):
        asyncio.run(_authenticate(database, key[:-1] + ("A" if key[-1] != "A" else "B")))


def test_production_without_a_secret_is_a_configuration_error(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANDOR_ENV", "production")

    code = main(["tenants", "create", "acme"])

    assert code == 2
    assert "CANDOR_SECRET_KEY" in capsys.readouterr().err
