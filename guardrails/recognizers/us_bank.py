"""US bank account and routing numbers, reported only when introduced as such."""

from __future__ import annotations

import re

from guardrails.recognizers.context import CuedPatternRecognizer


class UsBankAccountRecognizer(CuedPatternRecognizer):
    """8-17 digits after "account", "acct", "checking", "savings", "routing", "bank"."""

    ENTITY = "US_BANK_NUMBER"
    PATTERN = re.compile(r"\b\d{8,17}\b")
    CUES = frozenset({"account", "acct", "acc", "checking", "savings", "routing", "aba", "bank"})
