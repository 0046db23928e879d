"""A rule's set_context goes through the workspace's context schema, as staff's and the AI's changes
do: a value the schema refuses is a failed action in the rule's log (its on_failure actions run, the
turn goes on), and one it accepts is stored typed, with the rule named in the context history."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import InboxItem
from core.workspaces import issue_token
from rules.models import RuleExecution
from tests.rules.conftest import Clock, add_rule, customer_says
from tests.understanding.conftest import history, salon, the_conversation
from understanding.context import read_context

API = "/api/v1"


async def _executions(runtime: Runtime, rule_id: str) -> list[RuleExecution]:
    async with runtime.db.reader() as s:
        rows = await s.execute(select(RuleExecution).where(RuleExecution.rule_id == rule_id).order_by(RuleExecution.id))
        return list(rows.scalars())


async def test_a_value_the_schema_refuses_is_a_failed_action_not_a_failed_turn(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    rule = await add_rule(
        runtime,
        ws,
        {
            "name": "note the booking",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["book"]},
            "actions": [
                {"type": "set_context", "field": "party_size", "value": "{{ message.text }}"},  # not a number
                {"type": "set_context", "field": "loyalty_card", "value": "gold"},  # not in the schema
                {"type": "set_context", "field": "status", "value": "cancelled"},  # "new" cannot move there
                {"type": "set_context", "field": "wants", "value": "booking"},
            ],
            "on_failure": [{"type": "add_tags", "tags": ["check-rule"]}],
        },
    )
    inbox_id = await customer_says(runtime, ws, assistant, "hello, can I book?")
    async with runtime.db.reader() as s:
        state = (await s.execute(select(InboxItem.state).where(InboxItem.id == inbox_id))).scalar_one()
    assert state == "done"

    [run] = await _executions(runtime, rule.id)
    results = [(a["action"], a["phase"], a["ok"]) for a in run.actions]
    assert results == [
        ("set_context", "action", False),
        ("set_context", "action", False),
        ("set_context", "action", False),
        ("set_context", "action", True),
        ("add_tags", "on_failure", True),
    ], run.actions
    party, loyalty, status = (a["error"] for a in run.actions[:3])
    assert party.startswith("ActionFailed: context party_size: ") and "number" in party
    assert loyalty == "ActionFailed: context loyalty_card: the context schema has no field 'loyalty_card'"
    assert status.startswith("ActionFailed: context status: a conversation cannot go from 'new' to 'cancelled'")

    conv = await the_conversation(runtime, ws)
    assert "check-rule" in conv.tags
    async with runtime.db.reader() as s:
        values = await read_context(s, conv.id)
    assert "party_size" not in values and "loyalty_card" not in values and values["status"] == "new"
    assert values["wants"] == "booking"
    by_rule = [(c.field, c.new_value, c.actor) for c in await history(runtime, conv.id) if c.source == "rule"]
    assert ("wants", "booking", "note the booking") in by_rule
    refused = [(f, actor) for f, _, actor in by_rule if f in ("party_size", "loyalty_card", "status")]
    assert refused == [("status", "workflow")]  # the workflow's first status; nothing of the rule's


async def test_a_value_the_schema_accepts_is_stored_typed(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    rule = await add_rule(
        runtime,
        ws,
        {
            "name": "a table for four",
            "trigger": {"type": "message_received"},
            "actions": [
                {"type": "set_context", "field": "party_size", "value": "4"},
                {"type": "set_context", "field": "phone", "value": "07700 900123"},  # the schema reads it in GB
            ],
        },
    )
    await customer_says(runtime, ws, assistant, "a table please")
    [run] = await _executions(runtime, rule.id)
    assert [a["ok"] for a in run.actions] == [True, True]
    conv = await the_conversation(runtime, ws)
    async with runtime.db.reader() as s:
        values = await read_context(s, conv.id)
    assert values["party_size"] == 4 and values["phone"] == "+447700900123"
    assert run.actions[1]["detail"] == "context phone = '+447700900123'"


async def test_a_staff_edit_whose_rule_is_refused_still_answers(
    runtime: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    ws, assistant = await salon(runtime)
    rule = await add_rule(
        runtime,
        ws,
        {
            "name": "copy the email",
            "trigger": {"type": "context_changed", "field": "email"},
            "actions": [{"type": "set_context", "field": "phone", "value": "{{ context.email }}"}],
        },
    )
    await customer_says(runtime, ws, assistant, "hello")
    conv = await the_conversation(runtime, ws)
    async with runtime.db.session() as s:
        token = await issue_token(s, workspace_id=ws, user_id=None, name="t")
    edited = await client.patch(
        f"{API}/context/workspaces/{ws}/conversations/{conv.id}",
        json={"fields": {"email": "ana@example.com"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert edited.status_code == 200 and edited.json()["fields"] == {"email": "ana@example.com"}
    [run] = await _executions(runtime, rule.id)
    assert run.matched and run.actions[0]["ok"] is False and "phone" in run.actions[0]["error"]
