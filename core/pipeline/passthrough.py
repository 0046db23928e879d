"""Stages that later features fill in. Each passes the turn through unchanged and honestly:
no transcript, no understanding, no rule fired, no knowledge-base source."""

from __future__ import annotations

from core.pipeline.turn import Turn


async def media(turn: Turn) -> None:
    """Voice notes and files (issue: media). Attachments stay as received, without transcripts."""


async def understand(turn: Turn) -> None:
    """Intent, sentiment, context fields (issue: understanding). Nothing is inferred."""


async def rules(turn: Turn) -> None:
    """The owner's rules (issue: rules). No rule exists, so none fires."""


async def retrieve(turn: Turn) -> None:
    """The knowledge base (issue: kb). No sources, so no draft is grounded."""
