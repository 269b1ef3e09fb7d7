"""A conversation's value <-> token map, and putting the values back into replies.

The ``pii`` guardrail replaces a value with a token such as ``<PERSON_1>``; the same value
gets the same token for the whole conversation, across turns and message roles. The app
persists the entries (encrypted, in the vault) and rebuilds a ``PiiTokens`` each turn
from them; it passes it to the guardrails as ``ctx.state["pii_tokens"]``.

Values are matched on a key that ignores case and runs of whitespace ("maria  GONZALEZ"
is "Maria Gonzalez"); for number-like types the key keeps letters and digits only, so a
card typed with or without spaces is one value. Restoring replaces only tokens this map
issued: an invented ``<PERSON_9>`` stays as it is and can never reveal anyone's data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

TOKEN_RE = re.compile(r"<([A-Z][A-Z_]*?)_(\d{1,6})>")
# What a token can look like while it is still arriving in a stream: "<", "<PERS", "<PERSON_1".
_PARTIAL_TOKEN = re.compile(r"<[A-Z_]*\d{0,6}\Z")
_MAX_TOKEN_LEN = 48

# Types whose values are numbers or codes: separators do not make a different value.
_CODE_TYPES = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_BANK_NUMBER", "US_PASSPORT", "IP_ADDRESS"}
)
_MIN_KNOWN_LEN = 3


@dataclass(frozen=True, slots=True)
class TokenEntry:
    token: str
    entity_type: str
    value: str


def value_key(entity_type: str, value: str) -> str:
    """The matching key for a value: case- and whitespace-insensitive."""
    if entity_type in _CODE_TYPES:
        return _loose_key(value)
    return " ".join(value.split()).casefold()


def _loose_key(value: str) -> str:
    return re.sub(r"[\W_]", "", value).casefold()


def _name_parts(value: str) -> list[str]:
    """Parts of a person's name that are specific enough to redact on their own."""
    return [
        part
        for part in re.split(r"[\s,]+", value)
        if len(part) >= _MIN_KNOWN_LEN and part.isalpha() and part.casefold() not in STOP_WORDS
    ]


