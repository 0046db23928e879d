"""Who is signed in to the web admin, and the CSRF check of every form.

The session is the API's: signing in issues the same session token as `POST /auth/login`, and the
cookie carries it encrypted (core.crypto.SecretBox, keyed by FRONTDESK_SECRET_KEY) with the
workspace chosen in the switcher. Revoking the token (signing out, a password change or reset)
ends the web session too; the token is resolved exactly as a bearer token is (admin.deps.caller_for).

CSRF: each session's token is an HMAC of its session token, sent back in every form (hidden
`csrf_token`) and by htmx (the `X-CSRF-Token` header). Before sign-in, the sign-in and registration
forms use a random cookie the same way. Independently, a POST whose Origin is another site, or whose
Sec-Fetch-Site says so, is refused whatever it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response

from admin.common import Role
from admin.deps import Caller, caller_for, require_admin
from admin.web.errors import PageError, SignInRequired, forbidden
from admin.workspaces.service import SESSION_DAYS, visible
from core.crypto import PREFIX, SecretBox
from core.models import User
from core.web import Db

SESSION_COOKIE = "frontdesk_session"
FORM_COOKIE = "frontdesk_form"  # before sign-in: what the sign-in and registration forms' token is made from
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PURPOSE = "frontdesk web session"
_MAX_COOKIE = 2000


@dataclass(frozen=True)
class WorkspaceChoice:
    id: str
    name: str
    role: Role


@dataclass(frozen=True)
class SignedIn:
    """The person signed in, in the workspace they are looking at: what a page needs."""

    user_id: str
    email: str
    name: str
    workspace_id: str
    workspace_name: str
    workspace_slug: str
    role: Role
    caller: Caller  # what the services take
    csrf: str
    workspaces: tuple[WorkspaceChoice, ...]  # every workspace of theirs, for the switcher

    @property
    def is_owner(self) -> bool:
        return self.caller.is_owner

    @property
    def is_admin(self) -> bool:
        return self.caller.is_admin


@dataclass(frozen=True)
class Cookie:
    token: str
    workspace_id: str | None


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.runtime.box
    return box


def seal(box: SecretBox, cookie: Cookie) -> str:
    sealed = box.encrypt(json.dumps({"p": _PURPOSE, "t": cookie.token, "w": cookie.workspace_id}))
    return sealed.removeprefix(PREFIX).rstrip("=")  # urlsafe base64: a cookie value as it is


def unseal(box: SecretBox, value: str) -> Cookie | None:
    if not value or len(value) > _MAX_COOKIE:
        return None
    try:
        data: Any = json.loads(box.decrypt(PREFIX + value + "=" * (-len(value) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("p") != _PURPOSE or not isinstance(data.get("t"), str):
        return None
    workspace = data.get("w")
    return Cookie(data["t"], workspace if isinstance(workspace, str) else None)


def session_cookie(request: Request) -> Cookie | None:
    return unseal(_box(request), request.cookies.get(SESSION_COOKIE, ""))


def csrf_of(secret: str) -> str:
    return hmac.new(secret.encode(), b"frontdesk csrf", hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    public_url: str = request.app.state.runtime.settings.public_url
    return request.url.scheme == "https" or public_url.startswith("https://")


def start_session(request: Request, response: Response, cookie: Cookie) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        seal(_box(request), cookie),
        max_age=SESSION_DAYS * 86400,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def anonymous_csrf(request: Request) -> str:
    """The CSRF token of a page shown before sign-in (making the form cookie when there is none)."""
    if (cookie := session_cookie(request)) is not None:  # a session that may have ended: still its token
        return csrf_of(cookie.token)
    value = request.cookies.get(FORM_COOKIE) or getattr(request.state, "new_form_cookie", None)
    if not value:
        value = request.state.new_form_cookie = secrets.token_urlsafe(32)
    return csrf_of(value)


def form_cookie_to_set(request: Request) -> str | None:
    value: str | None = getattr(request.state, "new_form_cookie", None)
    return value


def remember_form_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(FORM_COOKIE, value, path="/", secure=_secure(request), httponly=True, samesite="lax")


def _expected_csrf(request: Request) -> str | None:
    if (cookie := session_cookie(request)) is not None:
        return csrf_of(cookie.token)
    form_cookie = request.cookies.get(FORM_COOKIE)
    return csrf_of(form_cookie) if form_cookie else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _from_another_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False  # an older browser or a script: the token decides
    public_url: str = request.app.state.runtime.settings.public_url
    return origin.lower() not in {_origin(str(request.base_url)), _origin(public_url)}


async def check_csrf(request: Request) -> None:
    """Every POST, PUT, PATCH and DELETE of the pages: from this site, with this session's token."""
    if request.method in SAFE_METHODS:
        return
    refused = PageError(
        403,
        "This form could not be sent",
        "It was sent from another site, or the page was too old. Go back, reload the page and try again.",
    )
    if _from_another_site(request):
        raise refused
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    expected = _expected_csrf(request)
    if not sent or expected is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise refused


async def signed_in(request: Request, db: Db) -> SignedIn:
    """The person this request's session cookie signs in, or SignInRequired."""
    cookie = session_cookie(request)
    if cookie is None:
        raise SignInRequired
    try:
        caller = await caller_for(db, cookie.token, cookie.workspace_id)
    except HTTPException:
        try:  # the chosen workspace may no longer be theirs: the session's own, then
            caller = await caller_for(db, cookie.token, None)
        except HTTPException:
            raise SignInRequired from None
    if caller.user_id is None:
        raise SignInRequired
    async with db.reader() as s:
        user = await s.get(User, caller.user_id)
        theirs = await visible(s, user_id=caller.user_id, token_workspace_id=caller.workspace_id)
    if user is None:
        raise SignInRequired
    here = next((w for w, _ in theirs if w.id == caller.workspace_id), None)
    me = SignedIn(
        user_id=user.id,
        email=user.email,
        name=user.name,
        workspace_id=caller.workspace_id,
        workspace_name=here.name if here else "",
        workspace_slug=here.slug if here else "",
        role=caller.role,
        caller=caller,
        csrf=csrf_of(cookie.token),
        workspaces=tuple(WorkspaceChoice(w.id, w.name, role) for w, role in theirs),
    )
    request.state.signed_in = me
    return me


def signed_in_now(request: Request) -> SignedIn | None:
    """Who `signed_in` found for this request, if a dependency asked (None on the sign-in pages)."""
    me: SignedIn | None = getattr(request.state, "signed_in", None)
    return me


async def an_admin(me: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
    """An owner or an admin of the workspace: the API's own rule (admin.deps.require_admin)."""
    try:
        require_admin(me.caller)
    except HTTPException:
        raise forbidden() from None
    return me


CurrentPerson = Annotated[SignedIn, Depends(signed_in)]
CurrentAdmin = Annotated[SignedIn, Depends(an_admin)]
