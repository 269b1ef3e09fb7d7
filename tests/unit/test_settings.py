"""Settings: read from CANDOR_* variables, insecure defaults refused outside development."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET_KEY, BackendKind, Environment, Settings

LONG_SECRET = "s" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("CANDOR_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_development_defaults() -> None:
    s = settings()

    assert s.env is Environment.DEVELOPMENT
    assert s.secret_key.get_secret_value() == DEV_SECRET_KEY
    assert s.resolved_backend_kind is BackendKind.DEMO
    assert (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.is_sqlite


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(None, id="default-dev-secret"),
        pytest.param(DEV_SECRET_KEY, id="dev-secret-given"),
        pytest.param("too-short", id="short"),
        pytest.param("x" * 31, id="one-below-minimum"),
    ],
)
def test_production_refuses_insecure_secrets(secret: str | None) -> None:
    values: dict[str, Any] = {"env": "production"}
    if secret is not None:
        values["secret_key"] = secret

    with pytest.raises(ValidationError) as raised:
        settings(**values)

    assert "CANDOR_SECRET_KEY" in str(raised.value)
    if secret is not None:
        assert secret not in str(raised.value)


@pytest.mark.parametrize(
    "secret", [pytest.param("x" * 32, id="minimum-length"), pytest.param(LONG_SECRET, id="long")]
)
def test_production_accepts_a_long_secret(secret: str) -> None:
    s = settings(env="production", secret_key=secret)

    assert s.env is Environment.PRODUCTION
    assert s.secret_key.get_secret_value() == secret
    assert secret not in repr(s)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        pytest.param({}, BackendKind.DEMO, id="nothing-set-demo"),
        pytest.param({"backend_url": "http://bot.test/v1"}, BackendKind.OPENAI, id="url-means-openai"),
        pytest.param(
            {"backend_url": "http://rasa.test", "backend_kind": "rasa"}, BackendKind.RASA, id="rasa"
        ),
        pytest.param(
            {"backend_url": "http://hook.test", "backend_kind": "webhook"}, BackendKind.WEBHOOK, id="webhook"
        ),
        pytest.param({"backend_kind": "demo"}, BackendKind.DEMO, id="explicit-demo"),
        pytest.param(
            {"backend_url": "http://bot.test/v1", "backend_kind": "demo"}, BackendKind.DEMO, id="demo-wins"
        ),
    ],
)
def test_backend_kind_resolution(values: dict[str, Any], kind: BackendKind) -> None:
    assert settings(**values).resolved_backend_kind is kind


@pytest.mark.parametrize("kind", ["openai", "rasa", "webhook"])
def test_a_remote_backend_needs_a_url(kind: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(backend_kind=kind)

    assert "CANDOR_BACKEND_URL is required" in str(raised.value)


def test_unknown_backend_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        settings(backend_kind="carrier-pigeon")


def test_reads_candor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_PORT", "9191")
    monkeypatch.setenv("CANDOR_HOST", "0.0.0.0")
    monkeypatch.setenv("CANDOR_ENV", "production")
    monkeypatch.setenv("CANDOR_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("CANDOR_BACKEND_URL", "http://bot.test/v1")
    monkeypatch.setenv("CANDOR_DATABASE_URL", "postgresql+asyncpg://db.test/candor")

    s = settings()

    assert (s.host, s.port) == ("0.0.0.0", 9191)
    assert s.env is Environment.PRODUCTION
    assert s.resolved_backend_kind is BackendKind.OPENAI
    assert not s.is_sqlite


def test_a_malformed_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_PORT", "eighty")

    with pytest.raises(ValidationError):
        settings()


def test_settings_are_frozen() -> None:
    s = settings()

    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]


def test_a_refusal_does_not_echo_the_secrets_it_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_ENV", "production")
    monkeypatch.setenv("CANDOR_SECRET_KEY", "short-but-real")
    monkeypatch.setenv("CANDOR_BACKEND_URL", "http://bot.test/v1")
    monkeypatch.setenv("CANDOR_BACKEND_API_KEY", "sk-live-abc123")

    with pytest.raises(ValidationError) as raised:
        settings()

    assert "short-but-real" not in str(raised.value)
    assert "sk-live-abc123" not in str(raised.value)
