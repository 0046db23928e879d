"""A workspace with one of everything an id can name, made the way owners, customers and the CLI
make them: the API for what the API creates, the services the CLI calls for the rest.

`Kit.ids` maps a resource ("conversation", "document", …) to the ids of that workspace's rows. The
isolation matrix finds the resource a route's parameter names (tests/admin/route_matrix.py), so a
new kind of id needs one more step here and nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from channels import connections
from channels.slack.connection import load
from channels.slack.staff import link
from core.channels import NewConnection
from core.models import ChannelConnection, Draft, InboxItem, Membership, Message, User
from core.pipeline.turn import Turn
from core.workspaces import issue_token
from kb.memory import save_answer
from kb.sites import add_site
from tests.admin.conftest import API, bearer, register, wait_for

UPLOAD = {"X-Frontdesk-Chat": "1"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)  # enough for the media sniffer: a photo a customer sends


@dataclass
class Kit:
    name: str  # in every name and text the workspace's things carry, so a leak of them is visible
    token: str  # the owner's session token
    api_token: str  # a workspace API token without a user, as `frontdesk workspace create` issues
    workspace_id: str
    ids: dict[str, list[str]] = field(default_factory=dict)  # resource → ids, in the order they were made

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def add(self, resource: str, *ids: str) -> None:
        self.ids.setdefault(resource, []).extend(ids)

    def every_id(self) -> set[str]:
        return {i for ids in self.ids.values() for i in ids}


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else None


async def build_kit(client: httpx.AsyncClient, runtime: Runtime, name: str, site_url: str) -> Kit:
    """Everything a workspace can hold; the worker and the outbox are driven here, so when this
    returns nothing of the workspace is still changing."""
    session = await register(client, workspace_name=name)
    ws = session["workspace"]
    kit = Kit(name, session["token"], "", ws["id"])
    kit.add("workspace", ws["id"], ws["slug"])  # routes take either
    kit.add("user", session["user"]["id"])
    h, base = kit.headers, f"{API}/context/workspaces/{ws['id']}"

    async with runtime.db.session() as s:
        kit.api_token = await issue_token(s, workspace_id=ws["id"], user_id=None, name=f"{name} CLI")
        await issue_token(s, workspace_id=ws["id"], user_id=None, name=f"{name} spare")  # one to revoke
        await issue_token(s, workspace_id=ws["id"], user_id=None, name=f"{name} spare")  # and the page's
    tokens = _ok(await client.get(f"{API}/tokens", headers=h, params={"limit": 100}))["items"]
    kit.add("token", *[t["id"] for t in tokens if t["name"] == f"{name} spare"])

    first = _ok(await client.get(f"{API}/assistants", headers=h))[0]
    second = _ok(await client.post(f"{API}/assistants", headers=h, json={"name": f"{name} night desk"}))
    kit.add("assistant", first["id"], second["id"])

    await _connections(client, runtime, kit)
    await _staff_member(runtime, kit)
    invitee = {"email": f"invitee-{uuid.uuid4().hex[:8]}@example.com", "role": "agent", "name": f"{name} invitee"}
    kit.add("invitation", _ok(await client.post(f"{API}/members", headers=h, json=invitee), 201)["invitation"]["id"])

    # Rules first, so the customer's message below leaves an execution and a scheduled follow-up.
    rule = {
        "name": f"{name} regulars",
        "trigger": {"type": "message_received"},
        "actions": [
            {"type": "add_tags", "tags": ["regular"]},
            {"type": "follow_up", "after_minutes": 60, "actions": [{"type": "add_tags", "tags": ["chased"]}]},
        ],
    }
    first_rule = _ok(await client.post(f"{base}/rules/", headers=h, json=rule))["id"]
    spare = {"name": f"{name} spare", "trigger": {"type": "draft_rejected"}, "actions": [{"type": "handoff"}]}
    kit.add("rule", first_rule, _ok(await client.post(f"{base}/rules/", headers=h, json=spare))["id"])
    _ok(await client.put(f"{base}/business-hours", headers=h, json={"timezone": "Europe/Madrid"}))
    _ok(await client.put(f"{base}/schema", headers=h, json={"template": "front_desk"}))
    intents = [{"name": "booking", "examples": ["book me in"]}, {"name": "prices", "examples": ["how much is it"]}]
    _ok(await client.put(f"{base}/intents", headers=h, json=intents))

    await _knowledge(client, runtime, kit, second["id"], site_url)
    await _conversation(client, runtime, kit, first["slug"])
    await _failed_turn(client, runtime, kit, first["slug"])
    # The rest of what the steps above made: the crawled page, the failed turn's conversation.
    documents = _ok(await client.get(f"{API}/knowledge-base/documents", headers=h))["items"]
    conversations = _ok(await client.get(f"{API}/conversations", headers=h))["items"]
    kit.add("document", *(d["id"] for d in documents if d["id"] not in kit.ids["document"]))
    kit.add("conversation", *(c["id"] for c in conversations if c["id"] not in kit.ids["conversation"]))
    # A saved answer, as staff save one from the inbox (its own resource: only saved answers are edited).
    question, answer = f"Does {name} sell gift cards?", f"Yes, {name} gift cards are at the desk."
    saved = await save_answer(
        runtime.db, workspace_id=kit.workspace_id, question=question, answer=answer, embedders=runtime.embedders
    )
    kit.add("answer", saved.document.id)
    return kit


async def _connections(client: httpx.AsyncClient, runtime: Runtime, kit: Kit) -> None:
    """A connection of every kind. Telegram and Twilio check their credentials with the remote API,
    so those two are stored through the service the API calls after that check."""
    tag = uuid.uuid4().hex[:8]
    secrets = {"bot_token": "xoxb-1", "signing_secret": "s3cret", "staff_channel": "C0STAFF"}
    slack = {"kind": "slack", "account": f"T{tag}", "config": secrets}
    web = {"kind": "web", "name": f"{kit.name} site chat"}
    ids = [_ok(await client.post(f"{API}/channels", headers=kit.headers, json=body))["id"] for body in (slack, web)]
    checked = [
        NewConnection(kind="telegram", account=str(int(tag, 16)), config={"token": "1:AA", "webhook_secret": "s"}),
        NewConnection(
            kind="whatsapp",
            account=f"whatsapp:+1555{int(tag, 16) % 10**7:07d}",
            config={"account_sid": f"AC{tag}", "auth_token": "tw-s3cret", "from": "whatsapp:+15550001111"},
        ),
    ]
    async with runtime.db.session() as s:
        for new in checked:
            ids.append((await connections.create(s, runtime.box, workspace_id=kit.workspace_id, new=new)).id)
    kit.add("connection", *ids)


async def _staff_member(runtime: Runtime, kit: Kit) -> None:
    """An agent linked to a Slack user, as `frontdesk slack staff add` makes one."""
    async with runtime.db.session() as s:
        user = User(email=f"staff-{uuid.uuid4().hex[:8]}@example.com", name=f"{kit.name} staff")
        s.add(user)
        await s.flush()
        s.add(Membership(workspace_id=kit.workspace_id, user_id=user.id, role="agent"))
        row = await s.get(ChannelConnection, kit.ids["connection"][0])
        assert row is not None and row.kind == "slack"
        await link(s, connection=load(row, runtime.box), slack_user_id=f"U{uuid.uuid4().hex[:8]}", user_id=user.id)
    kit.add("user", user.id)


async def _knowledge(client: httpx.AsyncClient, runtime: Runtime, kit: Kit, assistant_id: str, site_url: str) -> None:
    kb, h = f"{API}/knowledge-base", kit.headers
    collection = {"name": f"{kit.name} price list", "assistant_id": assistant_id}
    collection_id = _ok(await client.post(f"{kb}/collections", headers=h, json=collection))["id"]
    kit.add("collection", collection_id)
    faq = f"# {kit.name} prices\n\n## Haircuts\n\n### How much is a haircut at {kit.name}?\nThirty dollars.\n"
    upload = _ok(
        await client.post(
            f"{kb}/documents",
            headers=h,
            files={"file": ("prices.md", faq.encode())},
            data={"collection_id": collection_id},
        )
    )
    kit.add("document", upload["document"]["id"])
    kit.add("job", upload["job"]["id"])
    site = {"url": site_url, "collection_id": collection_id, "max_pages": 1, "max_depth": 0}
    crawl = _ok(await client.post(f"{kb}/sites", headers=h, json=site), 202)
    kit.add("job", crawl["id"])
    kit.add("site", *(s["id"] for s in _ok(await client.get(f"{kb}/sites", headers=h))))
    # Spares the pages' delete forms use up (route_matrix.USES_UP), so the API's DELETE finds the first.
    spare = {"name": f"{kit.name} spare shelf"}
    kit.add("collection", _ok(await client.post(f"{kb}/collections", headers=h, json=spare))["id"])
    spare_site = await add_site(
        runtime.db, workspace_id=kit.workspace_id, start_url=f"{site_url}spare/", collection_id=collection_id,
        max_pages=1, max_depth=0,
    )  # fmt: skip
    kit.add("site", spare_site.id)
    choice = _ok(await client.put(f"{kb}/embedding", headers=h, json={"provider": "local", "answer_threshold": 0.6}))
    await _finished(client, kit, [crawl["id"], *(j["id"] for j in choice["jobs"])])


async def _finished(client: httpx.AsyncClient, kit: Kit, job_ids: list[str]) -> None:
    """Wait for background jobs, so they change nothing once the test reads the workspace's rows."""

    async def done() -> bool:
        for job_id in job_ids:
            job = _ok(await client.get(f"{API}/knowledge-base/jobs/{job_id}", headers=kit.headers))
            if job["state"] in ("pending", "running"):
                return False
        return True

    await wait_for(done)


