"""/rules and the rule editor over HTTP: an owner builds a rule in the form (saved as the API saves
it), a bad pattern or a missing value comes back beside its input with what was typed, rules are
turned off and on, reordered and deleted, the test panel shows the trace, a saved rule replays, a
pack installs; staff get 403 and another workspace's rule is not found."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Assistant
from rules import service
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor
from tests.rules.conftest import customer_says

PARKING = {
    "name": "parking", "priority": "100", "active": "on", "trigger-type": "message_received",
    "c-kind": "all", "c-0-kind": "any",
    "c-0-0-kind": "leaf", "c-0-0-variable": "message.text", "c-0-0-operator": "contains_any", "c-0-0-value": "parking",
    "c-0-1-kind": "leaf", "c-0-1-variable": "message.text", "c-0-1-operator": "contains_any",
    "c-0-1-value": "car park",
    "a-0-type": "reply", "a-0-template": "Free parking behind the salon.",
    "a-1-type": "send_automatically",
}  # fmt: skip


async def _owner(web: httpx.AsyncClient) -> tuple[Visitor, str]:
    owner = Visitor(web)
    await owner.register()
    return owner, await _workspace_of(web, owner)


async def _rules(runtime: Runtime, workspace_id: str) -> list[tuple[str, int, bool]]:
    async with runtime.db.reader() as s:
        return [(r.name, r.priority, r.active) for r in await service.listing(s, workspace_id=workspace_id)]


async def test_an_owner_builds_a_rule_in_the_form_and_it_is_saved_as_the_api_saves_it(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, ws = await _owner(web)
    page = await web.get("/rules/new")
    assert page.status_code == 200 and 'id="c-kind"' in page.text
    r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "save"})
    assert r.status_code == 303, r.text
    listing = await web.get(r.headers["location"])
    assert "Saved parking." in listing.text and "A customer writes" in listing.text
    async with runtime.db.reader() as s:
        [rule] = await service.listing(s, workspace_id=ws)
    assert rule.spec["conditions"] == {
        "any": [
            {"variable": "message.text", "operator": "contains_any", "value": ["parking"]},
            {"variable": "message.text", "operator": "contains_any", "value": ["car park"]},
        ]
    }
    # Opened again, the form holds the rule as saved; saving it unchanged changes nothing.
    page = await web.get(f"/rules/{rule.id}")
    assert 'value="Free parking behind the salon."' not in page.text  # a textarea: its text
    assert "Free parking behind the salon.</textarea>" in page.text and 'value="car park"' in page.text
    form = {k: v for k, v in PARKING.items() if not k.startswith("c-")} | {
        "c-kind": "any", "op": "save",
        "c-0-kind": "leaf", "c-0-variable": "message.text", "c-0-operator": "contains_any", "c-0-value": "parking",
        "c-1-kind": "leaf", "c-1-variable": "message.text", "c-1-operator": "contains_any", "c-1-value": "car park",
    }  # fmt: skip
    assert (await owner.submit(f"/rules/{rule.id}", f"/rules/{rule.id}", form)).status_code == 303
    async with runtime.db.reader() as s:
        again = await service.get(s, workspace_id=ws, rule_id=rule.id)
    assert again is not None and again.spec == rule.spec


async def test_a_bad_pattern_and_a_missing_value_are_shown_beside_their_inputs(web: httpx.AsyncClient) -> None:
    owner, _ = await _owner(web)
    bad = {**PARKING, "c-0-0-operator": "matches_regex", "c-0-0-value": "park(ing", "c-0-1-operator": "equals",
           "c-0-1-value": "", "op": "save"}  # fmt: skip
    r = await owner.submit("/rules/new", "/rules/new", bad)
    assert r.status_code == 422
    assert '<small id="c-0-0-value-help" class="field-error">is not a valid pattern' in r.text
    assert 'id="c-0-0-value" name="c-0-0-value" type="text" value="park(ing" aria-invalid="true"' in r.text
    assert '<small id="c-0-1-value-help" class="field-error">equals needs one value</small>' in r.text
    assert "2 problems, shown beside their fields" in r.text
    assert (await web.get("/rules")).text.count('class="rule-head"') == 0  # nothing saved


async def test_the_buttons_edit_the_form_without_saving(web: httpx.AsyncClient) -> None:
    owner, _ = await _owner(web)
    r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "add-group:c-0"})
    assert r.status_code == 200 and 'id="c-0-2-kind"' in r.text and 'id="c-0-2-0-variable"' in r.text
    r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "remove:c-0-1"})
    assert 'id="c-0-1-variable"' not in r.text
    # A yes/no variable offers its own operators once chosen.
    changed = {**PARKING, "c-0-0-variable": "time.within_business_hours", "op": "refresh"}
    r = await owner.submit("/rules/new", "/rules/new", changed)
    assert (
        '<option value="is_true" selected>' in r.text
        and 'value="contains_any"' not in r.text.split('id="c-0-0-operator"')[1].split("</select>")[0]
    )


async def test_the_test_panel_shows_the_trace_and_what_would_run(web: httpx.AsyncClient) -> None:
    owner, _ = await _owner(web)
    r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "test", "sample-text": "is there parking?"})
    assert r.status_code == 200, r.text
    assert "<strong>Matched.</strong>" in r.text and "would reply: Free parking behind the salon." in r.text
    assert "✓ true</span>\n  message.text contains any parking" in r.text
    r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "test", "sample-text": "hello"})
    assert "<strong>Not matched.</strong>" in r.text and "(it was hello)" in r.text
    r = await owner.submit(
        "/rules/new", "/rules/new", {**PARKING, "op": "test", "sample-text": "x", "sample-at": "tomorrow"}
    )
    assert r.status_code == 422 and 'id="sample-at-help"' in r.text
    assert (await web.get("/rules")).text.count('class="rule-head"') == 0  # a test saves nothing


async def test_on_off_order_and_delete(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, ws = await _owner(web)
    for name in ("alpha", "beta", "gamma"):
        r = await owner.submit("/rules/new", "/rules/new", {**PARKING, "name": name, "op": "save"})
        assert r.status_code == 303
    ids = {n: r.id for n, r in [(r.name, r) for r in await _listing(runtime, ws)]}
    assert [n for n, _, _ in await _rules(runtime, ws)] == ["alpha", "beta", "gamma"]  # equal priority: by name
    r = await owner.submit("/rules", f"/rules/{ids['gamma']}/move", {"direction": "up"})
    assert r.status_code == 303 and "gamma runs earlier now." in (await web.get(r.headers["location"])).text
    assert [n for n, _, _ in await _rules(runtime, ws)] == ["alpha", "gamma", "beta"]
    await owner.submit("/rules", f"/rules/{ids['gamma']}/move", {"direction": "up"})
    r = await owner.submit("/rules", f"/rules/{ids['gamma']}/move", {"direction": "up"})
    assert "gamma is already at that end" in (await web.get(r.headers["location"])).text
    assert [n for n, _, _ in await _rules(runtime, ws)] == ["gamma", "alpha", "beta"]
    assert (await owner.submit("/rules", f"/rules/{ids['beta']}/move", {"direction": "sideways"})).status_code == 422

    r = await owner.submit("/rules", f"/rules/{ids['alpha']}/active", {"active": "off"})
    assert "alpha is off" in (await web.get(r.headers["location"])).text
    assert ("alpha", 101, False) in await _rules(runtime, ws)
    await owner.submit("/rules", f"/rules/{ids['alpha']}/active", {"active": "on"})
    assert ("alpha", 101, True) in await _rules(runtime, ws)

    r = await owner.submit("/rules", f"/rules/{ids['beta']}/delete", {})
    assert "Deleted the rule." in (await web.get(r.headers["location"])).text
    assert [n for n, _, _ in await _rules(runtime, ws)] == ["gamma", "alpha"]


async def _listing(runtime: Runtime, ws: str) -> list:  # type: ignore[type-arg]
    async with runtime.db.reader() as s:
        return await service.listing(s, workspace_id=ws)


async def test_replay_and_the_log_of_a_saved_rule(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, ws = await _owner(web)
    assert (await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "save"})).status_code == 303
    [rule] = await _listing(runtime, ws)
    runtime.rules.book.forget(ws)
    async with runtime.db.reader() as s:
        slug = (await s.execute(select(Assistant.slug).where(Assistant.workspace_id == ws))).scalars().first()
    assert slug
    await customer_says(runtime, ws, slug, "any parking nearby?")
    page = await web.get(f"/rules/{rule.id}?replay_days=7")
    assert page.status_code == 200 and "it would have fired 1 time in 1 conversation" in page.text
    assert "“any parking nearby?”" in page.text
    assert "matched" in page.text.split('id="log-title"')[1] and "/inbox/" in page.text
    for bad in ("0", "91", "week"):
        r = await web.get(f"/rules/{rule.id}?replay_days={bad}")
        assert r.status_code == 422 and "from 1 to 90" in r.text


async def test_a_pack_installs_its_rules(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, ws = await _owner(web)
    r = await owner.submit("/rules", "/rules/packs/salon", {})
    assert r.status_code == 303
    assert "Installed the Hair &amp; beauty salon pack" in (await web.get(r.headers["location"])).text
    assert "after-hours reply" in [n for n, _, _ in await _rules(runtime, ws)]
    assert (await owner.submit("/rules", "/rules/packs/nonsense", {})).status_code == 404


async def test_staff_get_403_and_another_workspaces_rule_is_not_found(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, ws = await _owner(web)
    await owner.submit("/rules/new", "/rules/new", {**PARKING, "op": "save"})
    [rule] = await _listing(runtime, ws)
    sam = await _add_staff(web, runtime, ws)
    await owner.sign_out()
    staff = Visitor(web, email=sam["email"])
    await staff.sign_in()
    assert (await web.get("/rules")).status_code == 403
    assert (await web.get(f"/rules/{rule.id}")).status_code == 403
    assert 'href="/rules"' not in (await web.get("/inbox")).text
    await staff.sign_out()

    other, _ = await _owner(web)
    assert (await web.get(f"/rules/{rule.id}")).status_code == 404
    for action in (f"/rules/{rule.id}", f"/rules/{rule.id}/active", f"/rules/{rule.id}/delete"):
        assert (await other.submit("/rules", action, {"op": "save", "active": "off"})).status_code == 404
    assert await _rules(runtime, ws) == [("parking", 100, True)]
