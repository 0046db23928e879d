"""The rules stage on real customer messages: what the customer gets, what staff see, what is logged."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.runtime import Runtime
from core.assistants import DEFAULT_HOLDING_REPLY
from core.models import Conversation, Draft
from core.notify import StaffAlert
from rules.models import Rule, RuleExecution
from tests.rules.conftest import Clock, add_rule, customer_says, replies, salon
from understanding.models import ConversationContext

AFTER_HOURS = {
    "name": "after-hours reply",
    "trigger": {"type": "message_received"},
    "conditions": {"variable": "time.within_business_hours", "operator": "is_false"},
    "actions": [
        {"type": "reply", "template": "Hi {{ contact.name }}! We're closed now; we open {{ next_opening }}."},
        {"type": "send_automatically"},
    ],
}


async def test_after_hours_rule_replies_at_22_in_the_workspace_timezone_but_not_at_10(
    runtime: Runtime, clock: Clock
) -> None:
    ws, assistant = await salon(runtime, tz="Europe/Madrid")
    await add_rule(runtime, ws, AFTER_HOURS)
    clock.now = datetime(2026, 11, 17, 21, 0, tzinfo=UTC)  # Tuesday 22:00 in Madrid
    await customer_says(runtime, ws, assistant, "Can I book a cut?")
    assert await replies(runtime) == ["Hi Ana! We're closed now; we open tomorrow at 09:00."]

    clock.now = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Madrid: open
    await customer_says(runtime, ws, assistant, "Can I book a cut?", n=2)
    # No LLM configured: the honest path (holding reply, staff alerted), not the after-hours reply.
    assert await replies(runtime) == ["Hi Ana! We're closed now; we open tomorrow at 09:00.", DEFAULT_HOLDING_REPLY]
    async with runtime.db.reader() as s:
        log = (await s.execute(select(RuleExecution).order_by(RuleExecution.id))).scalars().all()
        rule = (await s.execute(select(Rule))).scalar_one()
    assert [e.matched for e in log] == [True, False]
    assert log[1].conditions["actual"] is True  # "why not": within business hours was true
    assert log[0].actions[0]["ok"] and log[0].actions[0]["action"] == "reply"
    assert rule.execution_count == 1 and rule.last_fired_at == datetime(2026, 11, 17, 21, 0, tzinfo=UTC)


async def test_urgent_words_hand_off_raise_priority_tag_and_notify(
    runtime: Runtime, clock: Clock, alerts: list[StaffAlert]
) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(
        runtime,
        ws,
        {
            "name": "urgent",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["urgent", "refund"]},
            "actions": [
                {"type": "handoff"},
                {"type": "set_priority", "priority": "urgent"},
                {"type": "add_tags", "tags": ["escalated"]},
                {"type": "set_context", "field": "escalated_because", "value": "{{ message.text }}"},
                {"type": "notify_staff", "message": "Urgent from {{ contact.name }}: {{ message.text }}"},
            ],
        },
    )
    await customer_says(runtime, ws, assistant, "I want a REFUND now")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        context = (await s.execute(select(ConversationContext))).scalar_one()
    assert (conversation.priority, conversation.tags, conversation.status) == ("urgent", ["escalated"], "waiting")
    assert context.fields == {"escalated_because": "I want a REFUND now"}
    assert [a.reason for a in alerts] == ["rule", "handoff"]
    assert alerts[0].detail == "Urgent from Ana: I want a REFUND now"


async def test_require_approval_holds_a_rule_reply_even_on_auto(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(
        runtime,
        ws,
        {
            "name": "price questions need a person",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "matches_regex", "value": r"\bprices?\b"},
            "actions": [{"type": "reply", "template": "Our prices start at 30 EUR."}, {"type": "require_approval"}],
        },
    )
    await customer_says(runtime, ws, assistant, "What are your prices?")
    assert await replies(runtime) == []
    async with runtime.db.reader() as s:
        draft = (await s.execute(select(Draft))).scalar_one()
    assert (draft.state, draft.decision, draft.text, draft.source) == (
        "pending",
        "needs_approval",
        "Our prices start at 30 EUR.",
        "rule",
    )


async def test_a_failing_action_runs_on_failure_and_the_others_still_run(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(
        runtime,
        ws,
        {
            "name": "assign to Bella",
            "trigger": {"type": "message_received"},
            "actions": [
                {"type": "assign", "email": "nobody@example.com"},  # not a member: fails
                {"type": "add_tags", "tags": ["new"]},
            ],
            "on_failure": [{"type": "add_tags", "tags": ["unassigned"]}],
        },
    )
    await customer_says(runtime, ws, assistant, "Hello")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        log = (await s.execute(select(RuleExecution))).scalar_one()
    assert conversation.tags == ["new", "unassigned"]
    assert [(a["action"], a["phase"], a["ok"]) for a in log.actions] == [
        ("assign", "action", False),
        ("add_tags", "action", True),
        ("add_tags", "on_failure", True),
    ]
    assert "not a member" in log.actions[0]["error"]


async def test_priority_order_and_stop_after_match(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    for name, priority, stop in (("low", 10, False), ("high", 50, True), ("mid", 20, False)):
        await add_rule(
            runtime,
            ws,
            {
                "name": name,
                "priority": priority,
                "stop_after_match": stop,
                "trigger": {"type": "message_received"},
                "actions": [{"type": "add_tags", "tags": [name]}],
            },
        )
    await customer_says(runtime, ws, assistant, "Hello")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
    assert conversation.tags == ["high"]  # the highest priority ran first and stopped the rest


async def test_pause_bot_keeps_the_assistant_quiet(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(
        runtime,
        ws,
        {
            "name": "voice notes go to staff",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["complaint"]},
            "actions": [{"type": "pause_bot"}],
        },
    )
    await customer_says(runtime, ws, assistant, "I have a complaint")
    assert await replies(runtime) == []
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Conversation.bot_paused))).scalar_one() is True


async def test_one_reply_per_message_the_first_rule_answers(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, tz="UTC")
    await add_rule(runtime, ws, AFTER_HOURS | {"priority": 200})
    await add_rule(
        runtime,
        ws,
        {
            "name": "booking",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["book"]},
            "actions": [
                {"type": "reply", "template": "Which day suits you?"},
                {"type": "add_tags", "tags": ["booking"]},
            ],
        },
    )
    clock.now = datetime(2026, 11, 17, 23, 0, tzinfo=UTC)
    await customer_says(runtime, ws, assistant, "Can I book?")
    assert await replies(runtime) == ["Hi Ana! We're closed now; we open tomorrow at 09:00."]
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Conversation.tags))).scalar_one() == ["booking"]  # its other actions ran


async def test_assign_to_a_member_and_stop(runtime: Runtime, clock: Clock) -> None:
    from core.models import Membership, User

    ws, assistant = await salon(runtime, policy="auto")
    async with runtime.db.session() as s:
        user = User(email="bella@example.com", name="Bella")
        s.add(user)
        await s.flush()
        s.add(Membership(workspace_id=ws, user_id=user.id, role="agent"))
    await add_rule(
        runtime,
        ws,
        {
            "name": "colour questions to Bella",
            "priority": 10,
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["colour"]},
            "actions": [{"type": "assign", "email": "bella@example.com"}, {"type": "stop"}],
        },
    )
    await add_rule(
        runtime,
        ws,
        {"name": "later", "priority": 5, "trigger": {"type": "message_received"}, "actions": [{"type": "handoff"}]},
    )
    await customer_says(runtime, ws, assistant, "How much is a colour?")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        log = (await s.execute(select(RuleExecution))).scalars().all()
    assert conversation.assigned_user_id == user.id
    assert [e.rule_id for e in log] == [(await _rule_id(runtime, "colour questions to Bella"))]  # "later" never ran


async def _rule_id(runtime: Runtime, name: str) -> str:
    async with runtime.db.reader() as s:
        return (await s.execute(select(Rule.id).where(Rule.name == name))).scalar_one()


async def test_a_rule_reply_stays_quiet_when_staff_have_taken_over(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime, tz="UTC", policy="auto")
    await add_rule(runtime, ws, AFTER_HOURS)
    clock.now = datetime(2026, 11, 17, 23, 0, tzinfo=UTC)
    await customer_says(runtime, ws, assistant, "hello")
    async with runtime.db.session() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        conversation.bot_paused = True  # a takeover
    await customer_says(runtime, ws, assistant, "hello again", n=2)
    assert await replies(runtime) == ["Hi Ana! We're closed now; we open tomorrow at 09:00."]
