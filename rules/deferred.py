"""The actions that leave work for later: a webhook call and a follow-up, each queued as a rule job
(rules.jobs runs them), keyed by the evaluation so a retried turn queues it once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.db import insert_for
from rules import schema
from rules.models import RuleJob
from rules.run import Run, Services, need_conversation
from rules.service import seal_secret


def webhook_body(run: Run) -> dict[str, Any]:
    v = run.variables()
    return {
        "event": run.trigger,
        "rule": run.rule_name,
        "workspace_id": run.workspace_id,
        "conversation": v["conversation"],
        "contact": v["contact"],
        "message": v["message"],
        "context": v["context"],
        "at": run.now.isoformat(),
    }


async def _queue(svc: Services, run: Run, *, kind: str, key: str, due: datetime, payload: dict[str, Any]) -> bool:
    async with svc.db.session() as s:
        insert = insert_for(s)
        created = (
            await s.execute(
                insert(RuleJob)
                .values(
                    workspace_id=run.workspace_id,
                    order_key=f"job:{key}",  # jobs are independent: none waits behind another
                    kind=kind,
                    rule_id=run.rule_id,
                    conversation_id=run.conversation.id if run.conversation else None,
                    idempotency_key=key,
                    payload=payload,
                    state="pending",
                    attempts=0,
                    next_attempt_at=due,
                    created_at=run.now,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(RuleJob.id)
            )
        ).scalar_one_or_none()
    svc.poke()
    return created is not None


async def webhook(svc: Services, run: Run, action: schema.Webhook, key: str) -> str:
    if run.dry_run:
        return f"would call {action.url}"
    payload = {
        "url": str(action.url),
        "secret": seal_secret(svc.box, action.secret) if action.secret else None,
        "max_attempts": action.max_attempts,
        "body": webhook_body(run),
    }
    await _queue(svc, run, kind="webhook", key=key, due=run.now, payload=payload)
    return f"queued a call to {action.url}"


async def follow_up(svc: Services, run: Run, action: schema.FollowUp, key: str) -> str:
    need_conversation(run)
    due = run.now + timedelta(minutes=action.after_minutes)
    what = f"rule {action.rule!r}" if action.rule else f"{len(action.actions)} action(s)"
    if run.dry_run:
        return f"would follow up in {action.after_minutes} min with {what}"
    payload = {
        "actions": [a.model_dump(mode="json", by_alias=True) for a in action.actions],
        "rule": action.rule,
        "trigger": run.trigger,
    }
    await _queue(svc, run, kind="follow_up", key=key, due=due, payload=payload)
    return f"follow-up due {due.isoformat(timespec='minutes')} with {what}"
