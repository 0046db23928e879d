"""The shell's own pages: `/`, sign-in, registration, sign-out and the workspace switch.

Signing in and registering call the same service as the API's `/auth/login` and `/auth/register`
(admin.auth.service), through the same throttle, with the same answer for an email nobody has.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.auth import service
from admin.auth.routes import client_address
from admin.auth.schemas import RegisterCreate
from admin.auth.strength import WeakPassword
from admin.auth.throttle import LoginThrottled
from admin.web.errors import PageError, SignInRequired
from admin.web.pages import page_router, render, see_other
from admin.web.session import Cookie, CurrentPerson, end_session, session_cookie, signed_in, start_session
from admin.workspaces.service import membership_for
from core.web import Db

router = page_router()

HOME = "/inbox"
MAX_FIELD = 1000  # longer than any field of these forms may be; the schemas say exactly


async def fields(request: Request, *names: str) -> dict[str, str]:
    """The form's text fields by name ("" when missing), each cut to MAX_FIELD."""
    form = await request.form()
    return {name: value[:MAX_FIELD] if isinstance(value := form.get(name), str) else "" for name in names}


def next_page(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site's address."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return HOME


@router.get("/")
async def home(request: Request, db: Db) -> Response:
    try:
        await signed_in(request, db)
    except SignInRequired:
        return see_other("/login")
    return see_other(HOME)


@router.get("/login")
async def login_page(request: Request, db: Db) -> Response:
    try:
        await signed_in(request, db)
        return see_other(next_page(request.query_params.get("next")))
    except SignInRequired:
        pass
    return render(request, "admin/login.html", email="", error=None, next=next_page(request.query_params.get("next")))


@router.post("/login")
async def login(request: Request, db: Db) -> Response:
    form = await fields(request, "email", "password", "next")

    def again(status: int, error: str, **headers: str) -> Response:
        page = render(request, "admin/login.html", status=status, email=form["email"], error=error, next=form["next"])
        page.headers.update(headers)
        return page

    if not form["email"].strip() or not form["password"]:
        return again(422, "Enter your email and your password.")
    try:
        _user, workspace, _role, token = await service.login(
            db, email=form["email"], password=form["password"], workspace_ref=None, address=client_address(request)
        )
    except LoginThrottled as exc:
        message = f"Too many sign-in attempts. Try again in {_after(exc)}."
        return again(429, message, **{"Retry-After": str(exc.seconds)})
    except service.BadCredentials:
        return again(401, "Wrong email or password.")
    except service.NoWorkspace:
        return again(403, "You belong to no workspace any more. Ask an owner to add you again.")
    response = see_other(next_page(form["next"]))
    start_session(request, response, Cookie(token, workspace.id))
    return response


def _after(exc: LoginThrottled) -> str:
    return str(exc).rsplit("try again in ", 1)[-1]


@router.get("/register")
async def register_page(request: Request) -> Response:
    return render(request, "admin/register.html", form={}, errors={})


# The registration form's fields, as RegisterCreate names them, and what to say when one is wrong.
REGISTER_PROBLEMS = {
    "name": "Enter your name (up to 200 characters).",
    "email": "Enter your email address, like name@example.com.",
    "workspace_name": "Enter your business's name (up to 200 characters).",
    "password": "Use 10 to 256 characters.",
}


@router.post("/register")
async def register(request: Request, db: Db) -> Response:
    form = await fields(request, "name", "email", "workspace_name", "password")

    def again(status: int, errors: dict[str, str], **headers: str) -> Response:
        shown = {k: v for k, v in form.items() if k != "password"}
        page = render(request, "admin/register.html", status=status, form=shown, errors=errors)
        page.headers.update(headers)
        return page

    try:
        body = RegisterCreate.model_validate(form)
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        return again(422, {name: REGISTER_PROBLEMS[name] for name in REGISTER_PROBLEMS if name in wrong})
    try:
        _user, workspace, _role, token = await service.register(
            db,
            email=body.email,
            password=body.password,
            name=body.name.strip(),
            workspace_name=body.workspace_name,
            address=client_address(request),
        )
    except WeakPassword as exc:
        return again(422, {"password": str(exc)})
    except LoginThrottled as exc:
        message = f"Too many attempts for this email. Try again in {_after(exc)}."
        return again(429, {"form": message}, **{"Retry-After": str(exc.seconds)})
    response = see_other(HOME)
    start_session(request, response, Cookie(token, workspace.id))
    return response


@router.post("/logout")
async def logout(request: Request, db: Db) -> Response:
    """Revoke the session's token (so the cookie opens nothing, wherever a copy of it is), then forget it."""
    cookie = session_cookie(request)
    if cookie is not None:
        try:
            me = await signed_in(request, db)
            await service.revoke(db, token_id=me.caller.token_id)
        except SignInRequired:
            pass  # already ended
    response = see_other("/login")
    end_session(response)
    return response


@router.post("/workspace")
async def switch_workspace(request: Request, db: Db, me: CurrentPerson) -> Response:
    """Look at another workspace of yours (the switcher in the header)."""
    wanted = (await fields(request, "workspace"))["workspace"]
    async with db.reader() as s:
        found = await membership_for(s, user_id=me.user_id, ref=wanted) if wanted else None
    if found is None:
        raise PageError(403, "Not your workspace", "You can only switch to a workspace you belong to.")
    cookie = session_cookie(request)
    assert cookie is not None  # signed_in found it
    response = see_other(HOME)
    start_session(request, response, Cookie(cookie.token, found[0].id))
    return response
