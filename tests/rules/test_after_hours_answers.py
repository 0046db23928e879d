"""At night the salon's after-hours reply answers only what the knowledge base cannot: "are you open
on Sunday?" still gets the FAQ's answer, with its citation, straight away."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.runtime import Runtime
from core.messages import Citation
from core.models import Message
from kb.demo import seed_demo_faq
from rules import templates
from tests.rules.conftest import Clock, customer_says, salon


async def test_after_hours_the_faq_still_answers_and_the_rule_covers_the_rest(runtime: Runtime, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # Saturday night, closed (Europe/Madrid: 23:00)
    workspace_id, assistant_id = await salon(runtime, policy="autopilot")
    async with runtime.db.session() as s:
        await templates.install(s, workspace_id=workspace_id, pack="salon", box=runtime.box)
    runtime.rules.book.forget(workspace_id)
    await seed_demo_faq(runtime.db, workspace_id=workspace_id)

    await customer_says(runtime, workspace_id, assistant_id, "Are you open on Sunday?", n=1, thread="a")
    await customer_says(runtime, workspace_id, assistant_id, "Do you sell car insurance?", n=2, thread="b")
    async with runtime.db.reader() as s:
        replies = {
            m.conversation_id: m for m in (await s.execute(select(Message).where(Message.direction == "out"))).scalars()
        }
        threads = {
            m.conversation_id: m.text
            for m in (await s.execute(select(Message).where(Message.direction == "in"))).scalars()
        }
    by_question = {threads[c]: m for c, m in replies.items()}
    faq = by_question["Are you open on Sunday?"]
    assert "closed on Sundays" in faq.text and "closed right now" not in faq.text
    assert [Citation.model_validate(c).title for c in faq.citations]  # the FAQ is cited
    other = by_question["Do you sell car insurance?"]
    assert "is closed right now" in other.text and other.status in ("pending", "sent")
