"""Phone numbers through ``phonenumbers``, scored to stand without a context boost.

Presidio scores a phone match 0.4 and relies on lemma-based context ("call", "phone") to
lift it over a threshold; Candor's spaCy pipeline keeps only NER (lemmas cost latency),
so the base score is raised instead. Order and tracking numbers that happen to be valid
phone numbers are removed afterwards by ``cs_false_positives``.

Speed: phonenumbers' matcher is most of the analysis time and runs once per region. A
text without seven digits close together is skipped; a text with no digit group
starting with a national trunk "0" is matched as US only, which still finds every number
written internationally ("+44 20 ...") and every North American one. National-format
Spanish or Italian mobiles (no leading 0) are therefore found only with their "+34"/"+39".
"""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

# US/UK/EU formats customers of an English-language service write.
REGIONS = ("US", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "AU")
_DIGIT_RUN = re.compile(r"(?:\d[\s().\-/]{0,3}){7}")
_LENIENCY = 1  # phonenumbers.Leniency.VALID: a real, dialable number
_NATIONAL_TRUNK = re.compile(r"(?<![\d+])\(?0\d")


class CsPhoneRecognizer(PhoneRecognizer):
    SCORE = 0.7

    def __init__(self) -> None:
        super().__init__(supported_regions=REGIONS, leniency=_LENIENCY, name="CsPhoneRecognizer")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if not _DIGIT_RUN.search(text):
            return []
        regions = self.supported_regions if _NATIONAL_TRUNK.search(text) else ("US",)
        results = [
            self._get_recognizer_result(match, text, region, nlp_artifacts)
            for region in regions
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=_LENIENCY)
        ]
        return list(EntityRecognizer.remove_duplicates(results))