async def _conversation(client: httpx.AsyncClient, runtime: Runtime, kit: Kit, assistant_slug: str) -> None:
    """A web chat with a photo and a question: messages, a pending draft, the holding reply through
    the outbox, the rule's execution and follow-up, and staff's edits of its context."""
    session = str(uuid.uuid4())
    chat = {"agent": assistant_slug, "session_id": session}
    _ok(
        await client.post(
            f"{API}/chat", data=chat, files={"file": ("hair.png", PNG + kit.name.encode(), "image/png")}, headers=UPLOAD
        )
    )
    _ok(await client.post(f"{API}/chat", json={**chat, "message": f"Is {kit.name} open on Sunday?"}))
    await runtime.worker().drain()
    while await runtime.sender().run_once():
        pass
    h = kit.headers
    conversations = _ok(await client.get(f"{API}/conversations", headers=h))["items"]
    [conversation] = [c for c in conversations if c["channel"] == "web"]
    kit.add("conversation", conversation["id"])
    kit.add("contact", conversation["contact_id"])
    context = f"{API}/context/workspaces/{kit.workspace_id}/conversations/{conversation['id']}"
    _ok(await client.patch(context, headers=h, json={"fields": {"email": "regular@example.com"}}))
    _ok(await client.post(f"{context}/status", headers=h, json={"status": "booked"}))
    pending = [d["id"] for d in _ok(await client.get(f"{API}/drafts", headers=h))["items"]]
    async with runtime.db.reader() as s:
        drafts = (await s.execute(select(Draft.id).where(Draft.workspace_id == kit.workspace_id))).scalars()
        kit.add("draft", *pending, *(d for d in drafts if d not in pending))  # superseded ones too
    async with runtime.db.reader() as s:
        rows = (await s.execute(select(Message).where(Message.conversation_id == conversation["id"]))).scalars()
        messages = list(rows)
    kit.add("message", *(m.id for m in messages))
    kit.add("media", *(a["ref"] for m in messages for a in m.attachments or [] if a.get("ref")))


async def _failed_turn(client: httpx.AsyncClient, runtime: Runtime, kit: Kit, assistant_slug: str) -> None:
    """A turn that failed for good (the runtime allows one attempt): what staff retry from /inbox."""
    understand = next(stage.run for stage in runtime.pipeline.stages if stage.name == "understand")

    async def broken(turn: Turn) -> None:
        raise RuntimeError("understanding crashed")

    runtime.pipeline.replace("understand", broken)
    try:
        session = str(uuid.uuid4())
        for question in ("do you do beards?", "and moustaches?"):  # two: the page's Retry uses one up (USES_UP)
            body = {"agent": assistant_slug, "message": f"{kit.name}: {question}", "session_id": session}
            _ok(await client.post(f"{API}/chat", json=body))
        await runtime.worker().drain()
    finally:
        runtime.pipeline.replace("understand", understand)
    async with runtime.db.reader() as s:
        failed = (
            await s.execute(
                select(InboxItem.id).where(InboxItem.workspace_id == kit.workspace_id, InboxItem.state == "failed")
            )
        ).scalars()
        kit.add("inbox", *(str(i) for i in failed))
    assert kit.ids["inbox"], "the broken stage should have failed the turn for good"
