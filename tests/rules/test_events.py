"""Event triggers: a status or context change and a rejected draft run the owner's rules once, with
`changed_to` seeing the change, and a rule chain cannot loop."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Conversation, Draft
from core.notify import StaffAlert
from core.workspaces import issue_token
from rules.models import RuleExecution
from tests.rules.conftest import Clock, add_rule, customer_says, salon

API = "/api/v1"


async def test_status_and_context_changes_chain_to_their_rules(
    runtime: Runtime, clock: Clock, alerts: list[StaffAlert]
) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(
        runtime,
        ws,
        {
            "name": "thanks closes",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["thanks"]},
            "actions": [
                {"type": "set_context", "field": "mood", "value": "happy"},
                {"type": "set_status", "status": "closed"},
            ],
        },
    )
    await add_rule(
        runtime,
        ws,
        {
            "name": "mood noted",
            "trigger": {"type": "context_changed", "field": "mood"},
            "conditions": {"variable": "context.mood", "operator": "changed_to", "value": "happy"},
            "actions": [{"type": "add_tags", "tags": ["happy"]}],
        },
    )
    await add_rule(
        runtime,
        ws,
        {
            "name": "closed again reopens",  # would loop with "thanks closes" without the depth limit
            "trigger": {"type": "status_changed"},
            "conditions": {"variable": "conversation.status", "operator": "changed_to", "value": "closed"},
            "actions": [{"type": "notify_staff", "message": "closed"}, {"type": "set_status", "status": "open"}],
        },
    )
    await add_rule(
        runtime,
        ws,
        {
            "name": "reopened",
            "trigger": {"type": "status_changed"},
            "conditions": {"variable": "conversation.status", "operator": "changed_to", "value": "open"},
            "actions": [{"type": "set_status", "status": "closed"}],
        },
    )
    await customer_says(runtime, ws, assistant, "thanks a lot!")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        fired = (
            (await s.execute(select(RuleExecution.trigger).where(RuleExecution.matched).order_by(RuleExecution.id)))
            .scalars()
            .all()
        )
    assert "happy" in conversation.tags
    assert [a.detail for a in alerts if a.reason == "rule"] == ["closed"]  # once: the chain stopped
    assert fired.count("status_changed") == 2 and fired.count("context_changed") == 1


async def test_staff_actions_in_the_admin_fire_status_and_rejection_rules(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock, alerts: list[StaffAlert]
) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(
        runtime,
        ws,
        {
            "name": "rejected drafts are tagged",
            "trigger": {"type": "draft_rejected"},
            "actions": [{"type": "add_tags", "tags": ["draft-rejected"]}],
        },
    )
    await add_rule(
        runtime,
        ws,
        {
            "name": "closing thanks",
            "trigger": {"type": "status_changed"},
            "conditions": {"variable": "conversation.status", "operator": "changed_to", "value": "closed"},
            "actions": [{"type": "notify_staff", "message": "{{ contact.name }}'s conversation was closed"}],
        },
    )
    await customer_says(runtime, ws, assistant, "Do you do highlights?")
    async with runtime.db.session() as s:
        token = await issue_token(s, workspace_id=ws, user_id=None, name="t")
    headers = {"Authorization": f"Bearer {token}"}
    async with runtime.db.reader() as s:
        draft = (await s.execute(select(Draft))).scalar_one()
    assert (await client.post(f"{API}/drafts/{draft.id}/reject", headers=headers)).status_code == 200
    r = await client.patch(f"{API}/conversations/{draft.conversation_id}", json={"status": "closed"}, headers=headers)
    assert r.status_code == 200, r.text
    r = await client.patch(f"{API}/conversations/{draft.conversation_id}", json={"status": "closed"}, headers=headers)
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
    assert conversation.tags == ["draft-rejected"]
    assert [a.detail for a in alerts if a.reason == "rule"] == ["Ana's conversation was closed"]  # not on the no-op
