"""Cuts a streamed reply into pieces that output guardrails can judge on their own.

Token-by-token checks cannot see a phone number or "I am a real person" that spans
several deltas, so deltas are held until a sentence or line ends (or a piece grows long)
and each piece is checked whole. The customer sees text a sentence at a time.
"""

from __future__ import annotations

import re

# The end of a sentence or line, followed by the whitespace that proves it ended. Not ":" or
# ";": "I'm Sarah; a real person" must reach the impersonation rail as one piece.
_BOUNDARY = re.compile(r"(?<=[.!?\n])\s+")


class Segmenter:
    def __init__(self, *, max_chars: int = 240) -> None:
        self._buffer = ""
        self._max_chars = max_chars

    def feed(self, text: str) -> list[str]:
        self._buffer += text
        pieces: list[str] = []
        while True:
            cut = self._cut_point()
            if cut is None:
                return pieces
            pieces.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]

    def flush(self) -> str:
        rest, self._buffer = self._buffer, ""
        return rest

    def _cut_point(self) -> int | None:
        match = _BOUNDARY.search(self._buffer)
        if match is not None and match.end() < len(self._buffer):
            return match.end()
        if len(self._buffer) > self._max_chars:
            # No sentence end in sight: cut at the last space so words stay whole.
            space = self._buffer.rfind(" ", 0, self._max_chars)
            return space + 1 if space > 0 else self._max_chars
        return None
