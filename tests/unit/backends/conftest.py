"""Fixtures for the backend tests: a real HTTP server on 127.0.0.1, and a closed port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.unit.backends.server import Handler, Received, Serve, Server


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async with AsyncExitStack() as servers:

        async def start(handler: Handler, *, port: int | None = None) -> Server:
            server = Server(url="")

            async def record(request: web.Request) -> web.StreamResponse:
                body = await request.read()
                server.received.append(Received(request.method, request.path, request.headers, body))
                return await handler(request)

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", record)
            # TestServer cancels a handler when its client goes away, so stalls end with the test.
            test_server = await servers.enter_async_context(TestServer(app, port=port))
            server.url = str(test_server.make_url("")).rstrip("/")
            return server

        yield start


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
