"""Tenant isolation, by construction: every route of the app, with one workspace's credentials and
another workspace's ids, is refused, answers nothing of the other workspace, and changes nothing of it.

The routes, their methods and where they take ids come from the app itself (tests/admin/
route_matrix.py); each kind of id is made for real in both workspaces (tests/admin/tenant_kit.py);
the other workspace's rows are read from the database before and after (tests/admin/tenant_rows.py).
Each request made with b's ids is also made with a's own, and must succeed there: so a refusal
comes from the isolation, not from a request the route would have refused anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from admin.deps import WORKSPACE_HEADER
from admin.web.session import CSRF_HEADER, SESSION_COOKIE, Cookie, csrf_of, seal
from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.crypto import SecretBox
from tests.admin.conftest import bearer
from tests.admin.route_matrix import (
    PAGE_FORMS,
    PUBLIC,
    STREAMS,
    Call,
    Endpoint,
    attempts,
    control,
    endpoints,
    missing_makers,
    resource,
)
from tests.admin.tenant_kit import Kit, build_kit
from tests.admin.tenant_rows import differences, rows_of
from tests.kb.site import serve

REFUSED = (403, 404)


async def test_no_route_reaches_another_workspace(settings: Settings) -> None:
    runtime = Runtime.build(
        settings.model_copy(
            update={
                "inbox_max_attempts": 1,  # a crashing turn fails for good at once (the kit keeps one)
                "chat_wait_seconds": 0.0,  # the test drives the worker itself
                "kb_crawl_allow_private": True,  # the kit's website is on loopback
                "kb_crawl_delay_seconds": 0.0,
            }
        )
    )
    app = create_app(runtime, worker=False)
    try:
        with serve() as site:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client:
                a = await build_kit(client, runtime, "Alpha Salon", f"{site.base}/help/")
                b = await build_kit(client, runtime, "Beta Salon", f"{site.base}/help/")
                matrix = Matrix(client, app.openapi(), endpoints(app), a, b, runtime.box)
                matrix.check_coverage()
                before = await rows_of(runtime.db, b.workspace_id)

                for who, headers in {
                    "a's owner": a.headers,
                    "a's API token": bearer(a.api_token),
                    "a's owner, naming a": bearer(a.token, a.workspace_id),
                }.items():
                    await matrix.with_bs_ids(who, headers)
                for headers in (
                    bearer(a.token, b.workspace_id),
                    bearer(a.token, b.ids["workspace"][1]),  # its slug
                    bearer(a.api_token, b.workspace_id),
                    bearer(a.api_token, b.ids["workspace"][1]),
                ):
                    await matrix.naming_bs_workspace(headers)
                assert not matrix.failures, "\n".join(matrix.failures)
                assert differences(before, await rows_of(runtime.db, b.workspace_id)) == []

                await matrix.with_as_own_ids()
                assert not matrix.failures, "\n".join(matrix.failures)
                assert differences(before, await rows_of(runtime.db, b.workspace_id)) == []
                print(f"\nisolation matrix: {matrix.summary()}")
    finally:
        await runtime.close()


@dataclass
class Matrix:
    client: httpx.AsyncClient
    spec: dict[str, Any]
    routes: list[Endpoint]
    a: Kit
    b: Kit
    box: SecretBox  # seals a page's session cookie
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        # b's ids, and b's name: it is in every name and text b gave its things, so b's inbox rows
        # (whose ids are small numbers, like a's) show by their text.
        self.secrets = {i for i in self.b.every_id() if len(i) >= 8} | {self.b.name}
        self.attacked = [e for e in self.routes if str(e) not in PUBLIC and e.tenant_slots]

    def check_coverage(self) -> None:
        stale = sorted((set(PUBLIC) | set(STREAMS)) - {str(e) for e in self.routes})
        assert not stale, f"PUBLIC names routes the app does not have: {stale}"
        forms = {str(e) for e in self.routes if e.method == "POST" and (e.page or e.path in ("/login", "/register"))}
        assert not forms - set(PAGE_FORMS), f"forms PAGE_FORMS does not name: {sorted(forms - set(PAGE_FORMS))}"
        problems = [p for e in self.routes if str(e) not in PUBLIC for p in missing_makers(e, self.b)]
        assert not problems, "\n".join(problems)

    async def with_bs_ids(self, who: str, headers: dict[str, str]) -> None:
        """Every route that takes ids, with b's in each combination of its slots."""
        for endpoint in self.attacked:
            for call, names_b_in_path in attempts(endpoint, self.spec, self.a, self.b):
                r = await self.send(call, headers)
                if not _refused(endpoint, r, names_b_in_path):
                    self.failures.append(f"{who}: {call} → {r.status_code} {r.text[:200]}")
                self.failures += [f"{who}: {call} shows b's {leak}" for leak in self.leaks(r, call.sent)]

    async def naming_bs_workspace(self, headers: dict[str, str]) -> None:
        """Asking to act in b's workspace without belonging to it: not found, whatever the route.
        Not the pages: their workspace is the one sealed in the session cookie, which only the
        workspace switch (POST /workspace, tests/admin/test_web_signin.py) sets, for one of theirs."""
        for endpoint in (e for e in self.routes if e.secured and not e.page):
            r = await self.send(control(endpoint, self.spec, self.a), headers)
            if r.status_code != 404:
                self.failures.append(f"{WORKSPACE_HEADER}: {headers[WORKSPACE_HEADER]}: {endpoint} → {r.status_code}")

    async def with_as_own_ids(self) -> None:
        """The same requests on a's own things, and every list a can read: done, with nothing of b's."""
        for endpoint in _deletions_last(self.routes, self.a):
            listing = endpoint.method == "GET" and (endpoint.secured or not endpoint.slots)
            if str(endpoint) in PUBLIC or str(endpoint) in STREAMS:
                continue
            if not (listing or (endpoint.secured and endpoint.tenant_slots)):
                continue
            call = control(endpoint, self.spec, self.a)
            r = await self.send(call, self.a.headers)
            if endpoint.secured and not (r.is_success or r.status_code == 409 or _page_done(endpoint, r)):
                self.failures.append(f"control {call} → {r.status_code} {r.text[:300]}: the matrix's request is wrong")
            self.failures += [f"control {call} shows b's {leak}" for leak in self.leaks(r, frozenset())]

    async def send(self, call: Call, headers: dict[str, str]) -> httpx.Response:
        self.sent += 1
        cookies: dict[str, str] = {}
        if call.endpoint.page:  # the same credentials as a browser's session, and the form's token
            token = headers["Authorization"].removeprefix("Bearer ")
            cookies[SESSION_COOKIE] = seal(self.box, Cookie(token, headers.get(WORKSPACE_HEADER)))
            headers = {CSRF_HEADER: csrf_of(token)}
        return await self.client.request(
            call.endpoint.method,
            call.url,
            params=call.query,
            headers=headers,
            cookies=cookies,
            json=call.json,
            data=call.data,
            files=call.files,
        )

    def leaks(self, r: httpx.Response, sent: frozenset[str]) -> list[str]:
        text = r.text + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())
        return [w for w in self.secrets - sent if w in text]

    def summary(self) -> str:
        secured = sum(e.secured for e in self.routes)
        return (
            f"{len(self.routes)} routes ({secured} behind a token, {len(PUBLIC)} public by design), "
            f"{len(self.attacked)} take ids, {self.sent} requests"
        )


