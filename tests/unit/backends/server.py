"""A real HTTP server on 127.0.0.1 that plays whatever bot a backend test needs.

``serve(handler)`` (the fixture in conftest) starts one that records every request and
answers with ``handler``; the test gets its base URL and what it received.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    url: str  # no trailing slash
    received: list[Received] = field(default_factory=list)


Serve = Callable[..., Awaitable[Server]]


def reply(status: int = 200, *, json_body: Any = None, body: bytes | str | None = None) -> Handler:
    """A handler that always gives the same answer."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if json_body is not None:
            return web.json_response(json_body, status=status)
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.Response(status=status, body=body)

    return handler


def replies(*handlers: Handler) -> Handler:
    """A handler that answers with each of ``handlers`` in turn, then with the last one."""
    queue = list(handlers)

    async def handler(request: web.Request) -> web.StreamResponse:
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return await current(request)

    return handler
