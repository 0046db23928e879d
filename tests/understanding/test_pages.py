"""/context in the web admin: an owner installs the front-desk template, adds, edits and removes
fields (stored exactly as the API stores them; a refused one comes back with the reason beside the
input at fault), edits the status workflow and sees it drawn, and edits the intents and checks them
for pairs too alike to tell apart."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.admin.conftest import register
from tests.admin.web_pages import Visitor, csrf_of
from understanding.templates import FRONT_DESK_SCHEMA

API = "/api/v1"
LOYALTY = {"name": "loyalty_code", "label": "Loyalty card", "type": "text", "required": "on",
           "pattern": r"[A-Z]{3}-\d{4}", "max_length": "8", "description": "", "minimum": "", "maximum": "",
           "keywords": "", "region": "", "options": "", "original": ""}  # fmt: skip


async def _owner(web: httpx.AsyncClient) -> tuple[Visitor, dict[str, Any]]:
    """An owner signed in to the web admin, and their API sign-in (token, workspace)."""
    visitor = Visitor(web)
    account = await register(web, email=visitor.email)
    r = await visitor.sign_in()
    assert r.status_code == 303, r.text
    return visitor, account


async def _schema(web: httpx.AsyncClient, account: dict[str, Any]) -> Any:
    ws = account["workspace"]["id"]
    r = await web.get(f"{API}/context/workspaces/{ws}/schema", headers={"Authorization": f"Bearer {account['token']}"})
    assert r.status_code == 200, r.text
    return r.json()


def _help(page: httpx.Response, input_id: str) -> str:
    """The words beside an input: its error, or its hint."""
    found = re.search(rf'id="{input_id}-help"[^>]*>([^<]*)<', page.text)
    assert found, f"nothing beside {input_id}"
    return found.group(1).replace("&#39;", "'")


async def test_a_field_added_in_the_page_is_stored_as_the_api_stores_it(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    first = await web.get("/context/fields")
    assert first.status_code == 200 and "Install the front-desk template" in first.text
    installed = await owner.submit("/context/fields", "/context/template", {})
    assert installed.status_code == 303
    listed = await web.get(installed.headers["location"])
    assert "The front-desk template is installed." in listed.text and "appointment_at" in listed.text

    added = await owner.submit("/context/fields", "/context/fields", LOYALTY)
    assert added.status_code == 303, added.text
    # The same field through the API, in a workspace of its own: the stored schemas are the same.
    other = await register(web, workspace_name="Another salon")
    field = {"name": "loyalty_code", "label": "Loyalty card", "type": "text", "required": True,
             "pattern": r"[A-Z]{3}-\d{4}", "max_length": 8}  # fmt: skip
    body = {**FRONT_DESK_SCHEMA, "fields": [*FRONT_DESK_SCHEMA["fields"], field]}
    url = f"{API}/context/workspaces/{other['workspace']['id']}/schema"
    r = await web.put(url, json=body, headers={"Authorization": f"Bearer {other['token']}"})
    assert r.status_code == 200, r.text
    assert await _schema(web, account) == await _schema(web, other)
    shown = await web.get("/context/fields")
    assert "Loyalty card" in shown.text and "required" in shown.text


async def test_a_refused_field_comes_back_with_the_reason_beside_the_input(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    bad_pattern = await owner.submit("/context/fields", "/context/fields", {**LOYALTY, "pattern": "[A-Z"})
    assert bad_pattern.status_code == 422
    assert "not a valid regular expression" in _help(bad_pattern, "new-pattern")
    assert 'value="[A-Z"' in bad_pattern.text  # what they typed, to fix

    no_options = await owner.submit("/context/fields", "/context/fields", {**LOYALTY, "type": "enum", "pattern": ""})
    assert no_options.status_code == 422 and "needs options" in _help(no_options, "new-options")
    bad_name = await owner.submit("/context/fields", "/context/fields", {**LOYALTY, "name": "Loyalty Code"})
    assert bad_name.status_code == 422 and "lower-case letters" in _help(bad_name, "new-name")
    bounds = {**LOYALTY, "type": "number", "pattern": "", "minimum": "10", "maximum": "2"}
    backwards = await owner.submit("/context/fields", "/context/fields", bounds)
    assert backwards.status_code == 422 and "minimum is above maximum" in _help(backwards, "new-minimum")
    assert await _schema(web, account) is None  # nothing was stored


async def test_an_owner_edits_and_removes_fields(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    await owner.submit("/context/fields", "/context/template", {})
    page = await web.get("/context/fields")
    assert "colour: colour, color, dye, highlights, balayage" in page.text  # the enum's values, as edited
    options = "haircut: trim, cut\nbeard: shave, beard trim"
    service = {**LOYALTY, "original": "service", "name": "service", "type": "enum", "required": "", "pattern": "",
               "max_length": "", "label": "Service", "options": options}  # fmt: skip
    assert (await owner.submit("/context/fields", "/context/fields", service)).status_code == 303
    stored = {f["name"]: f for f in (await _schema(web, account))["fields"]}
    assert stored["service"]["options"] == {"haircut": ["trim", "cut"], "beard": ["shave", "beard trim"]}

    twin = await owner.submit("/context/fields", "/context/fields", {**service, "name": "phone"})
    assert twin.status_code == 422 and "same name" in _help(twin, "service-name")

    removed = await owner.submit("/context/fields", "/context/fields/remove", {"name": "party_size"})
    assert removed.status_code == 303
    names = [f["name"] for f in (await _schema(web, account))["fields"]]
    assert "party_size" not in names and "service" in names
    gone = await owner.submit("/context/fields", "/context/fields/remove", {"name": "party_size"})
    assert gone.status_code == 422 and "There is no field 'party_size'" in gone.text.replace("&#39;", "'")


async def test_the_workflow_is_drawn_and_edited(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    await owner.submit("/context/fields", "/context/template", {})
    page = await web.get("/context/workflow")
    assert page.status_code == 200 and "<svg" in page.text
    assert page.text.count('class="status') == 6 and 'class="status initial"' in page.text
    assert page.text.count('class="move ') == 13  # one arrow per allowed move
    assert "When the intent is complaint and the sentiment is negative: urgent" in page.text

    moves = "new: booked, resolved\nbooked: resolved, nowhere\nresolved:"
    refused = await owner.submit("/context/workflow", "/context/workflow", {"initial": "new", "moves": moves})
    assert refused.status_code == 422 and "which the workflow does not list" in _help(refused, "moves")
    assert (await _schema(web, account))["workflow"]["initial"] == "new"

    moves = "new: booked, resolved\nbooked: resolved\nresolved:"
    saved = await owner.submit("/context/workflow", "/context/workflow", {"initial": "new", "moves": moves})
    assert saved.status_code == 303
    stored = (await _schema(web, account))["workflow"]
    assert stored == {"initial": "new", "transitions": {"new": ["booked", "resolved"], "booked": ["resolved"],
                                                         "resolved": []}}  # fmt: skip
    drawn = await web.get("/context/workflow")
    assert drawn.text.count('class="move ') == 3 and "nothing: it is final" in drawn.text


async def test_intents_are_edited_and_checked_for_pairs_too_alike(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    page = await web.get("/context/intents")
    assert "These are the shipped intents" in page.text and "reschedule" in page.text
    clean = await web.get("/context/intents?check=1")
    assert "No two intents are too alike" in clean.text

    examples = "I want to book an appointment\ncan I get a slot tomorrow\nbook me for a haircut on friday"
    added = await owner.submit("/context/intents", "/context/intents", {"name": "appointment", "examples": examples})
    assert added.status_code == 303
    checked = await web.get("/context/intents?check=1")
    assert "shipped intents" not in checked.text
    said = re.findall(r"“(\w+)” and “(\w+)” are \d+% alike", checked.text)
    assert [set(pair) for pair in said] == [{"booking", "appointment"}], said

    bad = await owner.submit("/context/intents", "/context/intents", {"name": "Appointment!", "examples": "hi"})
    assert bad.status_code == 422 and "should match pattern" in _help(bad, "new-name")
    empty = await owner.submit("/context/intents", "/context/intents", {"name": "greeting2", "examples": " \n"})
    assert empty.status_code == 422 and _help(empty, "new-examples").startswith("List should have at least 1")

    removed = await owner.submit("/context/intents", "/context/intents/remove", {"name": "appointment"})
    assert removed.status_code == 303
    intents = await web.get(f"{API}/context/workspaces/{account['workspace']['id']}/intents",
                            headers={"Authorization": f"Bearer {account['token']}"})  # fmt: skip
    assert intents.json()["template"] is False and "appointment" not in [i["name"] for i in intents.json()["intents"]]


async def test_priority_rules_are_added_and_removed_as_the_api_stores_them(web: httpx.AsyncClient) -> None:
    owner, account = await _owner(web)
    await owner.submit("/context/fields", "/context/template", {})
    before = (await _schema(web, account))["priority_rules"]
    token = csrf_of(await web.get("/context/workflow"))
    rule = {"csrf_token": token, "intent": "cancel_booking", "sentiment": ["negative", "neutral"],
            "fields_set": "appointment_at", "field_equals": "party_size = 8", "priority": "high"}  # fmt: skip
    added = await web.post("/context/priority", data=rule)
    assert added.status_code == 303, added.text
    stored = (await _schema(web, account))["priority_rules"]
    assert stored[:-1] == before and stored[-1] == {
        "when": {"intent": ["cancel_booking"], "sentiment": ["negative", "neutral"], "fields_set": ["appointment_at"],
                 "field_equals": {"party_size": 8}, "status": []},
        "priority": "high",
    }  # fmt: skip
    page = await web.get("/context/workflow?done=rule")
    assert "Priority rule added." in page.text
    assert "cancel_booking and the sentiment is negative or neutral and appointment_at is known" in page.text

    # A field the schema does not have is refused beside its input; nothing is stored.
    unknown = {"fields_set": "shoe_size", "priority": "low"}
    refused = await owner.submit("/context/workflow", "/context/priority", unknown)
    assert refused.status_code == 422 and "shoe_size" in _help(refused, "rule-fields_set")
    assert 'id="rule-fields_set" name="fields_set" type="text" value="shoe_size"' in refused.text
    refused = await owner.submit("/context/workflow", "/context/priority", {"priority": "whenever"})
    assert refused.status_code == 422
    assert (await _schema(web, account))["priority_rules"] == stored

    removed = await owner.submit("/context/workflow", "/context/priority/remove", {"index": str(len(stored) - 1)})
    assert removed.status_code == 303
    assert (await _schema(web, account))["priority_rules"] == before
    gone = await owner.submit("/context/workflow", "/context/priority/remove", {"index": "99"})
    assert gone.status_code == 422 and "That rule is gone already." in gone.text
