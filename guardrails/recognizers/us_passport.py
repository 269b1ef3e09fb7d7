"""US passport numbers (9 digits, or a letter and 8 digits) after the word "passport"."""

from __future__ import annotations

import re

from guardrails.recognizers.context import CuedPatternRecognizer


# Not named UsPassportRecognizer: Presidio's registry loader finds recognizers by class
# name among all subclasses, and would build this one in place of its own.
class UsPassportCueRecognizer(CuedPatternRecognizer):
    ENTITY = "US_PASSPORT"
    PATTERN = re.compile(r"\b[A-Z]?\d{8,9}\b")
    CUES = frozenset({"passport", "passport#"})
