"""The API reference pages, /docs (Swagger UI) and /redoc (ReDoc), from our own static files.

FastAPI's built-in pages load their scripts from a CDN and Google Fonts; these are the same pages
with every script, style and icon served from /static (admin/assets.py), so they work offline and
tell no third party who reads the docs. The app factory turns FastAPI's own off (docs_url=None,
redoc_url=None) and includes this router.
"""

from __future__ import annotations

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


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{SWAGGER_UI_JS}",
        swagger_css_url=f"{root}{SWAGGER_UI_CSS}",
        swagger_favicon_url=f"{root}{FAVICON}",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC_JS}",
        redoc_favicon_url=f"{root}{FAVICON}",
        with_google_fonts=False,
    )
