"""The web admin's pages: one Jinja2 environment, `render`, the shell's error pages, and the router
every domain's pages are built on.

Templates live beside their domain: `<package>/templates/`, named `<package>/<file>` ("admin/base.html",
"staff/inbox.html"); the app factory passes the list of packages with pages to `install`. A page
extends "admin/base.html", the shell: header with the workspace and its switcher, the nav, sign-out,
a main landmark and a skip link.

Every page carries a strict Content-Security-Policy: files from this server only, no inline script
or style (htmx takes its configuration from a meta tag and adds no style of its own).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from admin.assets import HTMX_JS, PICO_CSS, STATIC_URL
from admin.web.errors import PageError, SignInRequired, not_found
from admin.web.session import (
    anonymous_csrf,
    check_csrf,
    form_cookie_to_set,
    remember_form_cookie,
    signed_in_now,
)

PRODUCT = "frontdesk"
ADMIN_CSS = f"{STATIC_URL}/css/admin.css"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show a workspace's data: never kept by a shared cache
}


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    admins_only: bool = False  # owners and admins (admin.roles.may_configure)


# The shell's nav; a domain's new top-level page adds its link here.
NAV: tuple[NavLink, ...] = (
    NavLink("Inbox", "/inbox"),
    NavLink("Getting started", "/getting-started", admins_only=True),
    NavLink("Assistants", "/assistants", admins_only=True),
    NavLink("Knowledge", "/knowledge", admins_only=True),
    NavLink("Channels", "/channels", admins_only=True),
    NavLink("Business", "/settings/business", admins_only=True),
    NavLink("Rules", "/rules", admins_only=True),
    NavLink("Context", "/context", admins_only=True),
    NavLink("Team", "/team", admins_only=True),
    NavLink("Audit log", "/audit", admins_only=True),
    NavLink("Access", "/tokens"),
)


def page_router() -> APIRouter:
    """A router for a domain's pages: out of the API's schema, and every POST, PUT, PATCH or DELETE
    through `check_csrf` (its token, and not from another site)."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def environment(packages: Sequence[str]) -> Environment:
    """Templates from each package's `templates/` folder, named `<package>/<file>`."""
    loaders = {}
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"{package} is not a package")
        loaders[package] = FileSystemLoader(Path(next(iter(spec.submodule_search_locations))) / "templates")
    return Environment(
        loader=PrefixLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The template as a page, with what the shell needs: who is signed in (None on the sign-in
    pages), the CSRF token for forms and htmx, the nav, and the static files' URLs."""
    env: Environment = request.app.state.templates
    me = signed_in_now(request)
    shell = {
        "request": request,
        "product": PRODUCT,
        "me": me,
        "csrf": me.csrf if me else anonymous_csrf(request),
        "nav": [link for link in NAV if me and (me.is_admin or not link.admins_only)],
        "current_path": request.url.path,
        "pico_css": PICO_CSS,
        "admin_css": ADMIN_CSS,
        "htmx_js": HTMX_JS,
    }
    html = env.get_template(template).render({**shell, **context})
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if me is None and (cookie := form_cookie_to_set(request)) is not None:
        remember_form_cookie(request, response, cookie)
    return response


def see_other(url: str) -> RedirectResponse:
    """After a form's POST: the browser GETs the next page (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def install(app: FastAPI, packages: Sequence[str]) -> None:
    """The pages' templates and error pages on the app. Errors outside the pages (the JSON API, a
    client that does not ask for HTML) keep FastAPI's JSON answers."""
    app.state.templates = environment(packages)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return render(request, "admin/error.html", status=exc.status, title=exc.title, message=exc.message)

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            target = f"/login?next={request.url.path}"
        if request.headers.get("HX-Request"):  # htmx follows this header, not a redirect
            return Response(status_code=204, headers={"HX-Redirect": target})
        return see_other(target)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
        if wants_page and exc.status_code == 404:
            return await page_error(request, not_found())
        if wants_page and exc.status_code == 405:
            return await page_error(request, PageError(405, "Not here", "This address does not take that request."))
        return await http_exception_handler(request, exc)

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(StarletteHTTPException, http_error)
