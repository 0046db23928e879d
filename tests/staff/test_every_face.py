"""Every face does the same staff action: the API (httpx on the app), the CLI (click's runner on
`frontdesk`) and the Slack console (the real bolt app and slack_sdk against the fake Slack, with
signed payloads) each act on a draft or conversation of their own, and the same audit entry, the
same rule event and the same live-update notice come out of all three.

What each face offers: approve (optionally edited, optionally saved as an answer), reject with a
reason and take over are in all three. Handing back, taking a conversation over without a draft
and replying are in the API and Slack (the CLI has no command for them). Status, priority, tags,
assignee, context edits and workflow moves are in the API only; so is retrying a failed turn
(tests/staff/test_failed_turns.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.runtime import Runtime
from bot.settings import Settings
from channels.slack import cards
from core.models import Conversation, Draft
from core.workspaces import issue_token
from rules.models import RuleExecution
from staff.models import AuditEntry
from tests.admin.conftest import API, bearer
from tests.channels.slack_support import add_staff, click, connect, post_form, post_json, staff_message, submit
from tests.channels.test_slack import ANN, DRAFT, Customer, card_buttons, card_for, eventually, fake, llm
from tests.conftest import make_settings
from tests.fakes.slack_server import STAFF_CHANNEL, FakeSlack
from tests.rules.conftest import add_rule
from tests.support import new_workspace
from understanding import context
from understanding.models import ContextChange
from understanding.schema import SchemaSpec
from understanding.templates import FRONT_DESK_SCHEMA

__all__ = ["fake", "llm"]  # the Slack tests' fixtures: a fake Slack and a fake LLM that drafts DRAFT
REASON, EDIT, REPLY = "We moved the hours", "Open 9 to 6, and until 8 on Thursdays.", "We open at 9."
VOLATILE = ("outbox_id",)  # differs per conversation whichever face sends


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, chat_wait_seconds=0.3)


@pytest.fixture
def cli(settings: Settings, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`frontdesk` on the test database, with the server's secret key (it opens the same sealed secrets)."""
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", settings.key)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "0")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@dataclass
class Target:
    """A customer's conversation with a draft waiting for staff, and its card in Slack."""

    conversation: str
    draft: str
    card_ts: str


