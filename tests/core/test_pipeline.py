"""The pipeline's decisions with a real LLM client against the fake OpenAI server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from core.assistants import DEFAULT_HOLDING_REPLY
from core.inbox import turn_outcome
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Conversation, Draft, InboxItem, Message, OutboxItem
from core.notify import StaffAlert
from core.pipeline.turn import Source, Turn
from staff.actor import Actor
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.support import latest_pending, new_workspace


def answer(reply: str, confidence: float = 0.9, cited: list[str] | None = None, needs_staff: bool = False) -> str:
    return json.dumps(
        {"reply": reply, "confidence": confidence, "cited_sources": cited or [], "needs_staff": needs_staff}
    )


@pytest.fixture
def llm() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(default=Step(content=answer("We are open 9am to 6pm, Tuesday to Saturday.")))
    with serve(fake.app) as url:
        yield fake, f"{url}/v1"


async def turn(
    runtime: Runtime, workspace_id: str, account: str, text: str, *, i: int = 1, thread: str = "chat-1"
) -> int:
    result = await runtime.inbox.accept(
        InboundMessage(
            workspace_id=workspace_id,
            channel=ChannelKind.web,
            account=account,
            external_id=f"m{i}-{thread}",
            thread=thread,
            sender=Sender(id=thread),
            text=text,
        )
    )
    await runtime.worker().drain()
    await runtime.sender().run_once()
    return result.inbox_id


async def test_approve_all_waits_for_staff_with_the_llm_draft(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    new = await new_workspace(
        runtime.db, model_settings={"base_url": url, "model": "m1", "api_key": "sk-test-key-123456"}
    )
    inbox_id = await turn(runtime, new.workspace.id, new.assistant.id, "When are you open?")
    outcome = await turn_outcome(runtime.db, inbox_id)
    assert outcome.decision == "needs_approval" and outcome.reply is None
    pending = await latest_pending(runtime.db, new.workspace.id)
    assert pending is not None and pending.text == "We are open 9am to 6pm, Tuesday to Saturday."
    assert pending.source == "llm" and pending.model == "m1"
    # The prompt carried the assistant's instructions and the customer's words; the key went as Bearer.
    request = fake.requests[-1]
    assert request.authorization == "Bearer sk-test-key-123456"
    assert "When are you open?" in request.body["messages"][-1]["content"]
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Conversation.status))).scalar_one() == "waiting"
    await runtime.staff.approve(Actor(new.workspace.id, "api"), pending.id)
    await runtime.sender().run_once()
    async with runtime.db.reader() as s:
        out = (await s.execute(select(Message).where(Message.direction == "out"))).scalar_one()
        assert (out.text, out.status, out.author) == (pending.text, "sent", "assistant")
        assert (await s.execute(select(Conversation.status))).scalar_one() == "open"


async def test_auto_sends_at_once(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    _, url = llm
    new = await new_workspace(runtime.db, approval_policy="auto", model_settings={"base_url": url})
    inbox_id = await turn(runtime, new.workspace.id, new.assistant.id, "When are you open?")
    outcome = await turn_outcome(runtime.db, inbox_id)
    assert outcome.decision == "auto_send"
    assert outcome.reply == "We are open 9am to 6pm, Tuesday to Saturday."


async def test_autopilot_sends_only_grounded_confident_drafts(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    new = await new_workspace(runtime.db, approval_policy="autopilot", model_settings={"base_url": url})

    async def retrieve(t: Turn) -> None:  # what the knowledge base will do: hand the draft a source
        t.sources = [Source(id="hours", title="Opening hours", text="Tue-Sat 9:00-18:00")]

    runtime.pipeline.replace("retrieve", retrieve)
    fake.reply(answer("Open Tue-Sat 9-6.", 0.92, ["hours"]))
    sent = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "hours?", i=1))
    assert sent.decision == "auto_send"
    assert [c["source_id"] for c in sent.citations] == ["hours"]
    fake.reply(answer("Probably open Sunday.", 0.4, ["hours"]))
    unsure = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "sunday?", i=2))
    assert unsure.decision == "needs_approval"
    fake.reply(answer("Yes, we do nails.", 0.95, []))  # confident but cites nothing: not grounded
    ungrounded = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "nails?", i=3))
    assert ungrounded.decision == "needs_approval"


async def test_llm_down_sends_holding_reply_and_tells_staff(runtime: Runtime) -> None:
    alerts: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        alerts.append(alert)

    runtime.notifier.register(hook)
    fake = FakeOpenAI(default=Step(status=500))
    with serve(fake.app) as url:
        new = await new_workspace(runtime.db, approval_policy="auto", model_settings={"base_url": f"{url}/v1"})
        outcome = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "hi"))
    assert outcome.decision == "handoff" and outcome.reply == DEFAULT_HOLDING_REPLY
    assert [a.reason for a in alerts] == ["handoff"]
    pending = await latest_pending(runtime.db, new.workspace.id)
    assert pending is not None and "LLM unavailable" in (pending.reason or "")


async def test_fallback_endpoint_drafts_when_primary_is_down(runtime: Runtime) -> None:
    down, up = FakeOpenAI(default=Step(status=503)), FakeOpenAI(default=Step(content=answer("From fallback.")))
    with serve(down.app) as down_url, serve(up.app) as up_url:
        new = await new_workspace(
            runtime.db,
            approval_policy="auto",
            model_settings={
                "base_url": f"{down_url}/v1",
                "fallback_base_url": f"{up_url}/v1",
                "fallback_model": "backup",
            },
        )
        outcome = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "hi"))
    assert outcome.reply == "From fallback."
    assert up.requests[-1].body["model"] == "backup"


async def test_taken_over_conversation_stays_silent(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    new = await new_workspace(runtime.db, model_settings={"base_url": url})
    await turn(runtime, new.workspace.id, new.assistant.id, "first", i=1)
    pending = await latest_pending(runtime.db, new.workspace.id)
    assert pending is not None
    await runtime.staff.take_over(Actor(new.workspace.id, "api"), pending.id)
    calls = len(fake.requests)
    outcome = await turn_outcome(runtime.db, await turn(runtime, new.workspace.id, new.assistant.id, "second", i=2))
    assert outcome.decision == "silent" and len(fake.requests) == calls
    async with runtime.db.reader() as s:  # the message is still stored for staff to read
        assert (
            await s.execute(select(func.count()).select_from(Message).where(Message.direction == "in"))
        ).scalar_one() == 2


async def test_reprocessing_a_turn_makes_no_second_draft_or_reply(
    runtime: Runtime, llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = llm
    new = await new_workspace(runtime.db, approval_policy="auto", model_settings={"base_url": url})
    inbox_id = await turn(runtime, new.workspace.id, new.assistant.id, "hi")
    calls = len(fake.requests)
    async with runtime.db.reader() as s:
        row = await s.get(InboxItem, inbox_id)
    assert row is not None
    again = await runtime.pipeline.run(row)  # as after a crash between decide and marking the row done
    assert again.decision == "auto_send" and again.reply_outbox_id is not None
    assert len(fake.requests) == calls  # the LLM is not asked again
    async with runtime.db.reader() as s:
        for model in (Draft, OutboxItem):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 1
        assert (await s.execute(select(func.count()).select_from(Message))).scalar_one() == 2
