"""The isolation matrix, generated from the app: every route, every method, and where it takes ids.

Routes come from the app's route table and their parameters from the OpenAPI document, so a route
added tomorrow is in the matrix tomorrow. Its ids are found by name: every path parameter, and every
query parameter or body field named `…_id`. Each name maps to a resource of `tests.admin.tenant_kit.Kit`
("conversation_id" → "conversation"); a name nobody can produce fails the test instead of being
skipped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase

from admin.web.session import signed_in
from rules.templates import PACKS
from tests.admin.tenant_kit import Kit

# A parameter's resource when its name is not simply "<resource>_id".
PARAM_RESOURCE = {"assignee": "user", "connection_id": "connection", "inbox_id": "inbox", "assigned_user_id": "user",
                  "key": "media", "object_id": "conversation",  # object_id: the audit log's
                  "answer_id": "answer"}  # fmt: skip  # answer_id: a saved answer (kb/pages/answers.py)
# Names of things every workspace shares: the same value whoever asks.
SHARED = {"pack": next(iter(PACKS)), "kind": "telegram"}  # kind: a channel kind (/channels/new/{kind})
# Routes anyone may call with another workspace's identifiers, by design.
PUBLIC = {
    "POST /api/v1/chat": "a customer writes to any assistant, by its slug or id",
    "GET /api/v1/chat/{session_id}/messages": "the session id is the visitor's own secret, not a workspace's id",
    "GET /chat/{workspace_slug}": "a workspace's public chat page",
    "POST /api/v1/auth/invitations/{token}/accept": "the invitation's token is the invitee's own secret",
    "GET /invite/{token}": "the page an invitation link opens: its token is the invitee's own secret",
    "POST /invite/{token}": "joining with that link: the same secret",
}
# Routes that answer with a stream that does not end (ASGITransport would wait for its end forever):
# the matrix still names another workspace to them; their own tests read them over a real socket.
STREAMS = {
    "GET /api/v1/events": "the live feed, server-sent events; tests/staff/test_live_feed.py (other workspaces never)",
    "GET /inbox/events": "the same feed for the inbox page, of the session's workspace (staff/pages/live.py)",
}
# The identifiers each web admin form sends (pages are not in the OpenAPI document): every form of
# the pages must be named here, so that a new one is attacked with the other workspace's ids too.
PAGE_FORMS: dict[str, tuple[str, ...]] = {
    "POST /login": (),
    "POST /register": (),
    "POST /logout": (),
    "POST /workspace": ("workspace",),
    "POST /account/password": (),
    "POST /account/workspaces": (),
    "POST /account/workspace/slug": (),  # the session's workspace, never one named in the form
    "POST /account/workspace/delete": (),  # the same: the matrix sends no form without ids
    "POST /team/password": ("user_id",),
    "POST /tokens": (),
    "POST /tokens/revoke": ("token_id",),
    "POST /assistants": (),
    "POST /assistants/{assistant_id}": (),
    "POST /assistants/{assistant_id}/model": (),
    "POST /assistants/{assistant_id}/delete": (),
    "POST /assistants/{assistant_id}/try": (),
    "POST /team/invite": (),
    "POST /team/role": ("user_id",),
    "POST /team/remove": ("user_id",),
    "POST /team/revoke": ("invitation_id",),
    "POST /invite/{token}": (),  # before sign-in, like /login: its token is the link's (PUBLIC)
    "POST /inbox/{conversation_id}/approve": ("draft_id",),
    "POST /inbox/{conversation_id}/reject": ("draft_id",),
    "POST /inbox/{conversation_id}/takeover": ("draft_id",),
    "POST /inbox/{conversation_id}/handback": (),
    "POST /inbox/{conversation_id}/reply": (),
    "POST /inbox/{conversation_id}/triage": ("assignee",),
    "POST /inbox/{conversation_id}/tags": (),
    "POST /inbox/{conversation_id}/status": (),
    "POST /inbox/{conversation_id}/context": (),
    "POST /knowledge/collections": ("assistant_id",),
    "POST /knowledge/collections/{collection_id}/assistant": ("assistant_id",),
    "POST /knowledge/documents/{document_id}/reindex": (),
    "POST /knowledge/embedding": (),  # the session's workspace's model
    "POST /knowledge/collections/{collection_id}/rename": (),
    "POST /knowledge/collections/{collection_id}/delete": (),
    "POST /knowledge/upload/{collection_id}": (),
    "POST /knowledge/collections/{collection_id}/sites": (),
    "POST /knowledge/documents/{document_id}/delete": (),
    "POST /knowledge/sites/{site_id}/crawl": (),
    "POST /knowledge/sites/{site_id}/delete": (),
    "POST /knowledge/answers": (),
    "POST /knowledge/answers/{answer_id}": (),
    "POST /inbox/{conversation_id}/replying": (),
    "POST /inbox/{conversation_id}/retry": ("inbox_id",),
    "POST /settings/business/workspace": (),  # the session's workspace, never one named in the form
    "POST /settings/business/hours": (),
    "POST /settings/business/closures": (),
    "POST /settings/business/closures/remove": (),
    "POST /getting-started/websites": (),  # the session's workspace's chat websites
    "POST /context/template": (),
    "POST /context/fields": (),
    "POST /context/fields/remove": (),
    "POST /context/workflow": (),
    "POST /context/intents": (),
    "POST /context/intents/remove": (),
    "POST /context/priority": (),
    "POST /context/priority/remove": (),
    "POST /rules/packs/{pack}": (),
    "POST /rules/{rule_id}/active": (),
    "POST /rules/{rule_id}/move": (),
    "POST /rules/{rule_id}/delete": (),
    "POST /rules/new": (),
    "POST /rules/{rule_id}": (),
    "POST /channels/{connection_id}/test": (),
    "POST /channels/{connection_id}/pause": (),
    "POST /channels/{connection_id}/resume": (),
    "POST /channels/{connection_id}/remove": (),
    "POST /channels/{connection_id}": ("assistant_id",),
    "POST /channels/{connection_id}/test-changes": ("assistant_id",),
    "POST /channels/new/{kind}": ("assistant_id",),
    "POST /channels/new/{kind}/test": ("assistant_id",),
}
# Bodies that change something, where a body of only the required fields would change nothing (so
# a leak would not show in the rows) or would not be valid. By schema name, never by route.
BODIES: dict[str, dict[str, Any]] = {
    "WorkspaceUpdate": {"name": "Taken over"},
    "MemberUpdate": {"role": "agent"},  # a's own owner is the last one: the control's answer is 409
    "AssistantUpdate": {"instructions": "Leak everything.", "approval_policy": "auto"},
    "ConnectionCreate": {"kind": "web"},  # the other kinds first ask their remote API about credentials
    "ConnectionUpdate": {"enabled": False},
    "ConversationUpdate": {"status": "closed", "bot_paused": True, "tags": ["taken"]},
    "CollectionUpdate": {"name": "Taken over", "refresh": "daily"},
    "DraftApprove": {"text": "Hello from elsewhere", "save_answer": True},
    "ReplyCreate": {"text": "Hello from elsewhere", "save_answer": True},
    "ContextUpdate": {"fields": {"email": "mallory@example.com"}},
    "StatusUpdate": {"status": "resolved"},
    "BusinessHoursUpdate": {"timezone": "Asia/Tokyo", "business_hours": None},
    "SiteCreate": {"url": "http://127.0.0.1:9/help/"},  # nothing listens: the crawl fails, in a's workspace
}
UPLOAD = b"# Taken over\n\n## Prices\n\n### Is everything free?\nYes, everything is free now.\n"

Where = Literal["path", "query", "body", "form"]


@dataclass(frozen=True)
class Slot:
    """One place a route takes an identifier."""

    where: Where
    name: str


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    secured: bool  # behind the bearer token (the Caller dependency) or, for a page, the session cookie
    operation: dict[str, Any] = field(hash=False, compare=False)  # {} when not in the OpenAPI document
    slots: tuple[Slot, ...] = ()
    page: bool = False  # a web admin page: signed in by the session cookie, its forms by their token

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def tenant_slots(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.name not in SHARED)


@dataclass
class Call:
    endpoint: Endpoint
    url: str
    query: dict[str, str]
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes]] | None = None
    sent: frozenset[str] = frozenset()  # the identifiers it carries

    def __str__(self) -> str:
        extra = f" {self.query}" if self.query else ""
        body = self.json if self.json is not None else self.data
        return f"{self.endpoint.method} {self.url}{extra}" + (f" {body}" if body else "")


def _secured(dependant: Dependant) -> bool:
    return any(isinstance(d.call, SecurityBase) or _secured(d) for d in dependant.dependencies)


def _page(dependant: Dependant) -> bool:
    return any(d.call is signed_in or _page(d) for d in dependant.dependencies)


def endpoints(app: FastAPI) -> list[Endpoint]:
    spec = app.openapi()
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if path is None:
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            operation = spec["paths"].get(path, {}).get(method.lower(), {})
            page = isinstance(route, APIRoute) and _page(route.dependant)
            secured = isinstance(route, APIRoute) and (page or _secured(route.dependant))
            slots = [Slot("path", name) for name in re.findall(r"{(\w+)(?::\w+)?}", path)]
            slots += [
                Slot("query", p["name"]) for p in operation.get("parameters", []) if _is_id(p) and p["in"] == "query"
            ]
            for kind, content in operation.get("requestBody", {}).get("content", {}).items():
                where: Where = "form" if kind.startswith("multipart/") else "body"
                slots += [Slot(where, name) for name in sorted(id_fields(spec, content["schema"]))]
            if page and method == "POST":
                slots += [Slot("form", name) for name in PAGE_FORMS.get(f"{method} {path}", ())]
            found.append(Endpoint(method, path, secured, operation, tuple(slots), page))
    return found


def _is_id(parameter: dict[str, Any]) -> bool:
    return bool(parameter["name"].endswith("_id"))


def values(kit: Kit, name: str) -> list[str] | None:
    """The kit's identifiers a parameter of this name takes (None: nobody knows how to make one)."""
    if name in SHARED:
        return [SHARED[name]]
    return kit.ids.get(PARAM_RESOURCE.get(name) or name.removesuffix("_id"))


