"""Bot backends behind one protocol, and the factory that builds the configured one."""

from __future__ import annotations

from collections.abc import Callable

from app.backends.base import BackendDelta, BackendError, BackendReply, BackendRequest, BotBackend
from app.backends.demo import DemoBot
from app.backends.openai import OpenAIBackend
from app.backends.rasa import RasaBackend
from app.backends.webhook import WebhookBackend
from app.settings import BackendKind, Settings

__all__ = [
    "BackendDelta",
    "BackendError",
    "BackendReply",
    "BackendRequest",
    "BotBackend",
    "DemoBot",
    "OpenAIBackend",
    "RasaBackend",
    "WebhookBackend",
    "build_backend",
]


def _url(settings: Settings) -> str:
    assert settings.backend_url is not None  # Settings refuses remote kinds without a URL
    return settings.backend_url


def _api_key(settings: Settings) -> str | None:
    return settings.backend_api_key.get_secret_value() if settings.backend_api_key else None


def _openai(settings: Settings) -> BotBackend:
    return OpenAIBackend(
        base_url=_url(settings),
        api_key=_api_key(settings),
        model_override=settings.backend_model,
        timeout_s=settings.backend_timeout_s,
        connect_timeout_s=settings.backend_connect_timeout_s,
        retries=settings.backend_retries,
    )


def _rasa(settings: Settings) -> BotBackend:
    return RasaBackend(
        base_url=_url(settings),
        api_key=_api_key(settings),
        model=settings.backend_model or "rasa",
        timeout_s=settings.backend_timeout_s,
        connect_timeout_s=settings.backend_connect_timeout_s,
        retries=settings.backend_retries,
    )


def _webhook(settings: Settings) -> BotBackend:
    return WebhookBackend(
        url=_url(settings),
        request_template=settings.webhook_request_template,
        reply_path=settings.webhook_reply_path,
        api_key=_api_key(settings),
        model=settings.backend_model or "webhook",
        timeout_s=settings.backend_timeout_s,
        connect_timeout_s=settings.backend_connect_timeout_s,
        retries=settings.backend_retries,
    )


def _demo(settings: Settings) -> BotBackend:
    return DemoBot()


_FACTORIES: dict[BackendKind, Callable[[Settings], BotBackend]] = {
    BackendKind.OPENAI: _openai,
    BackendKind.RASA: _rasa,
    BackendKind.WEBHOOK: _webhook,
    BackendKind.DEMO: _demo,
}


def build_backend(settings: Settings) -> BotBackend:
    """The backend ``settings`` ask for. Build it once (in lifespan) and ``aclose`` it on
    shutdown."""
    return _FACTORIES[settings.resolved_backend_kind](settings)
