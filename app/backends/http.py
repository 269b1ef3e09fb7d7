"""The HTTP plumbing every remote backend shares: one client, timeouts, bounded retries, and
the mapping of httpx failures onto ``BackendError``.

Retries happen only while nothing of a response has been consumed: a failed connect or a
5xx status line. Once a body is being read (above all a stream), a failure is final —
replaying half a reply to the customer would be worse than an apology and a human.

Error messages carry kinds, status codes and exception class names only: never the
request (it holds the customer's messages) nor the response body (it may echo them).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.backends.base import BackendError

# Nothing reached the server for these, so sending again cannot duplicate work.
_RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


def backend_error_from(exc: httpx.HTTPError) -> BackendError:
    """Translate an httpx failure into a ``BackendError`` without its message or request."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return BackendError("timeout", name)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        return BackendError("protocol", name)
    if isinstance(exc, httpx.TransportError):
        return BackendError("connect", name)
    return BackendError("protocol", name)


def check_http_url(url: str) -> str:
    """Refuse a base URL that is not absolute http(s) at start-up, not on the first turn."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValueError("backend URL is not a valid URL") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError("backend URL must be an absolute http:// or https:// URL")
    return url


def bearer_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


class BackendHttp:
    """An ``httpx.AsyncClient`` with Candor's timeout, retry and error rules.

    ``retries`` is the number of extra attempts after the first; attempt *n* waits
    ``backoff_s * 2**n`` before it (0.1 s, 0.2 s, ... by default).
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        connect_timeout_s: float,
        retries: int,
        headers: Mapping[str, str] | None = None,
        backoff_s: float = 0.1,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if backoff_s < 0:
            raise ValueError("backoff_s must be >= 0")
        self._retries = retries
        self._backoff_s = backoff_s
        self._client = httpx.AsyncClient(
            # The read timeout bounds each wait for bytes, so a slow but live stream survives.
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers=dict(headers or {}),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request_json(self, method: str, url: str, *, body: Any = None) -> Any:
        """Send ``body`` as JSON and return the decoded JSON reply."""
        async with self.open(method, url, body=body) as response:
            raw = await response.aread()
        try:
            return json.loads(raw)
        except ValueError:
            # `from None`: a JSONDecodeError keeps the whole body in its `doc` attribute.
            raise BackendError("protocol", "response is not valid JSON") from None

    @asynccontextmanager
    async def open(self, method: str, url: str, *, body: Any = None) -> AsyncIterator[httpx.Response]:
        """Yield a 2xx response whose body has not been read yet.

        Transport failures while the caller reads the body become ``BackendError`` here,
        and the response is always closed on exit.
        """
        response = await self._send(method, url, body)
        try:
            yield response
        except httpx.HTTPError as exc:
            raise backend_error_from(exc) from None
        finally:
            await response.aclose()

    async def _send(self, method: str, url: str, body: Any) -> httpx.Response:
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            request = self._client.build_request(method, url, json=body)
            try:
                response = await self._client.send(request, stream=True)
            except _RETRYABLE_ERRORS as exc:
                if last:
                    raise backend_error_from(exc) from None
            except httpx.HTTPError as exc:
                raise backend_error_from(exc) from None
            else:
                if response.is_success:
                    return response
                await response.aclose()
                status = response.status_code
                if status < 500 or last:
                    raise BackendError("status", f"HTTP {status}", status=status)
            await asyncio.sleep(self._backoff_s * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")