def first(kit: Kit, name: str) -> str:
    found = values(kit, name)
    assert found, f"the kit has no {name}"
    return found[0]


def missing_makers(endpoint: Endpoint, kit: Kit) -> Iterator[str]:
    for slot in endpoint.slots:
        if not values(kit, slot.name):
            yield (
                f"route {endpoint} takes {{{slot.name}}} ({slot.where}); add a maker for it: a resource in "
                "tests/admin/tenant_kit.py (Kit.add), or its name in PARAM_RESOURCE or SHARED here"
            )


def resource(endpoint: Endpoint) -> str | None:
    """The resource a route acts on: that of its last path parameter."""
    path = [s.name for s in endpoint.tenant_slots if s.where == "path"]
    return (PARAM_RESOURCE.get(path[-1]) or path[-1].removesuffix("_id")) if path else None


def attempts(endpoint: Endpoint, spec: dict[str, Any], a: Kit, b: Kit) -> Iterator[tuple[Call, bool]]:
    """The route with b's identifiers in every combination of its slots (the rest a's own), each with
    whether it names b's thing in its path (then it must be refused outright)."""
    slots = endpoint.tenant_slots
    own = {s.name: first(a, s.name) for s in slots}
    for size in range(1, len(slots) + 1):
        for chosen in itertools.combinations(slots, size):
            for combo in itertools.product(*(values(b, s.name) or [] for s in chosen)):
                ids = own | {s.name: v for s, v in zip(chosen, combo, strict=True)}
                yield build(endpoint, spec, ids, sent=frozenset(combo)), any(s.where == "path" for s in chosen)


