"""The harness of the every-face tests (tests/staff/test_every_face*.py): a salon with the fake LLM
drafting, Slack connected (the real bolt app and slack_sdk against the fake Slack, with signed
payloads), Ann on staff, and the owner's rules on every staff event tagging the conversation. Each
face acts on a conversation of its own: the API (httpx on the app), the CLI (click's runner on
`frontdesk`) and Slack; `same_entries`, `fired` and `same_history` check that the same audit entry,
rule event and context history came out of each.

A test module imports the fixtures it uses from here (`cli` here replaces the staff tests' own: it
runs with the server's secret key).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update

from bot.cli import main
from bot.runtime import Runtime
from bot.settings import Settings
from channels.slack import cards
from core.models import Conversation, Draft, InboxItem
from core.workspaces import issue_token
from rules.models import RuleExecution
from staff.models import AuditEntry
from tests.admin.conftest import API, bearer
from tests.channels.slack_support import add_staff, click, connect, post_form, submit
from tests.channels.test_slack import ANN, Customer, card_buttons, card_for, eventually, fake, llm
from tests.conftest import make_settings
from tests.fakes.slack_server import STAFF_CHANNEL, FakeSlack
from tests.rules.conftest import add_rule
from tests.support import new_workspace
from understanding import context
from understanding.models import ContextChange
from understanding.schema import SchemaSpec
from understanding.templates import FRONT_DESK_SCHEMA

__all__ = ["ANN", "cli", "desk", "fake", "llm", "settings"]  # fake Slack, and a fake LLM that drafts DRAFT
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
    turn: int | None = None  # its customer's turn, once `failed_turn` has failed it

    def object_id(self, object_type: str) -> str:
        """The id an audit entry about this target names."""
        return {"draft": self.draft, "inbox": str(self.turn)}.get(object_type, self.conversation)


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

    async def run(self, *args: str) -> Result:
        """`frontdesk ARGS --workspace <the salon>`, as a user runs it."""
        return await asyncio.to_thread(self.runner.invoke, main, [*args, "--workspace", self.slug])

    async def cli(self, *args: str) -> Any:
        """Run a command that succeeds; with --json among ARGS, what it printed."""
        result = await self.run(*args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    async def cli_refuses(self, *args: str) -> str:
        """Run a command that must fail with a message (not a traceback); the message."""
        result = await self.run(*args)
        assert result.exit_code != 0, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.output

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

    async def command(self, text: str, *, user: str = ANN) -> str:
        """`/frontdesk TEXT` typed by `user` (Ann by default): the answer only they see."""
        form = {"token": "verification_token", "team_id": "T111", "team_domain": "bella", "channel_id": STAFF_CHANNEL,
                "channel_name": "frontdesk-staff", "user_id": user, "user_name": user, "command": "/frontdesk",
                "text": text, "response_url": "https://hooks.slack.com/commands/T111/1/x",
                "trigger_id": "1.2.3"}  # fmt: skip
        r = await post_form(self.client, self.connection, urlencode(form))
        assert r.status_code == 200, r.text
        return str(r.json()["text"])

    async def same_entries(self, action: str, by_face: dict[str, Target]) -> dict[str, Any]:
        """The action's audit entry: one per face, on that face's target, alike but for who acted."""
        [entry] = await self.entries_alike(action, by_face)
        return entry

    async def entries_alike(self, action: str, by_face: dict[str, Target]) -> list[dict[str, Any]]:
        """The action's audit entries, in order: the same ones from each face, on that face's target."""
        async with self.runtime.db.reader() as s:
            rows = (
                await s.execute(
                    select(AuditEntry)
                    .where(AuditEntry.workspace_id == self.workspace_id, AuditEntry.action == action)
                    .order_by(AuditEntry.id)
                )
            ).scalars()
            entries: dict[str, list[AuditEntry]] = {}
            for row in rows:
                entries.setdefault(row.face, []).append(row)
        assert set(entries) == set(by_face), (action, sorted(entries))
        alike = []
        for face, found in entries.items():
            target = by_face[face]
            seen = []
            for entry in found:
                assert entry.object_id == target.object_id(entry.object_type)
                assert entry.actor_user_id == (None if face == "cli" else self.ann)
                seen.append({"object_type": entry.object_type, "before": _plain(entry.before, entry),
                             "after": _plain(entry.after, entry)})  # fmt: skip
            alike.append(seen)
        assert all(one == alike[0] for one in alike), alike
        return alike[0]

    async def same_history(self, by_face: dict[str, Target]) -> list[tuple[str, Any, Any]]:
        """The context history staff wrote on each face's conversation: the same changes (field, old,
        new), each by that face's actor (Ann's user id; "cli" from the terminal)."""
        histories = []
        for face, target in by_face.items():
            async with self.runtime.db.reader() as s:
                rows = (
                    await s.execute(
                        select(ContextChange)
                        .where(ContextChange.conversation_id == target.conversation, ContextChange.source == "staff")
                        .order_by(ContextChange.id)
                    )
                ).scalars()
                found = list(rows)
            assert {c.actor for c in found} == {"cli" if face == "cli" else self.ann}, face
            histories.append([(c.field, c.old_value, c.new_value) for c in found])
        assert all(one == histories[0] for one in histories), histories
        return histories[0]

    async def failed_turn(self, target: Target) -> int:
        """The turn that made the target's draft, as if it had failed for good: its inbox id."""
        async with self.runtime.db.session() as s:
            draft = await s.get(Draft, target.draft)
            assert draft is not None and draft.inbox_id is not None
            await s.execute(
                update(InboxItem).where(InboxItem.id == draft.inbox_id).values(state="failed", last_error="it broke")
            )
        target.turn = draft.inbox_id
        return draft.inbox_id

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
