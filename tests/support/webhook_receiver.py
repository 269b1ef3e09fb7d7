"""A helpdesk's webhook receiver on 127.0.0.1, run by uvicorn in a thread.

It records every request (headers and raw body) and answers from a script of status
codes, then ``default_status``: enough to watch Candor sign, retry and give up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.threaded_server import serve_in_thread


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    script: list[int] = field(default_factory=list)  # status codes answered first, in order
    default_status: int = 200
    received: list[Received] = field(default_factory=list)
    url: str = ""

    async def hook(self, request: Request) -> Response:
        self.received.append(Received(headers=dict(request.headers), body=await request.body()))
        status = self.script.pop(0) if self.script else self.default_status
        return Response(status_code=status)

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.headers.get("x-candor-event") == event_type]


@contextmanager
def serve_receiver(receiver: Receiver | None = None) -> Iterator[Receiver]:
    receiver = receiver or Receiver()
    app = Starlette(routes=[Route("/hooks/candor", receiver.hook, methods=["POST"])])
    with serve_in_thread(app, name="webhook receiver") as port:
        receiver.url = f"http://127.0.0.1:{port}/hooks/candor"
        yield receiver