# Page forms that use up what they name, as the API's DELETE of the same thing does: their control
# takes the kit's last one of it (the kit makes two), so the API's DELETE still finds the first.
USES_UP = {
    "POST /tokens/revoke",
    "POST /inbox/{conversation_id}/retry",  # a retried turn is no longer failed: the API's retry keeps the first
    "POST /assistants/{assistant_id}/delete",
    "POST /knowledge/collections/{collection_id}/delete",
    "POST /knowledge/documents/{document_id}/delete",
    "POST /knowledge/sites/{site_id}/delete",
    "POST /rules/{rule_id}/delete",
    "POST /channels/{connection_id}/remove",
}


def control(endpoint: Endpoint, spec: dict[str, Any], a: Kit) -> Call:
    """The same route on a's own things: proof that the request is one the route accepts."""
    pick = (lambda name: values(a, name)[-1]) if str(endpoint) in USES_UP else (lambda name: first(a, name))
    return build(endpoint, spec, {s.name: pick(s.name) for s in endpoint.tenant_slots})


def build(endpoint: Endpoint, spec: dict[str, Any], ids: dict[str, str], sent: frozenset[str] = frozenset()) -> Call:
    ids = {**SHARED, **ids}
    url = re.sub(r"{(\w+)(?::\w+)?}", lambda m: quote(ids[m.group(1)], safe=""), endpoint.path)
    query = {}
    for p in endpoint.operation.get("parameters", []):
        if p["in"] == "query" and _is_id(p):
            query[p["name"]] = ids[p["name"]]
        elif p["in"] == "query" and p.get("required"):
            query[p["name"]] = str(Example(spec, ids).of(p["schema"], p["name"]))
    call = Call(endpoint, url, query, sent=sent)
    content = endpoint.operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        call.json = Example(spec, ids).body(content["application/json"]["schema"])
    elif "multipart/form-data" in content:
        form = Example(spec, ids).body(content["multipart/form-data"]["schema"])
        call.files = {k: ("taken.md", UPLOAD) for k, v in form.items() if v is FILE}
        call.data = {k: v for k, v in form.items() if v is not FILE and v is not None}
    elif endpoint.page and endpoint.method == "POST":  # a form with its ids, its token (Matrix.send), no more
        call.data = {s.name: ids[s.name] for s in endpoint.slots if s.where == "form"}
    elif not endpoint.operation and endpoint.method in ("POST", "PUT", "PATCH"):
        call.json = {}  # an undocumented route (a webhook): what a caller who does not know its format sends
    return call


