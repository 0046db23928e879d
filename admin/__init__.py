"""Accounts: sign-in, API tokens, workspaces and assistants, and who is calling (the `Caller`,
admin/deps.py). Their JSON API is mounted under /api/v1; other domains' routers are included by
the app factory (bot/app.py) and take the Caller from admin/deps.py.

Every route takes a `CurrentCaller`, so none can reach the database without first resolving who
is calling.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter


def build_router(runtime: Any) -> APIRouter:
    """The accounts' routers, and the routers still built with the running app (`runtime`, the
    app's Runtime; admin/ does not import it) until their domains include their own."""
    from admin.assistants.routes import router as assistants
    from admin.auth import service as auth_service
    from admin.auth.routes import router as auth
    from admin.context.routes import build_router as context
    from admin.conversations.routes import build_router as conversations
    from admin.deps import authenticator
    from admin.drafts.routes import build_router as drafts
    from admin.inbox.routes import build_router as inbox
    from admin.knowledge_base.routes import build_router as knowledge_base
    from admin.rules.routes import build_router as rules
    from admin.tokens.routes import router as tokens
    from admin.workspaces.routes import router as workspaces

    auth_service.warm_up()  # the first sign-in with an unknown email is not slower than the rest
    current_caller = authenticator(runtime)
    router = APIRouter()
    router.include_router(tokens)
    for accounts in (auth, workspaces, assistants):
        router.include_router(accounts)
    for build in (conversations, drafts, inbox, rules, context):
        router.include_router(build(runtime, current_caller))
    router.include_router(knowledge_base(runtime, current_caller))
    return router
