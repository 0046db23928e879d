"""One update, from the webhook or the poller, into the inbox."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiogram.types import Update

from channels.telegram.normalize import Normalized, normalize
from core.channels import AcceptFn
from core.metrics import UNSUPPORTED

if TYPE_CHECKING:
    from channels.telegram.connection import Connection

log = logging.getLogger(__name__)


async def ingest(
    update: Update, connection: Connection, accept: AcceptFn, *, raw: dict[str, Any] | None = None
) -> Normalized:
    """Normalise and accept. Unsupported and not-for-us updates are counted, logged and dropped:
    they are still acknowledged, or Telegram would redeliver them forever."""
    outcome = normalize(update, connection.identity, raw=raw)
    if outcome.message is not None:
        await accept(outcome.message)
    else:
        UNSUPPORTED.labels("telegram", f"{outcome.update_type}:{outcome.skipped}").inc()
        log.info(
            "telegram update not handled",
            extra={"connection_id": connection.id, "update_type": outcome.update_type, "why": outcome.skipped},
        )
    return outcome
