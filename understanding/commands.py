"""`frontdesk context show`: what understanding made of a conversation, from the terminal.

The same view as GET /api/v1/context/workspaces/{id}/conversations/{cid}: intent, sentiment with its
cause, the context fields and status, and the history of where each value came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database


@click.group()
def context() -> None:
    """Conversations' context: intent, sentiment, fields and their history."""


@context.command("show")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--conversation", "conversation_id", help="A conversation id (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
def show(workspace_ref: str, conversation_id: str | None, as_json: bool) -> None:
    """Show a conversation's understanding and context history."""
    from sqlalchemy import select

    from core.models import Conversation
    from understanding import context as ctx
    from understanding.sentiment import trend
    from understanding.service import reading_of

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        ws = await find_workspace(s, workspace_ref)
        query = select(Conversation).where(Conversation.workspace_id == ws.id)
        if conversation_id:
            query = query.where(Conversation.id == conversation_id)
        conv = (await s.execute(query.order_by(Conversation.last_message_at.desc()).limit(1))).scalar_one_or_none()
        if conv is None:
            raise click.ClickException("no such conversation (a customer has to write first)")
        reading = await reading_of(s, conv.id)
        return {
            "conversation_id": conv.id,
            "priority": conv.priority,
            "intent": reading.intent if reading else None,
            "intent_confidence": reading.intent_confidence if reading else None,
            "sentiment": reading.sentiment if reading else None,
            "sentiment_score": reading.sentiment_score if reading else None,
            "sentiment_cause": reading.sentiment_cause if reading else None,
            "sentiment_trend": trend(reading.sentiment_history or []) if reading else None,
            "summary": (reading.summary if reading and reading.summary else "needs an LLM"),
            "context": await ctx.read_context(s, conv.id),
            "history": [
                {
                    "field": c.field,
                    "old": c.old_value,
                    "new": c.new_value,
                    "source": c.source,
                    "who": c.actor,
                    "from": c.evidence,
                    "at": c.created_at,
                }
                for c in await ctx.history(s, conv.id)
            ],
        }

    data = with_db(go)
    if as_json:
        out(data)
        return
    conf = data["intent_confidence"]
    click.echo(f"intent:    {data['intent']}" + (f" ({conf:.2f})" if conf is not None else ""))
    click.echo(f"sentiment: {data['sentiment']} ({data['sentiment_score']}); cause: {data['sentiment_cause']}")
    click.echo(f"priority:  {data['priority']}")
    click.echo(f"context:   {data['context']}")
    click.echo("history:")
    for h in data["history"]:
        came = f' from "{h["from"]}"' if h["from"] else ""
        change = f"{h['field']}: {h['old']!r} -> {h['new']!r}"
        click.echo(f"  {h['at']:%Y-%m-%d %H:%M}  {change}  [{h['source']}: {h['who']}]{came}")


COMMANDS: list[click.Command] = [context]
