"""Reading server-sent events: just enough of the SSE format for OpenAI-style streams."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """Yield the ``data`` payload of each event in a stream of lines.

    Several ``data:`` lines in one event are joined with newlines, as the format says;
    comments (``:``) and other fields (``event:``, ``id:``, ``retry:``) are skipped. An
    event left open at the end of the stream is still delivered, because some servers
    close right after their last ``data:`` line.
    """
    pending: list[str] = []
    async for line in lines:
        if not line:
            if pending:
                yield "\n".join(pending)
                pending = []
            continue
        field, _, value = line.partition(":")
        if field == "data":
            pending.append(value.removeprefix(" "))
    if pending:
        yield "\n".join(pending)
