"""build_backend picks the backend the settings name, wired with the settings' values."""

from __future__ import annotations

import pytest

from app.backends import DemoBot, OpenAIBackend, RasaBackend, WebhookBackend, build_backend
from app.backends.base import BackendRequest
from app.settings import BackendKind, Settings
from tests.unit.backends.server import Serve, reply


@pytest.mark.parametrize(
    ("settings", "cls"),
    [
        pytest.param(Settings(), DemoBot, id="no-url-is-demo"),
        pytest.param(Settings(backend_url="http://llm.test/v1"), OpenAIBackend, id="url-is-openai"),
        pytest.param(
            Settings(backend_url="http://rasa.test", backend_kind=BackendKind.RASA), RasaBackend, id="rasa"
        ),
        pytest.param(
            Settings(backend_url="http://bot.test/h", backend_kind=BackendKind.WEBHOOK),
            WebhookBackend,
            id="webhook",
        ),
        pytest.param(Settings(backend_kind=BackendKind.DEMO), DemoBot, id="demo"),
    ],
)
async def test_builds_the_configured_kind(settings: Settings, cls: type) -> None:
    backend = build_backend(settings)
    assert isinstance(backend, cls)
    assert backend.kind == settings.resolved_backend_kind.value
    await backend.aclose()


async def test_every_kind_has_a_backend() -> None:
    for kind in BackendKind:
        url = None if kind is BackendKind.DEMO else "http://backend.test"
        backend = build_backend(Settings(backend_kind=kind, backend_url=url))
        assert backend.kind == kind.value
        await backend.aclose()


async def test_openai_backend_uses_url_key_and_model_from_settings(serve: Serve) -> None:
    answer = {"model": "m", "choices": [{"message": {"content": "Hi"}, "finish_reason": "stop"}]}
    server = await serve(reply(json_body=answer))
    settings = Settings(backend_url=f"{server.url}/v1", backend_api_key="sk-set", backend_model="pinned")
    backend = build_backend(settings)
    request = BackendRequest(
        messages=[{"role": "user", "content": "hi"}], model="asked", conversation_id="c", sender="s"
    )
    assert (await backend.complete(request)).content == "Hi"
    await backend.aclose()

    (sent,) = server.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-set"
    assert sent.json()["model"] == "pinned"
