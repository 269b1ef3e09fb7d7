"""Structured JSON logs with the request id. Callers log ids, names and counts, never text."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type and where it was raised; not its message, which may quote input.
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = _frames_only(record.exc_info[2])
        return json.dumps(entry, default=str)


def _frames_only(tb: Any) -> list[str]:
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append(f"{code.co_filename}:{tb.tb_lineno} in {code.co_name}")
        tb = tb.tb_next
    return frames


# Libraries whose debug output quotes SQL parameters or request bodies, i.e. customer
# text. They are held at WARNING whatever the configured level.
_CHATTY_LIBRARIES = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg", "httpx", "httpcore")


def quiet_chatty_libraries() -> None:
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_chatty_libraries()
    # uvicorn's access log prints query strings; ours logs the route template instead.
    logging.getLogger("uvicorn.access").disabled = True
