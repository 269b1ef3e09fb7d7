"""Sending pending deliveries: a background task that claims what is due, posts it,
signed, and records every attempt on the delivery row.

A delivery is claimed by moving its ``next_attempt_at`` forward by a lease with a
compare-and-set (``WHERE next_attempt_at = <the value read>``): of two replicas reading
the same row, only one update matches, so only one sends. A sender that dies mid-send
leaves the row to be claimed again once the lease has run out. 2xx is delivered;
anything else is retried after ``Retry.delay`` until ``max_attempts``, then failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import WriteGate, utcnow
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import SecretBox, sign

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Retry:
    """Waits ``first_s``, then ``factor`` times longer each time, never over ``cap_s``."""

    max_attempts: int = 6
    first_s: float = 1.0
    factor: float = 4.0
    cap_s: float = 3600.0

    def delay(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failed attempt (1, 4, 16, 64, 256 s by default)."""
        return float(min(self.first_s * self.factor ** (attempts - 1), self.cap_s))


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: str
    endpoint_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    url: str
    sealed_secret: bytes
    lease: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookDispatcher:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        box: SecretBox,
        client: httpx.AsyncClient,
        retry: Retry,
        poll_interval_s: float = 1.0,
        lease_s: float = 60.0,
        batch_size: int = 20,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._box = box
        self._client = client
        self._retry = retry
        self._poll_interval_s = poll_interval_s
        self._lease = timedelta(seconds=lease_s)
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New deliveries were stored: look now rather than at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        # Pending rows left by an earlier run are due already: the first pass sends them.
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run_once(self) -> int:
        """Claims what is due, sends it and records the outcomes; returns how many were sent."""
        jobs = await self._claim_due()
        if jobs:
            outcomes = await asyncio.gather(*(self._send(job) for job in jobs))
            await self._record(outcomes)
        return len(jobs)

    async def _run(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            sent = 0
            try:
                sent = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - try again next round; never end the task
                log.warning("webhook dispatch failed", extra={"error": type(exc).__name__})
            if sent >= self._batch_size:
                continue  # more may be due
            try:
                async with asyncio.timeout(self._poll_interval_s):
                    await self._wakeup.wait()
            except TimeoutError:
                pass

    async def _claim_due(self) -> list[Job]:
        now = utcnow()
        lease = now + self._lease
        jobs = []
        async with self._gate.writing(self._sessionmaker) as session:
            due = (
                await session.execute(
                    select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.status == DeliveryStatus.PENDING.value,
                        WebhookDelivery.next_attempt_at <= now,
                        WebhookEndpoint.disabled_at.is_(None),
                    )
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(self._batch_size)
                )
            ).all()
            for delivery, url, sealed in due:
                won = await session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == delivery.id,
                        WebhookDelivery.status == DeliveryStatus.PENDING.value,
                        WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
                    )
                    .values(next_attempt_at=lease)
                    .returning(WebhookDelivery.id)
                    .execution_options(synchronize_session=False)
                )
                if won.scalar_one_or_none() is None:
                    continue  # another replica claimed it
                jobs.append(
                    Job(
                        delivery_id=delivery.id,
                        endpoint_id=delivery.endpoint_id,
                        event_type=delivery.event_type,
                        payload=delivery.payload,
                        attempts=delivery.attempts,
                        url=url,
                        sealed_secret=sealed,
                        lease=lease,
                    )
                )
        return jobs

    async def _send(self, job: Job) -> Outcome:
        try:
            secret = self._box.open(job.sealed_secret, endpoint_id=job.endpoint_id)
        except Exception as exc:  # noqa: BLE001 - e.g. CANDOR_SECRET_KEY changed: record, go on
            return Outcome(job=job, error=f"secret:{type(exc).__name__}"[:64])
        body = json.dumps(job.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Candor-Webhooks/1",
            "X-Candor-Event": job.event_type,
            "X-Candor-Delivery": job.delivery_id,
            "X-Candor-Timestamp": timestamp,
            "X-Candor-Signature": sign(secret, timestamp=timestamp, body=body),
        }
        try:
            response = await self._client.post(job.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(job=job, error=type(exc).__name__)
        return Outcome(job=job, status_code=response.status_code)

    async def _record(self, outcomes: list[Outcome]) -> None:
        now = utcnow()
        async with self._gate.writing(self._sessionmaker) as session:
            for outcome in outcomes:
                job = outcome.job
                attempts = job.attempts + 1
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "last_status_code": outcome.status_code,
                    "last_error": outcome.error
                    or (None if outcome.delivered else f"http_{outcome.status_code}"),
                }
                if outcome.delivered:
                    values.update(
                        status=DeliveryStatus.DELIVERED.value, delivered_at=now, next_attempt_at=None
                    )
                elif attempts >= self._retry.max_attempts:
                    values.update(status=DeliveryStatus.FAILED.value, next_attempt_at=None)
                else:
                    values.update(next_attempt_at=now + timedelta(seconds=self._retry.delay(attempts)))
                await session.execute(
                    update(WebhookDelivery)
                    # Still ours: a lease that ran out may have let another sender in.
                    .where(
                        WebhookDelivery.id == job.delivery_id, WebhookDelivery.next_attempt_at == job.lease
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if not outcome.delivered:
                    log.info(
                        "webhook attempt failed",
                        extra={
                            "delivery_id": job.delivery_id,
                            "attempts": attempts,
                            "status_code": outcome.status_code,
                            "error": outcome.error,
                        },
                    )
