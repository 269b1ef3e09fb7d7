"""The signed manifest that closes every audit export.

An export is a body (NDJSON lines or CSV rows) followed by one last line, the trailer::

    {"manifest": {...}, "signature": "<hex Ed25519 signature>"}

(in a CSV export the trailer line starts with ``#``). The manifest records what was
exported (tenant, filters, count, first/last seq and hash, the latest checkpoint) and the
SHA-256 of every byte before the trailer; the signature, by the tenant-independent audit
key, covers the manifest's canonical JSON. ``scripts/verify_audit_export.py`` checks it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORMAT = "candor-audit-export/1"


def canonical(value: Any) -> str:
    """The one JSON spelling that is hashed and signed (as in the hash chain)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(slots=True)
class ManifestBuilder:
    """Follows the bytes and events of an export as they stream, then signs the result."""

    content: str  # "ndjson" | "csv"
    tenant_id: str
    filters: dict[str, str]
    head_seq: int  # the tenant's chain length when the export began; nothing later is in it
    checkpoint: dict[str, Any] | None
    count: int = 0
    first: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    _digest: Any = field(default_factory=hashlib.sha256)

    def add_bytes(self, chunk: bytes) -> bytes:
        self._digest.update(chunk)
        return chunk

    def add_event(self, body: dict[str, Any], event_hash: str) -> None:
        self.count += 1
        mark = {"seq": body.get("seq"), "hash": event_hash, "prev_hash": body.get("prev_hash")}
        if self.first is None:
            self.first = mark
        self.last = mark

    def manifest(self) -> dict[str, Any]:
        first, last = self.first or {}, self.last or {}
        return {
            "format": FORMAT,
            "content": self.content,
            "tenant_id": self.tenant_id,
            "filters": self.filters,
            # Without filters every event of the chain up to head_seq is here, in order.
            "complete": not self.filters,
            "head_seq": self.head_seq,
            "count": self.count,
            "first_seq": first.get("seq"),
            "first_prev_hash": first.get("prev_hash"),
            "first_hash": first.get("hash"),
            "last_seq": last.get("seq"),
            "last_hash": last.get("hash"),
            "checkpoint": self.checkpoint,
            "sha256": self._digest.hexdigest(),
            "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def trailer(self, key: Ed25519PrivateKey, *, prefix: str = "") -> bytes:
        manifest = self.manifest()
        signature = key.sign(canonical(manifest).encode()).hex()
        return f"{prefix}{canonical({'manifest': manifest, 'signature': signature})}\n".encode()