@dataclass
class Desk:
    client: httpx.AsyncClient
    runtime: Runtime
    fake: FakeSlack
    runner: CliRunner
    workspace_id: str
    slug: str
    agent: str
    connection: str
    ann: str  # the staff member's user id, in the API and in Slack
    headers: dict[str, str]
    changed: asyncio.Queue[str]
    cards: int = 0
    seen: set[str] = field(default_factory=set)

    async def waiting(self, count: int, question: str = "When are you open?") -> list[Target]:
        targets = []
        for _ in range(count):
            await Customer(self.client, self.agent).say(question)
            self.cards += 1
            card = await card_for(self.fake, self.cards)
            draft_id = card_buttons(card["blocks"])[cards.EDIT]
            async with self.runtime.db.reader() as s:
                draft = await s.get(Draft, draft_id)
            assert draft is not None and draft.state == "pending"
            targets.append(Target(draft.conversation_id, draft_id, card["_ts"]))
        return targets

    async def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        r = await self.client.request(method, f"{API}{path}", headers=self.headers, json=body)
        assert r.status_code in (200, 202), r.text
        return r

    async def cli(self, *args: str) -> None:
        result = await asyncio.to_thread(self.runner.invoke, main, [*args, "--workspace", self.slug])
        assert result.exit_code == 0, result.output

    async def click(self, action_id: str, value: str, card_ts: str = "1700000000.000001") -> None:
        r = await post_form(self.client, self.connection, click(action_id, value, user=ANN, message_ts=card_ts))
        assert r.status_code == 200
        await self.runtime.slack.services.settle()  # a button's work runs after the ack

    async def modal(self, button: str, target: Target, values: dict[str, str]) -> None:
        opened = len(self.fake.of("views.open"))
        await self.click(button, target.draft, target.card_ts)
        views = await eventually(lambda: _now(self.fake.of("views.open")[opened:]))
        r = await post_form(self.client, self.connection, submit(views[-1]["view"], user=ANN, values=values))
        assert r.status_code == 200 and r.content in (b"", b"null", b"{}"), r.text  # the modal closed

    async def command(self, text: str) -> str:
        form = {"token": "verification_token", "team_id": "T111", "team_domain": "bella", "channel_id": STAFF_CHANNEL,
                "channel_name": "frontdesk-staff", "user_id": ANN, "user_name": ANN, "command": "/frontdesk",
                "text": text, "response_url": "https://hooks.slack.com/commands/T111/1/x",
                "trigger_id": "1.2.3"}  # fmt: skip
        r = await post_form(self.client, self.connection, urlencode(form))
        assert r.status_code == 200, r.text
        return str(r.json()["text"])

    async def same_entries(self, action: str, by_face: dict[str, Target]) -> dict[str, Any]:
        """The action's audit entries: one per face, on that face's target, alike but for who acted."""
        async with self.runtime.db.reader() as s:
            rows = (
                await s.execute(
                    select(AuditEntry).where(AuditEntry.workspace_id == self.workspace_id, AuditEntry.action == action)
                )
            ).scalars()
            entries = {row.face: row for row in rows}
        assert set(entries) == set(by_face), (action, sorted(entries))
        alike = []
        for face, entry in entries.items():
            target = by_face[face]
            assert entry.object_id == (target.draft if entry.object_type == "draft" else target.conversation)
            assert entry.actor_user_id == (None if face == "cli" else self.ann)
            alike.append((entry.object_type, _plain(entry.before, entry), _plain(entry.after, entry)))
        assert all(one == alike[0] for one in alike), alike
        object_type, before, after = alike[0]
        return {"object_type": object_type, "before": before, "after": after}

    async def last_run(self) -> int:
        """Where the rule execution log is now: `fired` looks at what comes after."""
        async with self.runtime.db.reader() as s:
            return (await s.execute(select(func.max(RuleExecution.id)))).scalar_one() or 0

    async def fired(self, trigger: str, targets: list[Target], tag: str, *, since: int) -> None:
        """The owner's rule on `trigger` ran once for each target since `since`, and left its tag."""
        ids = [t.conversation for t in targets]
        async with self.runtime.db.reader() as s:
            runs = (
                await s.execute(
                    select(RuleExecution.conversation_id).where(
                        RuleExecution.id > since,
                        RuleExecution.trigger == trigger,
                        RuleExecution.matched,
                        RuleExecution.conversation_id.in_(ids),
                    )
                )
            ).scalars()
            assert sorted(runs) == sorted(ids)
            tags = (await s.execute(select(Conversation.tags).where(Conversation.id.in_(ids)))).scalars()
            assert all(tag in t for t in tags)

    async def notified(self, targets: list[Target]) -> None:
        """The live-update notice reached a watcher of the workspace for each target. A CLI process
        reaches this one through PostgreSQL's NOTIFY; on SQLite only the server's own faces do."""

        async def all_seen() -> bool:
            while not self.changed.empty():
                self.seen.add(self.changed.get_nowait())
            return {t.conversation for t in targets} <= self.seen

        await eventually(all_seen)


def _plain(values: dict[str, Any] | None, entry: AuditEntry) -> dict[str, Any] | None:
    """The entry's before/after without what differs by nature: outbox ids, and the assignee a
    takeover sets (the actor, which the CLI is not)."""
    if values is None:
        return None
    dropped = set(VOLATILE)
    if entry.action.endswith("take_over"):
        assert values["assigned_user_id"] in (None, entry.actor_user_id)
        dropped.add("assigned_user_id")
    return {k: v for k, v in values.items() if k not in dropped}


async def _now(value: Any) -> Any:
    return value