def _page_done(endpoint: Endpoint, r: httpx.Response) -> bool:
    """A page's form did what it was sent for: back to the page, or the page again with what to fix
    (the matrix fills in no field), but not the sign-in page."""
    sent_back = r.status_code == 303 and not r.headers["location"].startswith("/login")
    return endpoint.page and (sent_back or r.status_code == 422)


def _refused(endpoint: Endpoint, r: httpx.Response, names_b_in_path: bool) -> bool:
    """Whether the answer to a request with b's ids is right. One that names b's thing in its path,
    or changes anything, must be refused; a read filtered by b's id may answer, with nothing of b's.
    A page asks whoever has no session (a workspace's API token has no person) to sign in."""
    if endpoint.page and r.status_code == 303 and r.headers["location"].startswith("/login"):
        return True
    if names_b_in_path or endpoint.method != "GET":
        allowed = REFUSED if endpoint.secured else (401, *REFUSED)  # a webhook: not signed by b
        if not names_b_in_path:  # b's id in a body or a query: "not one of yours" is a refusal too
            allowed = (*allowed, 422)
        return r.status_code in allowed and not _invalid(r)
    return r.status_code < 500


def _invalid(r: httpx.Response) -> bool:
    """Refused by the route's validation, before its code ran: that proves nothing."""
    if r.status_code != 422 or not r.headers.get("content-type", "").startswith("application/json"):
        return False  # a page's 422 is the form again, with what the service refused
    return isinstance(r.json().get("detail"), list)


def _deletions_last(routes: list[Endpoint], a: Kit) -> list[Endpoint]:
    """Each thing deleted before what it belongs to, and a's workspace last of all."""
    made = list(a.ids)

    def key(e: Endpoint) -> tuple[int, int]:
        return (0, 0) if e.method != "DELETE" else (1, -made.index(resource(e) or "workspace"))

    return sorted(routes, key=key)
