"""The webhook machinery as one unit for lifespan: the outbox writer, the dispatcher and
the one shared HTTP client, started and stopped together."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import WriteGate
from app.webhooks.dispatcher import Retry, WebhookDispatcher
from app.webhooks.outbox import Outbox
from app.webhooks.signing import SecretBox


class Webhooks:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        secret_key: bytes,
        retry: Retry,
        timeout_s: float,
        poll_interval_s: float,
    ) -> None:
        self.box = SecretBox(key=secret_key)
        # Redirects are not followed: a receiver answers where it was registered.
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self.dispatcher = WebhookDispatcher(
            sessionmaker=sessionmaker,
            gate=gate,
            box=self.box,
            client=self._client,
            retry=retry,
            poll_interval_s=poll_interval_s,
            lease_s=max(60.0, 4 * timeout_s),
        )
        self.outbox = Outbox(sessionmaker=sessionmaker, gate=gate, on_stored=self.dispatcher.wake)

    async def start(self) -> None:
        await self.outbox.start()
        await self.dispatcher.start()

    async def stop(self) -> None:
        await self.outbox.stop()  # stores what was observed, so the next start sends it
        await self.dispatcher.stop()
        await self._client.aclose()