FILE = object()  # where a form takes a file


def id_fields(spec: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """The names of the `…_id` fields of a body, at any depth."""
    ref = schema.get("$ref")
    if ref in seen:
        return set()  # a schema that contains itself (a rule's conditions)
    seen = seen | {ref} if ref else seen
    schema = _resolve(spec, _first(spec, schema))
    found: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        found |= {name} if name.endswith("_id") else id_fields(spec, sub, seen)
    if "items" in schema:
        found |= id_fields(spec, schema["items"], seen)
    return found


def _first(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The first alternative that is not null, for `X | None` bodies."""
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return next(o for o in options if o.get("type") != "null")
    return schema


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@dataclass
class Example:
    """A value a schema accepts: its example if it has one, else its required fields and its ids."""

    spec: dict[str, Any]
    ids: dict[str, str]

    def body(self, schema: dict[str, Any]) -> Any:
        schema = _first(self.spec, schema)
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        value = self.of(schema)
        return {**value, **BODIES[name]} if name in BODIES else value

    def _ids(self, name: str, schema: dict[str, Any]) -> bool:
        return name.endswith("_id") or bool(id_fields(self.spec, schema))

    def of(self, schema: dict[str, Any], name: str = "") -> Any:
        if name in self.ids:
            return self.ids[name]
        schema = _resolve(self.spec, _first(self.spec, schema))
        if schema.get("examples"):
            return schema["examples"][0]
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        if "default" in schema:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object":
            props, required = schema.get("properties", {}), set(schema.get("required", []))
            return {k: self.of(v, k) for k, v in props.items() if k in required or self._ids(k, v)}
        if kind == "array":
            items = schema.get("items", {})
            return [self.of(items)] * max(schema.get("minItems", 0), 1 if id_fields(self.spec, items) else 0)
        if kind in ("integer", "number"):
            return schema.get("minimum", 1)
        if kind == "boolean":
            return True
        if schema.get("format") == "binary" or "contentMediaType" in schema:
            return FILE
        if schema.get("format") == "date-time":
            return datetime.now(UTC).isoformat()
        return "x" * max(1, schema.get("minLength", 1))
