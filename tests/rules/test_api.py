"""The rules API as an owner's editor uses it: save (or be told what is wrong), list, change, delete,
test, replay, the vocabulary, templates and business hours; other workspaces' rules stay invisible."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from bot.runtime import Runtime
from core.messages import utcnow
from core.models import Draft, Message
from tests.rules.conftest import SALON_HOURS, Clock, customer_says, salon
from tests.rules.test_stage import AFTER_HOURS
from tests.support import new_workspace

API = "/api/v1"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def owner(runtime: Runtime, name: str = "Bella's Salon") -> tuple[str, dict[str, str]]:
    new = await new_workspace(runtime.db, name=name)
    return new.workspace.id, auth(new.token)


async def test_rules_crud_with_errors_an_owner_can_act_on(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ws, headers = await owner(runtime)
    url = f"{API}/context/workspaces/{ws}/rules/"
    bad = {**AFTER_HOURS, "conditions": {"variable": "time.business_hours", "operator": "is_false"}}
    r = await client.post(url, json=bad, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["problems"] == [
        {
            "where": "conditions.variable",
            "problem": "'time.business_hours' is not a variable we know; did you mean 'time.within_business_hours'?",
        }
    ]
    r = await client.post(url, json=AFTER_HOURS, headers=headers)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert (rule["name"], rule["trigger"], rule["active"], rule["execution_count"]) == (
        "after-hours reply",
        "message_received",
        True,
        0,
    )
    assert (await client.post(url, json=AFTER_HOURS, headers=headers)).status_code == 409
    r = await client.patch(f"{url}{rule['id']}", json={"active": False}, headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False
    assert [x["name"] for x in (await client.get(url, headers=headers)).json()] == ["after-hours reply"]

    other_ws, other = await owner(runtime, "Other Shop")
    assert (await client.get(f"{url}{rule['id']}", headers=other)).status_code == 404
    assert (await client.get(url, headers=other)).status_code == 404  # not their workspace
    assert (await client.get(f"{API}/context/workspaces/{other_ws}/rules/", headers=other)).json() == []

    assert (await client.delete(f"{url}{rule['id']}", headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).json() == []


async def test_webhook_secrets_are_not_shown(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ws, headers = await owner(runtime)
    body = {
        "name": "crm",
        "trigger": {"type": "message_received"},
        "actions": [{"type": "webhook", "url": "https://crm.example.com/hook", "secret": "very-secret-value"}],
    }
    r = await client.post(f"{API}/context/workspaces/{ws}/rules/", json=body, headers=headers)
    assert r.status_code == 201
    assert r.json()["spec"]["actions"][0]["secret"] == "********"
    assert "very-secret-value" not in r.text


async def test_rules_test_explains_why_the_after_hours_reply_fires(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    ws, headers = await owner(runtime)
    await client.put(
        f"{API}/context/workspaces/{ws}/business-hours",
        json={"timezone": "Europe/Madrid", "business_hours": SALON_HOURS},
        headers=headers,
    )
    sample = {"rule": AFTER_HOURS, "message": {"text": "Can I book for Saturday?"}, "contact": {"name": "Ana"}}
    r = await client.post(f"{API}/rules/test", json=sample | {"at": "2026-11-17T22:00:00+01:00"}, headers=headers)
    assert r.status_code == 200, r.text
    trace = r.json()
    assert trace["matched"] is True
    assert trace["explanation"] == (
        "'after-hours reply' fires because time.within_business_hours is false (it was False). "
        "It is Tuesday 22:00 in Europe/Madrid; business hours: Tue-Sat 09:00-18:00."
    )
    assert trace["facts"] == {"time.within_business_hours": False}
    assert trace["actions"][0]["detail"] == "would reply: Hi Ana! We're closed now; we open tomorrow at 09:00."
    r = await client.post(f"{API}/rules/test", json=sample | {"at": "2026-11-17T10:00:00+01:00"}, headers=headers)
    assert r.json()["matched"] is False
    assert r.json()["explanation"].startswith("'after-hours reply' does not fire: time.within_business_hours")
    async with runtime.db.reader() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar_one() == 0  # nothing sent

    broken = {"rule": {**AFTER_HOURS, "actions": [{"type": "reply", "template": "{{ oops"}]}}
    r = await client.post(f"{API}/rules/test", json=broken, headers=headers)
    assert r.status_code == 422 and r.json()["detail"]["problems"][0]["where"] == "actions[0].template"


async def test_replay_reports_what_would_have_fired_without_sending(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    ws, assistant = await salon(runtime)
    # Three past messages: two at night (Madrid), one in opening hours.
    for n, hour in enumerate((21, 9, 23)):
        clock.now = datetime(2026, 11, 18, hour, 0, tzinfo=UTC)
        await customer_says(runtime, ws, assistant, f"message {n}", n=n)
    await wait_for(lambda: _drafts(runtime), 3)  # the app's own worker may still hold the last turn
    token = await _owner_token(runtime, ws)
    r = await client.post(f"{API}/context/workspaces/{ws}/rules/", json=AFTER_HOURS, headers=auth(token))
    sent_before = await _count_out(runtime)
    clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    r = await client.post(f"{API}/rules/{r.json()['id']}/replay?days=30", headers=auth(token))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["messages_examined"], report["would_fire"]) == (3, 2)
    assert [e["text"] for e in report["examples"]] == ["message 0", "message 2"]
    assert report["examples"][0]["actions"][0].startswith("would reply: Hi Ana!")
    assert await _count_out(runtime) == sent_before


async def _owner_token(runtime: Runtime, workspace_id: str) -> str:
    from core.workspaces import issue_token

    async with runtime.db.session() as s:
        return await issue_token(s, workspace_id=workspace_id, user_id=None, name="test")


async def _count(runtime: Runtime, direction: str) -> int:
    async with runtime.db.reader() as s:
        query = select(func.count()).select_from(Message).where(Message.direction == direction)
        return (await s.execute(query)).scalar_one()


async def _drafts(runtime: Runtime) -> int:
    async with runtime.db.reader() as s:
        return (await s.execute(select(func.count()).select_from(Draft))).scalar_one()


async def _count_out(runtime: Runtime) -> int:
    return await _count(runtime, "out")


async def wait_for(read: Callable[[], Awaitable[int]], expected: int) -> None:
    for _ in range(200):
        if await read() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {expected}")


async def test_vocabulary_and_templates(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _ws, headers = await owner(runtime)
    vocab = (await client.get(f"{API}/rules/vocabulary", headers=headers)).json()
    text_ops = vocab["operators_by_type"]["text"]
    assert "matches_regex" in text_ops and "greater_than" not in text_ops
    assert "webhook" in vocab["actions"] and "draft_pending" in vocab["triggers"]["scheduled"]

    packs = (await client.get(f"{API}/rules/templates", headers=headers)).json()
    assert [p["key"] for p in packs] == ["salon", "clinic", "restaurant", "ecommerce", "real_estate"]
    r = await client.post(f"{API}/rules/templates/salon/install", headers=headers)
    assert r.status_code == 200, r.text
    assert "after-hours reply" in r.json()["installed"] and r.json()["business_hours_set"] is True
    again = (await client.post(f"{API}/rules/templates/salon/install", headers=headers)).json()
    assert again["installed"] == [] and "after-hours reply" in again["skipped"]
    assert (await client.post(f"{API}/rules/templates/bakery/install", headers=headers)).status_code == 404


async def test_staff_read_rules_but_only_owners_change_them(client: httpx.AsyncClient, runtime: Runtime) -> None:
    from core.models import Membership
    from tests.admin.conftest import register

    owner = await register(client, workspace_name="Bella's Salon")
    ws = owner["workspace"]["id"]
    staff = await register(client, workspace_name="Staff's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=ws, user_id=staff["user"]["id"], role="agent"))
    url = f"{API}/context/workspaces/{ws}/rules/"
    assert (await client.post(url, json=AFTER_HOURS, headers=auth(owner["token"]))).status_code == 201
    # Staff name the salon in the path (their token's own workspace is another one).
    listed = await client.get(url, headers=auth(staff["token"]))
    assert listed.status_code == 200 and [r["name"] for r in listed.json()] == ["after-hours reply"]
    refused = await client.post(url, json={**AFTER_HOURS, "name": "mine"}, headers=auth(staff["token"]))
    assert refused.status_code == 403
    assert (await client.get(f"{API}/context/workspaces/bellas-salon/rules/", headers=auth(owner["token"]))).json()


async def test_replay_an_sla_rule_over_past_drafts(client: httpx.AsyncClient, runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    for n in range(2):
        await customer_says(runtime, ws, assistant, f"question {n}", thread=f"c{n}")
    await wait_for(lambda: _drafts(runtime), 2)
    # Three days ago: staff answered the first in 5 minutes; the second is still waiting.
    then = utcnow() - timedelta(days=3)
    async with runtime.db.session() as s:
        first, second = (await s.execute(select(Draft).order_by(Draft.created_at, Draft.id))).scalars().all()
        first.created_at, first.state, first.reviewed_at = then, "rejected", then + timedelta(minutes=5)
        second.created_at = then
    token = await _owner_token(runtime, ws)
    sla = {
        "name": "SLA",
        "trigger": {"type": "scheduled", "when": "draft_pending", "minutes": 15},
        "actions": [{"type": "notify_staff", "message": "{{ contact.name }} waited"}],
    }
    r = await client.post(f"{API}/context/workspaces/{ws}/rules/", json=sla, headers=auth(token))
    clock.now = utcnow()
    report = (await client.post(f"{API}/rules/{r.json()['id']}/replay?days=30", headers=auth(token))).json()
    assert (report["drafts_examined"], report["would_fire"]) == (2, 1)
    assert report["examples"][0]["draft_id"] == second.id
    assert report["examples"][0]["actions"] == ["would tell staff: Ana waited"]
