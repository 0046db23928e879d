"""The API reference pages, /docs (Swagger UI) and /redoc (ReDoc), from our own static files.

FastAPI's built-in pages load their scripts from a CDN and Google Fonts; these are the same pages
with every script, style and icon served from /static (admin/assets.py), so they work offline and
tell no third party who reads the docs. Their Content-Security-Policy holds the browser to that:
ReDoc 2's sidebar asks cdn.redoc.ly for its logo (no option turns it off), and the policy refuses it
before any request is made. The app factory turns FastAPI's own pages off (docs_url=None,
redoc_url=None) and includes this router.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from admin.assets import FAVICON, REDOC_JS, SWAGGER_UI_CSS, SWAGGER_UI_JS

router = APIRouter(include_in_schema=False)

OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Swagger UI's validator badge would send the schema's URL to validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def _root(request: Request) -> str:
    """The path the app is mounted under behind a proxy ('' when it is not), as FastAPI's pages use."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _our_page(page: HTMLResponse) -> HTMLResponse:
    """FastAPI's page with <html lang> (without it a screen reader has to guess how to speak it) and
    a policy that lets it load only from this server, and run only its own inline scripts."""
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    inline = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {inline}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; frame-ancestors 'self'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{SWAGGER_UI_JS}",
        swagger_css_url=f"{root}{SWAGGER_UI_CSS}",
        swagger_favicon_url=f"{root}{FAVICON}",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )
    return _our_page(page)


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return _our_page(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    page = get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC_JS}",
        redoc_favicon_url=f"{root}{FAVICON}",
        with_google_fonts=False,
    )
    return _our_page(page)