@pytest.fixture
async def desk(runtime: Runtime, fake: FakeSlack, llm: str, cli: CliRunner, settings: Settings) -> AsyncIterator[Desk]:
    """A salon with the fake LLM drafting, Slack connected, Ann on staff, and the owner's rules on
    every staff event tagging the conversation."""
    new = await new_workspace(runtime.db, model_settings={"base_url": llm})
    ws = new.workspace.id
    conn = await connect(runtime, ws, fake)
    ann = await add_staff(runtime, ws, fake, ANN, "ann@bella.example")
    for trigger, tag in (("draft_rejected", "rejected"), ("status_changed", "moved"), ("context_changed", "edited")):
        tagging = [{"type": "add_tags", "tags": [tag]}]
        await add_rule(runtime, ws, {"name": f"tag {trigger}", "trigger": {"type": trigger}, "actions": tagging})
    async with runtime.db.session() as s:
        token = await issue_token(s, workspace_id=ws, user_id=ann, name="Ann's script")
        await context.save_schema(s, workspace_id=ws, spec=SchemaSpec.model_validate(FRONT_DESK_SCHEMA))
    from bot.app import create_app

    app = create_app(runtime)
    await runtime.start(worker=True)
    with runtime.wakeup.watching_conversations(ws) as changed:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=30) as c:
            yield Desk(c, runtime, fake, cli, ws, new.workspace.slug, new.assistant.slug, conn.id, ann,
                       bearer(token), changed)  # fmt: skip


def cross_process(desk: Desk, targets: list[Target]) -> list[Target]:
    """The targets whose notice can reach this process: the CLI's only through PostgreSQL."""
    return targets if desk.runtime.db.is_postgres else targets[:1] + targets[2:]


