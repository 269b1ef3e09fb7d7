"""How aiohttp's failures map onto BackendError kinds, for those a live server cannot
easily provoke (a connect that times out, a line too long); the rest are exercised
against a real server in test_openai_backend."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.http_exceptions import LineTooLong

from app.backends.http import backend_error_from


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        pytest.param(aiohttp.ConnectionTimeoutError("to host"), "timeout", id="connect-timeout"),
        pytest.param(aiohttp.SocketTimeoutError("read"), "timeout", id="read-timeout"),
        pytest.param(TimeoutError(), "timeout", id="plain-timeout"),
        pytest.param(aiohttp.ClientOSError(104, "reset"), "connect", id="os-error"),
        pytest.param(aiohttp.ClientConnectionResetError("reset"), "connect", id="reset-while-writing"),
        pytest.param(aiohttp.ServerDisconnectedError(), "protocol", id="disconnected-before-reply"),
        pytest.param(aiohttp.ClientPayloadError("cut"), "protocol", id="body-cut"),
        pytest.param(LineTooLong(b"x", 10), "protocol", id="line-too-long"),
        pytest.param(aiohttp.InvalidURL("http://x"), "protocol", id="other-client-error"),
    ],
)
def test_failures_map_to_kinds_with_the_class_name_only(exc: BaseException, kind: str) -> None:
    error = backend_error_from(exc)
    assert error.kind == kind
    assert str(error) == f"backend {kind}: {type(exc).__name__}"
