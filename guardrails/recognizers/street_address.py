"""Street addresses in US and UK formats (Presidio has no English address recognizer).

Shapes recognised, each optionally followed by a unit, a city, and a US state + ZIP or a
UK postcode (which raise the score):

- US/UK numbered: "1600 Pennsylvania Avenue NW", "221B Baker Street", "10 N. Oak Ave",
  "47 Smith crescent";
- UK secondary first: "Flat 3, Jones Crescent", "Studio 12 Mill Lane";
- post boxes: "P.O. Box 4567".

Street names must be Title Case unless the suffix is unmistakable ("123 main st"), and
no name word may be a stop word or a quantity noun, so "3 blue court shoes", "2 days
way too long" and "by the way" are not addresses.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

ENTITY = "STREET_ADDRESS"

# USPS standard suffixes (Publication 28) plus UK and abbreviated forms; a plural 's' is allowed.
_BROAD_SUFFIXES = (
    "expressway|throughway|trafficway|crossroad|extension|stravenue|underpass|causeway|crescent|"
    "crossing|junction|motorway|mountain|overpass|turnpike|freeway|gateway|heights|highway|landing|"
    "mission|orchard|parkway|passage|prairie|station|terrace|viaduct|village|avenue|branch|bridge|"
    "bypass|canyon|center|circle|common|corner|course|divide|estate|forest|garden|harbor|hollow|"
    "island|meadow|parade|radial|skyway|spring|square|stream|street|summit|tunnel|valley|alley|"
    "brook|cliff|close|court|creek|crest|curve|drive|ferry|field|forge|green|grove|haven|inlet|"
    "knoll|light|lodge|manor|mount|plain|plaza|point|ranch|rapid|ridge|river|route|shoal|shore|"
    "trace|track|trail|union|ville|vista|wharf|bend|blvd|burg|camp|cape|club|cove|cres|dale|fall|"
    "flat|ford|fork|fort|gate|glen|hill|isle|lake|land|lane|loaf|lock|loop|mall|mews|mill|neck|oval|"
    "park|pass|path|pike|pine|pkwy|port|ramp|rest|rise|road|spur|view|walk|wall|well|wood|yard|ave|"
    "cir|dam|hwy|key|row|rue|run|ter|trl|via|way|ct|dr|gr|ln|pl|rd|sq|st"
)
_STRICT_SUFFIXES = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|terrace|parkway|pkwy|highway|hwy|crescent"
)
_NUMBER = r"\d{1,5}[A-Za-z]?(?:-\d{1,5})?"
_DIRECTION = r"(?:[NSEW]\.?|N\.?[EW]\.?|S\.?[EW]\.?|North|South|East|West)"
_TITLE_WORD = r"(?:[A-Z][a-zA-Z'\-]+|\d{1,3}(?:st|nd|rd|th))"
_LOWER_WORD = r"(?:[a-z][a-z'\-]+|\d{1,3}(?:st|nd|rd|th))"
_UNIT = r"(?:,?\s*(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.?|Room|#)\s*#?\s*[A-Za-z0-9\-]{1,6}\b)"
_SECONDARY = r"(?:(?:Flat|Apartment|Apt\.?|Unit|Studio|Suite)\s+\d{1,4}[A-Za-z]?\s*[,\n]?\s*)"
_CITY = r"(?:,?\s*\n?\s*[A-Z][a-zA-Z]+(?:[ \-][A-Z][a-zA-Z]+){0,2})"
_STATE_ZIP = r"(?:,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b)"
_POSTCODE = r"(?:,?\s+[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b)"
_TAIL = rf"(?:\s+{_DIRECTION}\b)?{_UNIT}?(?P<place>{_CITY}?(?:{_STATE_ZIP}|{_POSTCODE}))?"

_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    # Flat-first before numbered, so "Flat 3, Jones Crescent" is one address, not "3, Jones ...".
    (
        "flat then street",
        re.compile(
            rf"\b{_SECONDARY}(?P<name>(?:{_TITLE_WORD}\s+){{1,3}})(?i:(?:{_BROAD_SUFFIXES})s?)\b\.?{_TAIL}"
        ),
        0.65,
    ),
    (
        "numbered street",
        re.compile(
            rf"\b{_SECONDARY}?{_NUMBER},?\s+(?:{_DIRECTION}\s+)?(?P<name>(?:{_TITLE_WORD}\s+){{1,3}})"
            rf"(?i:(?:{_BROAD_SUFFIXES})s?)\b\.?{_TAIL}"
        ),
        0.65,
    ),
    (
        "numbered street, lower case",
        re.compile(
            rf"\b{_NUMBER}\s+(?:{_DIRECTION}\s+)?(?P<name>(?:{_LOWER_WORD}\s+){{1,3}})"
            rf"(?i:{_STRICT_SUFFIXES})\b\.?{_TAIL}"
        ),
        0.6,
    ),
    (
        "post office box",
        re.compile(rf"\b(?:P\.?\s?O\.?\s*Box|Post Office Box)\s+\d{{1,6}}\b{_TAIL}", re.IGNORECASE),
        0.7,
    ),
)
_PLACE_BONUS = 0.2
# Nouns that follow a quantity and would otherwise read as a street name.
_QUANTITY_WORDS = frozenset(
    [
        "days",
        "hours",
        "weeks",
        "months",
        "years",
        "items",
        "pieces",
        "pcs",
        "units",
        "boxes",
        "packs",
        "orders",
        "times",
        "minutes",
        "people",
        "pairs",
        "sizes",
        "colours",
        "colors",
        "bags",
        "bottles",
        "cans",
    ]
)


def _plausible_name(name: str) -> bool:
    words = [w.lower() for w in name.split()]
    return bool(words) and not any(w in STOP_WORDS or w in _QUANTITY_WORDS for w in words)


class StreetAddressRecognizer(EntityRecognizer):
    """Finds US and UK street addresses with regexes and a stop-word check."""

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], name="StreetAddressRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        taken: list[tuple[int, int]] = []
        for label, pattern, score in _PATTERNS:
            for match in pattern.finditer(text):
                name = match.groupdict().get("name")
                if name is not None and not _plausible_name(name):
                    continue
                start, end = match.span()
                if any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                final = min(1.0, score + (_PLACE_BONUS if match.group("place") else 0.0))
                explanation = AnalysisExplanation(
                    recognizer=type(self).__name__,
                    original_score=final,
                    pattern_name=label,
                    textual_explanation=label,
                )
                results.append(RecognizerResult(ENTITY, start, end, final, explanation))
        return results
