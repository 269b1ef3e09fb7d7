#!/usr/bin/env python3
"""Checks a Candor audit export offline: python verify_audit_export.py FILE --public-key HEX

Needs only the Python standard library and ``cryptography``; it does not talk to Candor.
Get the public key once from ``GET /v1/audit/public-key`` (or from whoever runs Candor) and
keep it apart from the exports.

What it checks (see docs/audit.md):
1. the trailer (last line) is a manifest signed by that key;
2. the SHA-256 of every byte before the trailer is the one the manifest states, so any
   change to the file, even one byte, fails;
3. NDJSON: every event's hash is recomputed from its canonical JSON and its prev_hash;
   both formats: the count, first/last seq and hash match the manifest, and consecutive
   events link (each prev_hash is the hash before it); an unfiltered ("complete") export
   must have no gap in seq and start from the genesis hash when it starts at seq 1;
4. the checkpoint in the manifest is signed by the same key, and when the export holds the
   event at the checkpoint's tree size, that event's hash is the checkpoint's head hash.

Exit status 0 when everything holds; 1 with the first bad line otherwise; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
FORMAT = "candor-audit-export/1"
# The fields a checkpoint's hash covers (its hash, signature and key id are not among them).
CHECKPOINT_FIELDS = ("tenant_id", "tree_size", "head_hash", "created_at", "prev_checkpoint_hash")


class Bad(Exception):
    """The export does not verify; the message names where."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(body)).encode()).hexdigest()


def check_signature(key: Ed25519PublicKey, signature_hex: Any, message: bytes, what: str) -> None:
    try:
        key.verify(bytes.fromhex(str(signature_hex)), message)
    except (InvalidSignature, ValueError):
        raise Bad(f"{what}: the signature does not match the public key") from None


def split_trailer(data: bytes) -> tuple[bytes, bytes, int]:
    """The body, the trailer line, and the trailer's line number."""
    if not data.endswith(b"\n"):
        raise Bad("end of file: the export is truncated (no final newline)")
    cut = data.rfind(b"\n", 0, len(data) - 1) + 1
    return data[:cut], data[cut:-1], data[:cut].count(b"\n") + 1


def ndjson_events(body: bytes) -> Iterator[tuple[int, str, dict[str, Any]]]:
    for number, line in enumerate(body.decode("utf-8").splitlines(), start=1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise Bad(f"line {number}: not JSON") from None
        if not isinstance(event, dict) or not isinstance(event.get("hash"), str):
            raise Bad(f"line {number}: not an audit event")
        stated = event.pop("hash")
        if event_hash(str(event.get("prev_hash")), event) != stated:
            raise Bad(f"line {number}: the event's hash does not match its content (seq {event.get('seq')})")
        yield number, stated, event


def csv_events(body: bytes) -> Iterator[tuple[int, str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    if not reader.fieldnames or "hash" not in reader.fieldnames or "seq" not in reader.fieldnames:
        raise Bad("line 1: not a Candor audit CSV header")
    for row in reader:
        try:
            seq = int(row["seq"])
        except (TypeError, ValueError):
            raise Bad(f"line {reader.line_num}: seq is not a number") from None
        yield reader.line_num, row["hash"], {"seq": seq, "prev_hash": row.get("prev_hash")}


def verify(data: bytes, key: Ed25519PublicKey) -> str:
    body, trailer_line, trailer_number = split_trailer(data)
    is_csv = trailer_line.startswith(b"#")
    try:
        trailer = json.loads(trailer_line[1:] if is_csv else trailer_line)
        manifest = trailer["manifest"]
        signature = trailer["signature"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise Bad(f"line {trailer_number}: the last line is not a signed manifest") from None
    check_signature(key, signature, canonical(manifest).encode(), f"line {trailer_number} (manifest)")
    if manifest.get("format") != FORMAT or manifest.get("content") != ("csv" if is_csv else "ndjson"):
        raise Bad(f"line {trailer_number}: unknown export format")
    if hashlib.sha256(body).hexdigest() != manifest["sha256"]:
        raise Bad("the file's bytes differ from the ones the manifest signed (sha256 mismatch)")

    events = csv_events(body) if is_csv else ndjson_events(body)
    checkpoint = manifest.get("checkpoint")
    complete = bool(manifest.get("complete"))
    count, first, last, previous = 0, None, None, None
    checkpoint_seen = False
    for number, stated, event in events:
        seq = event["seq"]
        if previous is not None:
            prev_seq, prev_hash = previous
            if seq <= prev_seq:
                raise Bad(f"line {number}: seq {seq} is out of order")
            if complete and seq != prev_seq + 1:
                raise Bad(f"line {number}: events {prev_seq + 1}..{seq - 1} are missing")
            if seq == prev_seq + 1 and event["prev_hash"] != prev_hash:
                raise Bad(f"line {number}: prev_hash does not link to the event before it")
        elif seq == 1 and event["prev_hash"] != GENESIS_HASH:
            raise Bad(f"line {number}: the first event does not start from the genesis hash")
        if checkpoint and seq == checkpoint.get("tree_size"):
            if stated != checkpoint.get("head_hash"):
                raise Bad(f"line {number}: the event differs from the one the checkpoint signed")
            checkpoint_seen = True
        count += 1
        first = first or (seq, stated)
        last = previous = (seq, stated)
    stated_marks = (
        manifest["first_seq"],
        manifest["first_hash"],
        manifest["last_seq"],
        manifest["last_hash"],
    )
    if count != manifest["count"]:
        raise Bad(f"the file holds {count} events, the manifest says {manifest['count']}")
    if (first or (None, None)) + (last or (None, None)) != stated_marks:
        raise Bad("the first or last event is not the one the manifest names")
    if complete and last is not None and last[0] != manifest["head_seq"]:
        raise Bad(f"the export ends at seq {last[0]} but the chain head was {manifest['head_seq']}")
    note = "no checkpoint"
    if checkpoint:
        signed = {name: checkpoint.get(name) for name in CHECKPOINT_FIELDS}
        if hashlib.sha256(canonical(signed).encode()).hexdigest() != checkpoint.get("checkpoint_hash"):
            raise Bad("checkpoint: its hash does not match its fields")
        check_signature(
            key, checkpoint.get("signature"), str(checkpoint.get("checkpoint_hash")).encode(), "checkpoint"
        )
        note = f"checkpoint at {checkpoint.get('tree_size')} signed" + (
            " and matched" if checkpoint_seen else ""
        )
    span = f"seq {first[0]}..{last[0]}" if first and last else "no events"
    return f"OK: {count} events ({span}), {'complete' if complete else 'filtered'} export, {note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Candor audit export offline.")
    parser.add_argument("file", help="the .ndjson or .csv export")
    parser.add_argument("--public-key", required=True, help="the audit key, 64 hex characters")
    args = parser.parse_args(argv)
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(args.public_key))
    except ValueError:
        print("the public key must be 32 bytes in hex", file=sys.stderr)
        return 2
    with open(args.file, "rb") as handle:
        data = handle.read()
    try:
        print(verify(data, key))
    except Bad as problem:
        print(f"FAILED: {problem}")
        return 1
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as problem:
        print(f"FAILED: the export is malformed ({type(problem).__name__})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