class PiiTokens:
    """The value <-> token map of one conversation (mutable; not thread-safe).

    ``entries`` are what the app persisted: ``(token, entity_type, value)`` triples.
    """

    def __init__(self, entries: Iterable[tuple[str, str, str]] = ()) -> None:
        self._by_token: dict[str, TokenEntry] = {}
        self._by_key: dict[tuple[str, str], TokenEntry] = {}
        self._aliases: dict[str, TokenEntry] = {}  # casefolded name part -> full-name entry
        self._counters: dict[str, int] = {}
        self._new: list[TokenEntry] = []
        self._loose_keys: set[str] = set()
        self._known_re: re.Pattern[str] | None = None
        for token, entity_type, value in entries:
            self._add(TokenEntry(token, entity_type, value))

    def _add(self, entry: TokenEntry) -> None:
        self._by_token[entry.token] = entry
        self._loose_keys.add(_loose_key(entry.value))
        self._by_key.setdefault((entry.entity_type, value_key(entry.entity_type, entry.value)), entry)
        match = TOKEN_RE.fullmatch(entry.token)
        if match:
            # Counters continue after the highest number seen, so tokens never collide.
            number = int(match.group(2))
            self._counters[entry.entity_type] = max(self._counters.get(entry.entity_type, 0), number)
        if entry.entity_type == "PERSON":
            for part in _name_parts(entry.value):
                self._aliases.setdefault(part.casefold(), entry)
        self._known_re = None

    def token_for(self, entity_type: str, value: str) -> str:
        """The token for ``value``: the existing one, or a new one for this conversation."""
        key = value_key(entity_type, value)
        entry = self._by_key.get((entity_type, key))
        if entry is None and entity_type == "PERSON" and " " not in key:
            entry = self._aliases.get(key)  # "maria" after "Maria Gonzalez"
        if entry is not None:
            return entry.token
        number = self._counters.get(entity_type, 0) + 1
        token = f"<{entity_type}_{number}>"
        while token in self._by_token:  # entries loaded with odd tokens must not be reused
            number += 1
            token = f"<{entity_type}_{number}>"
        entry = TokenEntry(token, entity_type, value)
        self._add(entry)
        self._new.append(entry)
        return token

    def new_entries(self) -> list[tuple[str, str, str]]:
        """Entries created since construction, for the app to persist."""
        return [(e.token, e.entity_type, e.value) for e in self._new]

    def entries(self) -> list[tuple[str, str, str]]:
        return [(e.token, e.entity_type, e.value) for e in self._by_token.values()]

    def known_values(self) -> list[tuple[str, str]]:
        """``(entity_type, value)`` pairs to redact even where detectors miss them.

        Includes the distinctive parts of known person names.
        """
        pairs = [(e.entity_type, e.value) for e in self._by_token.values() if len(e.value) >= _MIN_KNOWN_LEN]
        pairs.extend(("PERSON", part) for part in self._aliases)
        return pairs

    def is_known(self, value: str) -> bool:
        """Whether the customer gave ``value`` in this conversation, whatever its type."""
        loose = _loose_key(value)
        return loose in self._loose_keys or value.casefold() in self._aliases

    def find_known(self, text: str) -> list[tuple[str, int, int]]:
        """Occurrences of known values in ``text`` as ``(entity_type, start, end)``."""
        if not self._by_token:
            return []
        if self._known_re is None:
            self._known_re = self._compile_known()
        found: list[tuple[str, int, int]] = []
        for match in self._known_re.finditer(text):
            group = match.lastgroup or ""
            found.append((group.split("__", 1)[1], match.start(), match.end()))
        return found

    def _compile_known(self) -> re.Pattern[str]:
        alternatives: list[str] = []
        # Longest first, so "Maria Gonzalez" wins over the alias "maria".
        pairs = sorted(self.known_values(), key=lambda pair: -len(pair[1]))
        for index, (entity_type, value) in enumerate(pairs):
            if entity_type in _CODE_TYPES:
                chars = [re.escape(c) for c in re.sub(r"[\W_]", "", value)]
                body = r"[\s.\-]?".join(chars)
            else:
                body = r"\s+".join(re.escape(word) for word in value.split())
            if body:
                alternatives.append(f"(?P<k{index}__{entity_type}>{body})")
        return re.compile(r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?![\w@])", re.IGNORECASE)

    def value_of(self, token: str) -> str | None:
        entry = self._by_token.get(token)
        return entry.value if entry else None

    def restore(self, text: str, *, json_escape: bool = False) -> str:
        """Replace the tokens this map issued by their values; leave any other token.

        ``json_escape`` is for tool-call arguments: the value is inserted escaped for a
        JSON string, so a quote in a name cannot break the arguments' JSON.
        """

        def put_back(match: re.Match[str]) -> str:
            entry = self._by_token.get(match.group(0))
            if entry is None:
                return match.group(0)
            return json.dumps(entry.value)[1:-1] if json_escape else entry.value

        return TOKEN_RE.sub(put_back, text)


class StreamRestorer:
    """Restores tokens in a streamed reply, chunk by chunk.

    A token may be split over chunks ("<PER" + "SON_1>"): the restorer holds back a tail
    that could still become a token, so the customer never sees half a token.
    """

    def __init__(self, tokens: PiiTokens, *, json_escape: bool = False) -> None:
        self._tokens = tokens
        self._json_escape = json_escape
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the text that is now safe to show."""
        text = self._pending + chunk
        self._pending = ""
        cut = text.rfind("<")
        if cut != -1 and len(text) - cut <= _MAX_TOKEN_LEN and _PARTIAL_TOKEN.match(text, cut):
            self._pending = text[cut:]
            text = text[:cut]
        return self._tokens.restore(text, json_escape=self._json_escape)

    def flush(self) -> str:
        """End of stream: whatever is held back was not a token; return it restored."""
        text, self._pending = self._pending, ""
        return self._tokens.restore(text, json_escape=self._json_escape)
