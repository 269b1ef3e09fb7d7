"""The HTTP plumbing every remote backend shares: one aiohttp session, timeouts, bounded
retries, and the mapping of aiohttp failures onto ``BackendError``.

Retries happen only while nothing of a response has been consumed: a failed connect or a
5xx status line. Once a body is being read (above all a stream), a failure is final —
replaying half a reply to the customer would be worse than an apology and a human.

Error messages carry kinds, status codes and exception class names only: never the
request (it holds the customer's messages) nor the response body (it may echo them).

How aiohttp's failures map onto ``BackendError.kind``::

    TimeoutError (ConnectionTimeoutError, SocketTimeoutError, ...)    -> timeout
    ClientPayloadError, ClientResponseError, ServerDisconnectedError,
      HttpProcessingError (a reply that is not readable HTTP)         -> protocol
    ClientConnectionError (ClientConnectorError, ClientOSError, ...)  -> connect
    any other ClientError                                             -> protocol
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from app.backends.base import BackendError

# Nothing reached the server for these, so sending again cannot duplicate work.
_RETRYABLE_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# The server answered, but not with HTTP that could be read to its end.
_PROTOCOL_ERRORS = (
    aiohttp.ClientPayloadError,
    aiohttp.ClientResponseError,
    aiohttp.ServerDisconnectedError,
    HttpProcessingError,
)
# Everything the network or the server can make aiohttp raise.
_TRANSPORT_ERRORS = (aiohttp.ClientError, HttpProcessingError, TimeoutError)

_JSON_HEADERS = {"Content-Type": "application/json"}


def _encode(body: Any) -> bytes:
    # Compact UTF-8; NaN is refused here, as it is not JSON and servers would reject it.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def backend_error_from(exc: BaseException) -> BackendError:
    """Translate an aiohttp failure into a ``BackendError`` without its message or request."""
    name = type(exc).__name__
    if isinstance(exc, TimeoutError):
        return BackendError("timeout", name)
    if isinstance(exc, _PROTOCOL_ERRORS):
        return BackendError("protocol", name)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return BackendError("connect", name)
    return BackendError("protocol", name)


def check_http_url(url: str) -> str:
    """Refuse a base URL that is not absolute http(s) at start-up, not on the first turn."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        raise ValueError("backend URL is not a valid URL") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError("backend URL must be an absolute http:// or https:// URL")
    return url


def bearer_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


class BackendResponse:
    """A 2xx reply whose body has not been read yet; read it once, whole or as lines."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def read(self) -> bytes:
        return await self._response.read()

    async def lines(self) -> AsyncIterator[str]:
        """The body's lines as they arrive, without their line endings."""
        async for line in self._response.content:
            yield line.rstrip(b"\r\n").decode(errors="replace")


class BackendHttp:
    """An ``aiohttp.ClientSession`` with Candor's timeout, retry and error rules.

    ``retries`` is the number of extra attempts after the first; attempt *n* waits
    ``backoff_s * 2**n`` before it (0.1 s, 0.2 s, ... by default). Redirects are never
    followed: a 3xx is a status error. The session is created on first use, inside the
    running loop, and closed by ``aclose``.
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        connect_timeout_s: float,
        retries: int,
        headers: Mapping[str, str] | None = None,
        backoff_s: float = 0.1,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if backoff_s < 0:
            raise ValueError("backoff_s must be >= 0")
        self._retries = retries
        self._backoff_s = backoff_s
        self._headers = dict(headers or {})
        # No total: sock_read bounds each wait for bytes, so a slow but live stream survives.
        # `connect` bounds the wait for a free pooled connection plus the connect itself.
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout_s + connect_timeout_s,
            sock_connect=connect_timeout_s,
            sock_read=timeout_s,
        )
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request_json(self, method: str, url: str, *, body: Any = None) -> Any:
        """Send ``body`` as JSON and return the decoded JSON reply."""
        async with self.open(method, url, body=body) as response:
            raw = await response.read()
        try:
            return json.loads(raw)
        except ValueError:
            # `from None`: a JSONDecodeError keeps the whole body in its `doc` attribute.
            raise BackendError("protocol", "response is not valid JSON") from None

    @asynccontextmanager
    async def open(self, method: str, url: str, *, body: Any = None) -> AsyncIterator[BackendResponse]:
        """Yield a 2xx response whose body has not been read yet.

        Transport failures while the caller reads the body become ``BackendError`` here,
        and the response is always released on exit (its connection closed if unread).
        """
        response = await self._send(method, url, body)
        try:
            yield BackendResponse(response)
        except _TRANSPORT_ERRORS as exc:
            raise backend_error_from(exc) from None
        finally:
            response.release()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=100,
                # Below the 5 s idle timeout of uvicorn and Node servers, so a connection is
                # not reused just as the server closes it (a POST is not resent).
                keepalive_timeout=4.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=self._timeout,
                # One session serves every customer: a cookie must not carry over between them.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def _send(self, method: str, url: str, body: Any) -> aiohttp.ClientResponse:
        data, headers = (None, None) if body is None else (_encode(body), _JSON_HEADERS)
        client = self._client()
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = await client.request(
                    method, url, data=data, headers=headers, allow_redirects=False
                )
            except _RETRYABLE_ERRORS as exc:
                if last:
                    raise backend_error_from(exc) from None
            except _TRANSPORT_ERRORS as exc:
                raise backend_error_from(exc) from None
            else:
                status = response.status
                if 200 <= status < 300:
                    return response
                response.release()
                if status < 500 or last:
                    raise BackendError("status", f"HTTP {status}", status=status)
            await asyncio.sleep(self._backoff_s * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")
