"""With an LLM: the prompt holds the retrieved passages, citations come back as the knowledge base's
sources, an uncited claim loses confidence, and when the LLM is down the FAQ still answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.inbox import turn_outcome
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Draft
from kb.demo import seed_demo_faq
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.support import new_workspace


def answer(reply: str, confidence: float, cited: list[str]) -> str:
    return json.dumps({"reply": reply, "confidence": confidence, "cited_sources": cited, "needs_staff": False})


@pytest.fixture
def llm() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(default=Step(content=answer("Hello!", 0.9, [])))
    with serve(fake.app) as url:
        yield fake, f"{url}/v1"


async def ask(runtime: Runtime, workspace_id: str, account: str, text: str, i: int) -> int:
    result = await runtime.inbox.accept(
        InboundMessage(
            workspace_id=workspace_id,
            channel=ChannelKind.web,
            account=account,
            external_id=f"m{i}",
            thread=f"t{i}",
            sender=Sender(id=f"t{i}"),
            text=text,
        )
    )
    await runtime.worker().drain()
    return result.inbox_id


async def test_llm_drafts_answer_from_the_passages_and_cite_them(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    new = await new_workspace(runtime.db, approval_policy="autopilot", model_settings={"base_url": url})
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    [hours] = await runtime.knowledge.search(new.workspace.id, "what are your opening hours?", k=1)

    fake.reply(answer("We're open Tuesday to Saturday, 9 to 6.", 0.9, [hours.passage.id]))
    inbox_id = await ask(runtime, new.workspace.id, new.assistant.id, "when are you open?", 1)
    system = fake.requests[-1].body["messages"][0]["content"]
    assert f"[{hours.passage.id}] Bella's Salon FAQ" in system and "closed on Sundays and Mondays" in system
    outcome = await turn_outcome(runtime.db, inbox_id)
    assert outcome.decision == "auto_send" and [c["title"] for c in outcome.citations] == ["Bella's Salon FAQ"]

    fake.reply(answer("Yes, we do nails too.", 0.9, []))  # a claim with no source behind it
    inbox_id = await ask(runtime, new.workspace.id, new.assistant.id, "do you do nails?", 2)
    async with runtime.db.reader() as s:
        draft = (await s.execute(select(Draft).where(Draft.inbox_id == inbox_id))).scalar_one()
    assert draft.confidence == 0.45 and draft.grounded is False and draft.decision == "needs_approval"


async def test_when_the_llm_is_down_the_faq_still_answers(runtime: Runtime, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    new = await new_workspace(runtime.db, approval_policy="autopilot", model_settings={"base_url": url})
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    fake.fail(500).fail(500).fail(500)
    outcome = await turn_outcome(
        runtime.db, await ask(runtime, new.workspace.id, new.assistant.id, "how much is a haircut?", 1)
    )
    assert outcome.decision == "auto_send" and "$55" in (outcome.reply or "") and outcome.citations
