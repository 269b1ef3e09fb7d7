"""Phone numbers through ``phonenumbers``, scored to stand without a context boost.

Presidio scores a phone match 0.4 and relies on lemma-based context ("call", "phone") to
lift it over a threshold; Candor's spaCy pipeline keeps only NER (lemmas cost latency),
so the base score is raised instead. Order and tracking numbers that happen to be valid
phone numbers are removed afterwards by ``cs_false_positives``.
"""

from __future__ import annotations

from presidio_analyzer.predefined_recognizers import PhoneRecognizer

# US/UK/EU formats customers of an English-language service write.
REGIONS = ("US", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "CA", "AU")


class CsPhoneRecognizer(PhoneRecognizer):
    SCORE = 0.7

    def __init__(self) -> None:
        super().__init__(supported_regions=REGIONS, leniency=1, name="CsPhoneRecognizer")
