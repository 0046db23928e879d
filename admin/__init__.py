"""Accounts: sign-in, API tokens, workspaces and assistants, and who is calling (the `Caller`,
admin/deps.py). Their JSON API is mounted under /api/v1; other domains' routers are included by
the app factory (bot/app.py) and take the Caller from admin/deps.py.

Every route takes a `CurrentCaller`, so none can reach the database without first resolving who
is calling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `frontdesk --help` imports this package to find admin.commands: no FastAPI here
    from fastapi import APIRouter


def build_router() -> APIRouter:
    """The accounts' routers: sign-in, tokens, workspaces, assistants and the team."""
    from fastapi import APIRouter

    from admin.assistants.routes import router as assistants
    from admin.auth import service as auth_service
    from admin.auth.routes import router as auth
    from admin.team.routes import router as team
    from admin.tokens.routes import router as tokens
    from admin.workspaces.routes import router as workspaces

    auth_service.warm_up()  # the first sign-in with an unknown email is not slower than the rest
    router = APIRouter()
    for accounts in (auth, tokens, workspaces, assistants, team):
        router.include_router(accounts)
    return router
