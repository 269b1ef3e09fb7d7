"""Tenant PII policy applied to detected spans, and the operators that replace values.

Shared by the ``pii`` (input) and ``pii_leak`` (output) guardrails. Operators:

- ``replace``: the conversation token (``<PERSON_1>``), restorable in the reply;
- ``mask``: all but the last four characters become ``*``;
- ``hash``: ``[TYPE:hash:<hex>]``, HMAC-SHA256 keyed by ``Resources.hmac_key``, first
  128 bits: the same value always hashes the same for a tenant's key, not reversible;
- ``encrypt``: ``[TYPE:enc:<base64url>]``, AES-256-GCM with a random 96-bit nonce and
  the entity type as associated data; the key is HMAC-SHA256(hmac_key,
  ``b"candor/pii/encrypt/v1"``), so it rotates with the secret; ``decrypt_value`` reverses it;
- ``block``: the turn is refused (the text is still redacted, so nothing leaks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult
from pydantic import AfterValidator

from guardrails.base import Finding, RegexList
from guardrails.pii_engine import SUPPORTED_ENTITIES, Span

Operator = Literal["replace", "mask", "hash", "encrypt", "block"]
_ENCRYPT_INFO = b"candor/pii/encrypt/v1"
_ENC_TOKEN = re.compile(r"\[([A-Z_]+):enc:([A-Za-z0-9_\-]+={0,2})\]")


def _known_entities(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(value) - set(SUPPORTED_ENTITIES))
    if unknown:
        raise ValueError(f"unknown PII entities {unknown}; supported: {list(SUPPORTED_ENTITIES)}")
    return value


# Policy field types shared by the ``pii`` and ``pii_leak`` params.
EntityList = Annotated[tuple[str, ...], AfterValidator(_known_entities)]
PatternList = RegexList


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Compile policy regexes case-insensitively; a bad one raises ``ValueError``.

    Called from ``Params`` validators, so a bad regex is a policy error at start-up.
    """
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"pattern {index} is not a valid regular expression: {exc.msg}") from None
    return tuple(compiled)


def _overlaps(span: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in ranges)


def select_spans(
    text: str,
    detected: Iterable[Span],
    *,
    entities: frozenset[str],
    threshold: float,
    allow: Sequence[re.Pattern[str]] = (),
    deny: Sequence[re.Pattern[str]] = (),
    deny_entity: str = "DENY_LIST",
    extra: Iterable[Span] = (),
    protected: Sequence[tuple[int, int]] = (),
) -> list[Span]:
    """The spans to redact, non-overlapping, in text order.

    ``extra`` are spans found by other means (known conversation values); ``protected``
    ranges are never touched (tokens already in the text). Allow-list matches win over
    detection; deny-list matches win over everything but ``protected``.
    """
    spans = [s for s in detected if s.entity_type in entities and s.score >= threshold]
    spans.extend(s for s in extra if s.entity_type in entities)
    allowed = [m.span() for pattern in allow for m in pattern.finditer(text)]
    spans = [s for s in spans if not _overlaps(s, allowed)]
    spans.extend(
        Span(deny_entity, m.start(), m.end(), 1.0, "deny_list")
        for pattern in deny
        for m in pattern.finditer(text)
        if m.end() > m.start()
    )
    chosen: list[Span] = []
    # Longest first: an address beats the city inside it, a full name beats a first name.
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start)):
        if not _overlaps(span, protected) and not _overlaps(span, [(c.start, c.end) for c in chosen]):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def findings(spans: Iterable[Span]) -> tuple[Finding, ...]:
    return tuple(Finding(s.entity_type, s.start, s.end, round(s.score, 3), s.detector) for s in spans)


def mask(value: str) -> str:
    return "*" * max(0, len(value) - 4) + value[-4:] if len(value) > 4 else "*" * len(value)


def keyed_hash(entity_type: str, value: str, *, key: bytes) -> str:
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"[{entity_type}:hash:{digest}]"


def _encryption_key(hmac_key: bytes) -> bytes:
    return hmac.new(hmac_key, _ENCRYPT_INFO, hashlib.sha256).digest()


def encrypt_value(entity_type: str, value: str, *, hmac_key: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_encryption_key(hmac_key)).encrypt(nonce, value.encode("utf-8"), entity_type.encode())
    return f"[{entity_type}:enc:{base64.urlsafe_b64encode(nonce + sealed).decode()}]"


def decrypt_value(token: str, *, hmac_key: bytes) -> str:
    """Reverse ``encrypt_value``; raises ``ValueError`` if the token is not one, or tampered."""
    match = _ENC_TOKEN.fullmatch(token)
    if match is None:
        raise ValueError("not an encrypted PII token")
    raw = base64.urlsafe_b64decode(match.group(2))
    plain = AESGCM(_encryption_key(hmac_key)).decrypt(raw[:12], raw[12:], match.group(1).encode())
    return plain.decode("utf-8")


def apply_operators(
    anonymizer: AnonymizerEngine, text: str, spans: Sequence[Span], replace: Callable[[str, str], str]
) -> str:
    """Replace each span's value by ``replace(entity_type, value)`` through Presidio's anonymizer."""
    if not spans:
        return text
    operators = {
        entity: OperatorConfig("custom", {"lambda": _bind(replace, entity)})
        for entity in {s.entity_type for s in spans}
    }
    results = [RecognizerResult(s.entity_type, s.start, s.end, s.score) for s in spans]
    # No merging of neighbours: two phone numbers side by side are two values.
    result = anonymizer.anonymize(
        text=text, analyzer_results=results, operators=operators, merge_entities_with_spaces=False
    )
    return str(result.text)


def _bind(replace: Callable[[str, str], str], entity: str) -> Callable[[str], str]:
    return lambda value: replace(entity, value)
