"""Customer-service false positives, removed after detection.

Presidio alone tags order numbers as phone numbers (and as credit cards when they pass
Luhn), firmware versions as IP addresses, and product names as people. This filter drops
a number-like finding when

- the nearest cue word before it names a customer-service identifier ("order",
  "tracking", "invoice", "SKU", ...) rather than personal data ("phone", "card", ...);
- it is glued to a longer identifier ("ORD-5551234567", "#4539...", "5551234567-A");
- it is a price, a date or a time ("$1299.99", "2024-05-03", "14:30:00").

PERSON and LOCATION findings made of codes, digits or common shop words are dropped too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import RecognizerResult

from guardrails.recognizers.context import words_before

NUMBER_TYPES = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "US_BANK_NUMBER", "US_PASSPORT", "US_SSN", "IP_ADDRESS", "IBAN_CODE"}
)
CS_CUES = frozenset(
    [
        "order",
        "orders",
        "ord",
        "tracking",
        "track",
        "trk",
        "shipment",
        "parcel",
        "package",
        "awb",
        "consignment",
        "invoice",
        "inv",
        "ref",
        "reference",
        "sku",
        "item",
        "model",
        "part",
        "serial",
        "ticket",
        "case",
        "confirmation",
        "conf",
        "booking",
        "reservation",
        "rma",
        "return",
        "receipt",
        "product",
        "upc",
        "ean",
        "isbn",
        "asin",
        "version",
        "firmware",
        "build",
        "po",
        "sn",
    ]
)
PII_CUES = frozenset(
    [
        "phone",
        "call",
        "mobile",
        "cell",
        "tel",
        "telephone",
        "text",
        "whatsapp",
        "fax",
        "reach",
        "contact",
        "card",
        "visa",
        "mastercard",
        "amex",
        "debit",
        "credit",
        "ssn",
        "social",
        "security",
        "iban",
        "account",
        "acct",
        "routing",
        "passport",
        "ip",
    ]
)
_NAME_TYPES = frozenset({"PERSON", "LOCATION"})
# Words spaCy's small model tends to tag as names or places in support chats.
_SHOP_WORDS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "order",
        "refund",
        "return",
        "tracking",
        "delivery",
        "invoice",
        "sku",
        "item",
        "customer",
        "support",
        "agent",
        "bot",
        "assistant",
        "ok",
        "okay",
        "yes",
        "no",
        "sorry",
        "black",
        "white",
        "blue",
        "red",
        "green",
        "silver",
        "gold",
        "pro",
        "max",
        "mini",
        "plus",
        "ultra",
        "lite",
        "xl",
        "xxl",
        "amazon",
        "paypal",
        "visa",
        "mastercard",
    ]
)
_PRICE_OR_TIME = re.compile(
    r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?)$"
)
# Shapes that belong to another entity or to a timestamp, when phonenumbers claims them.
_NOT_A_PHONE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|\d{3}-\d{2}-\d{4}|\d{4}-\d{2}-\d{2}.*)$")
# Countries and regions: where a shop delivers is not personal data.
_REGION_NAMES = frozenset(
    [
        "canada",
        "usa",
        "us",
        "america",
        "united states",
        "mexico",
        "uk",
        "britain",
        "great britain",
        "england",
        "scotland",
        "wales",
        "ireland",
        "northern ireland",
        "france",
        "germany",
        "spain",
        "italy",
        "portugal",
        "netherlands",
        "holland",
        "belgium",
        "switzerland",
        "austria",
        "sweden",
        "norway",
        "denmark",
        "finland",
        "poland",
        "europe",
        "eu",
        "asia",
        "africa",
        "australia",
        "new zealand",
        "japan",
        "china",
        "india",
        "brazil",
        "argentina",
        "the us",
        "the uk",
        "the usa",
        "the eu",
    ]
)
_GLUE = "-_/#"


def _nearest_cue(text: str, start: int) -> str | None:
    for word in reversed(words_before(text, start, count=4, chars=40)):
        if word in PII_CUES:
            return "pii"
        if word in CS_CUES or word.startswith("#"):
            return "cs"
    return None


def _glued(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before == "#" or before in "$£€" or (before in _GLUE and start > 1 and text[start - 2].isalnum()):
        return True
    if before.isalnum() or after.isalnum():
        return True
    return after in _GLUE and end + 1 < len(text) and text[end + 1].isalnum()


def is_false_positive(text: str, result: RecognizerResult) -> bool:
    """Whether ``result`` is a routine customer-service value rather than personal data."""
    value = text[result.start : result.end]
    if result.entity_type in NUMBER_TYPES:
        if result.entity_type == "PHONE_NUMBER" and _NOT_A_PHONE.match(value):
            return True
        if _PRICE_OR_TIME.match(value) or _glued(text, result.start, result.end):
            return True
        return _nearest_cue(text, result.start) == "cs"
    if result.entity_type in _NAME_TYPES:
        words = value.lower().split()
        return (
            any(ch.isdigit() for ch in value)
            or (value.isupper() and len(value) > 1)
            or all(w.strip(".,!?'") in _SHOP_WORDS for w in words)
            or (result.entity_type == "LOCATION" and " ".join(words) in _REGION_NAMES)
        )
    return False


def suppress(text: str, results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """``results`` without the customer-service false positives."""
    return [r for r in results if not is_false_positive(text, r)]