async def test_approve_and_save_as_an_answer(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3, "Is there parking nearby?")
    await desk.api("POST", f"/drafts/{api.draft}/approve", {"save_answer": True})
    await desk.cli("draft", "approve", cli.draft, "--save-answer")
    await desk.click(cards.APPROVE, slack.draft, slack.card_ts)
    await desk.click(cards.SAVE_ANSWER, slack.draft, slack.card_ts)

    faces = {"api": api, "cli": cli, "slack": slack}
    approved = await desk.same_entries("draft.approve", faces)
    assert approved["before"] == {"state": "pending", "conversation_status": "waiting"}
    assert approved["after"] == {"state": "approved", "conversation_status": "open", "final_text": DRAFT}
    saved = await desk.same_entries("answer.save", faces)
    assert saved["after"] == {"question": "Is there parking nearby?", "answer": DRAFT}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_approve_an_edit(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    await desk.api("POST", f"/drafts/{api.draft}/approve", {"text": EDIT})
    await desk.cli("draft", "approve", cli.draft, "--text", EDIT)
    await desk.modal(cards.EDIT, slack, {"reply": EDIT})

    edited = await desk.same_entries("draft.approve", {"api": api, "cli": cli, "slack": slack})
    assert edited["after"] == {"state": "edited", "conversation_status": "open", "final_text": EDIT}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_reject_with_a_reason_runs_the_owners_rules_from_every_face(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    since = await desk.last_run()
    await desk.api("POST", f"/drafts/{api.draft}/reject", {"reason": REASON})
    await desk.cli("draft", "reject", cli.draft, "--reason", REASON)
    await desk.modal(cards.REJECT, slack, {"reason": REASON})

    rejected = await desk.same_entries("draft.reject", {"api": api, "cli": cli, "slack": slack})
    assert rejected == {"object_type": "draft", "before": {"state": "pending"},
                        "after": {"state": "rejected", "reason": REASON}}  # fmt: skip
    await desk.fired("draft_rejected", [api, cli, slack], "rejected", since=since)
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_take_over_a_draft_then_hand_back(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    await desk.api("POST", f"/drafts/{api.draft}/takeover")
    await desk.cli("draft", "takeover", cli.draft)
    await desk.click(cards.TAKE_OVER, slack.draft, slack.card_ts)

    taken = await desk.same_entries("draft.take_over", {"api": api, "cli": cli, "slack": slack})
    assert taken["before"] == {"state": "pending", "bot_paused": False}
    assert taken["after"] == {"state": "taken_over", "bot_paused": True}
    await desk.notified(cross_process(desk, [api, cli, slack]))

    await desk.api("PATCH", f"/conversations/{api.conversation}", {"bot_paused": False})
    await desk.click(cards.HAND_BACK, slack.conversation, slack.card_ts)
    back = await desk.same_entries("conversation.hand_back", {"api": api, "slack": slack})
    assert (back["object_type"], back["before"], back["after"]) == (
        "conversation",
        {"bot_paused": True},
        {"bot_paused": False},
    )


async def test_take_over_a_conversation_and_reply(desk: Desk) -> None:
    api, slack = await desk.waiting(2)
    await desk.api("PATCH", f"/conversations/{api.conversation}", {"bot_paused": True})
    assert "taken over" in await desk.command(f"pause {slack.conversation[:8]}")
    paused = await desk.same_entries("conversation.take_over", {"api": api, "slack": slack})
    assert (paused["before"], paused["after"]) == ({"bot_paused": False}, {"bot_paused": True})

    await desk.api("POST", f"/conversations/{api.conversation}/messages", {"text": REPLY})
    said = staff_message(REPLY, user=ANN, thread_ts=slack.card_ts, ts="1700000300.000001", event_id="EvReply")
    assert (await post_json(desk.client, desk.connection, said)).status_code == 200
    replied = await desk.same_entries("conversation.reply", {"api": api, "slack": slack})
    assert replied == {"object_type": "conversation", "before": None, "after": {"text": REPLY}}
    await desk.notified([api, slack])


async def test_triage_through_the_api(desk: Desk) -> None:
    """Status, priority, tags and assignee: the API's own (the CLI and Slack have none)."""
    [target] = await desk.waiting(1)
    changes = {"status": "closed", "priority": "high", "tags": ["vip"], "assigned_user_id": desk.ann}
    since = await desk.last_run()
    await desk.api("PATCH", f"/conversations/{target.conversation}", changes)
    for action, before, after in (
        ("conversation.status", {"status": "waiting"}, {"status": "closed"}),
        ("conversation.priority", {"priority": "normal"}, {"priority": "high"}),
        ("conversation.tags", {"tags": []}, {"tags": ["vip"]}),
    ):
        entry = await desk.same_entries(action, {"api": target})
        assert (entry["before"], entry["after"]) == (before, after)
    assert (await desk.same_entries("conversation.assign", {"api": target}))["object_type"] == "conversation"
    await desk.fired("status_changed", [target], "moved", since=since)
    await desk.notified([target])


async def test_context_edits_through_the_api(desk: Desk) -> None:
    """Context fields and workflow moves: the API's own (the CLI shows a context, Slack does not edit it)."""
    [target] = await desk.waiting(1)
    base = f"/context/workspaces/{desk.workspace_id}/conversations/{target.conversation}"
    since = await desk.last_run()
    await desk.api("PATCH", base, {"fields": {"service": "colour"}})
    await desk.fired("context_changed", [target], "edited", since=since)
    since = await desk.last_run()
    await desk.api("POST", f"{base}/status", {"status": "booked"})
    await desk.fired("context_changed", [target], "edited", since=since)

    edited = await desk.same_entries("context.edit", {"api": target})
    assert edited == {"object_type": "conversation", "before": {"service": None}, "after": {"service": "colour"}}
    moved = await desk.same_entries("context.status", {"api": target})
    assert moved["after"] == {"status": "booked"}
    async with desk.runtime.db.reader() as s:
        rows = (
            await s.execute(
                select(ContextChange).where(
                    ContextChange.conversation_id == target.conversation, ContextChange.source == "staff"
                )
            )
        ).scalars()
        history = [(c.field, c.new_value, c.actor) for c in rows]
    assert history == [("service", "colour", desk.ann), ("status", "booked", desk.ann)]
    await desk.notified([target])
