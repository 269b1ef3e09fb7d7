"""API keys: minted once, stored only as hashes, checked in constant time.

A key reads ``cnd_<id>_<secret>``: the id finds the row without scanning, the secret
carries 256 bits of entropy, and only SHA-256 of the whole key is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import AuthenticationFailed, InvalidRequest, NotFound
from app.tenants.models import ApiKey, Tenant

PREFIX = "cnd"
# Compared against when the key id is unknown, so that both paths do the same work.
_DUMMY_HASH = hashlib.sha256(b"candor-no-such-key").hexdigest()


class Role(StrEnum):
    CHAT = "chat"
    AGENT = "agent"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: one key, one role, one tenant."""

    key_id: str
    tenant_id: str
    tenant_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class MintedKey:
    id: str
    tenant_id: str
    role: Role
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRequest(
            f"unknown role; use one of: {', '.join(r.value for r in Role)}", param="role"
        ) from None


async def create_key(*, session: AsyncSession, tenant_id: str, role: Role, name: str = "") -> MintedKey:
    key_id = secrets.token_hex(8)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(id=key_id, tenant_id=tenant_id, role=role.value, key_hash=hash_key(key), name=name))
    await session.flush()
    return MintedKey(id=key_id, tenant_id=tenant_id, role=role, key=key)


async def revoke_key(*, session: AsyncSession, tenant_id: str, key_id: str) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    # Another tenant's key is reported exactly like a missing one.
    if row is None or row.tenant_id != tenant_id or row.revoked_at is not None:
        raise NotFound("no such key")
    row.revoked_at = utcnow()
    await session.flush()
    return row


async def authenticate(*, session: AsyncSession, presented: str) -> Principal:
    parts = presented.split("_", 2)
    key_id = parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""
    row = None
    if key_id:
        result = await session.execute(
            select(ApiKey, Tenant.name).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.id == key_id)
        )
        row = result.first()
    expected = row[0].key_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(expected, hash_key(presented))
    if row is None or not matches or row[0].revoked_at is not None:
        raise AuthenticationFailed("invalid API key")
    key, tenant_name = row
    return Principal(key_id=key.id, tenant_id=key.tenant_id, tenant_name=tenant_name, role=Role(key.role))


class KeyCache:
    """Recently authenticated keys, so that a chat turn does not pay a database round
    trip for its key. Entries live ``ttl_s`` seconds: a key revoked on another replica
    stops working within that time; on this replica, at once."""

    def __init__(self, *, ttl_s: float, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, presented: str) -> Principal | None:
        if self._ttl_s <= 0:
            return None
        entry = self._entries.get(hash_key(presented))
        if entry is None:
            return None
        principal, expires = entry
        if time.monotonic() >= expires:
            self._entries.pop(hash_key(presented), None)
            return None
        return principal

    def put(self, presented: str, principal: Principal) -> None:
        if self._ttl_s <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # rare; simpler and safer than an LRU for a 5 s cache
        self._entries[hash_key(presented)] = (principal, time.monotonic() + self._ttl_s)

    def forget_key(self, key_id: str) -> None:
        for digest, (principal, _) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[digest]
