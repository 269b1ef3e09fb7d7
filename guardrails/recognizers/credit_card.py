"""Payment card numbers: Presidio's pattern plus the Mastercard 2-series (2221-2720).

Presidio's card pattern predates the 2-series BINs, so a third of new Mastercards go
unseen. Both patterns are Luhn-checked by Presidio's ``validate_result``; order numbers
that happen to pass Luhn are removed by ``cs_false_positives`` when introduced as orders.
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

_MASTERCARD_2_SERIES = Pattern(
    "Mastercard 2-series (weak)",
    r"\b2(?:2[2-9]\d|[3-6]\d{2}|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b",
    0.3,
)


class CsCreditCardRecognizer(CreditCardRecognizer):
    def __init__(self) -> None:
        super().__init__(
            patterns=[*CreditCardRecognizer.PATTERNS, _MASTERCARD_2_SERIES], name="CsCreditCardRecognizer"
        )
