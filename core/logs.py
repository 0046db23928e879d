"""Structured logs: one JSON object per line, with secrets and tokens masked before they are written."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# Bearer tokens, our API tokens, OpenAI-style keys, Telegram bot tokens, Slack tokens, Twilio auth.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bfd_[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"),
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"(?i)((?:password|secret|token|api_key|auth_token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
]
MASK = "[redacted]"


class Redactor:
    def __init__(self) -> None:
        self._literals: set[str] = set()

    def add(self, *secrets: str) -> None:
        self._literals.update(s for s in secrets if s and len(s) >= 6)

    def __call__(self, text: str) -> str:
        for literal in self._literals:
            text = text.replace(literal, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text


REDACT = Redactor()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return REDACT(json.dumps(entry, default=str))


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return REDACT(line)


def configure(level: str = "INFO", *, json_lines: bool = True, secrets: list[str] | None = None) -> None:
    REDACT.add(*(secrets or []))
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "openai", "aiosqlite", "asyncio", "alembic", "twilio", "aiogram"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # uvicorn's access log carries query strings; ours is enough.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = True
