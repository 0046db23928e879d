"""/auth: register, log in and out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from admin.auth import service
from admin.auth.schemas import (
    LoginCreate,
    PasswordUpdate,
    ProfilePublic,
    RegisterCreate,
    SessionPublic,
    UserPublic,
)
from admin.auth.strength import WeakPassword
from admin.auth.throttle import LoginThrottled
from admin.common import not_found
from admin.deps import CurrentCaller, require_user, unauthorized
from admin.workspaces.schemas import WorkspacePublic
from core.models import User, Workspace
from core.web import Db

# The app factory's admin router (admin/__init__.py) calls service.warm_up() when the app is built.
router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=201,
    response_model=SessionPublic,
    summary="Create an account and its first workspace",
    description="The answer is the same whether or not the email already has an account, so it "
    "cannot be used to find out who has one. With a taken email and its right password it is a "
    "session in that account's first workspace (nothing is created); with another password its "
    "token is refused on first use: log in instead. Counts as a sign-in attempt for the throttle.",
    responses={429: {"description": "Too many attempts for this email or from this address; see Retry-After"}},
)
async def register(body: RegisterCreate, request: Request, db: Db) -> SessionPublic:
    try:
        user, workspace, role, token = await service.register(
            db,
            email=body.email,
            password=body.password,
            name=body.name.strip(),
            workspace_name=body.workspace_name,
            address=client_address(request),
        )
    except WeakPassword as exc:
        raise weak(exc, "password") from exc
    except LoginThrottled as exc:
        raise throttled(exc) from exc
    return SessionPublic(
        token=token,
        user=UserPublic.model_validate(user),
        workspace=WorkspacePublic.of(workspace, role),
        role=role,
    )


@router.post(
    "/login",
    response_model=SessionPublic,
    summary="Exchange email and password for a session",
    responses={429: {"description": "Too many attempts for this email or from this address; see Retry-After"}},
)
async def login(body: LoginCreate, request: Request, db: Db) -> SessionPublic:
    try:
        user, workspace, role, token = await service.login(
            db,
            email=body.email,
            password=body.password,
            workspace_ref=body.workspace,
            address=client_address(request),
        )
    except LoginThrottled as exc:
        raise throttled(exc) from exc
    except service.BadCredentials as exc:
        raise unauthorized(str(exc)) from exc
    except service.NoWorkspace as exc:
        raise HTTPException(404 if body.workspace else 403, str(exc)) from exc
    return SessionPublic(
        token=token, user=UserPublic.model_validate(user), workspace=WorkspacePublic.of(workspace, role), role=role
    )


@router.post("/logout", status_code=204, summary="Revoke the token this request carries")
async def logout(caller: CurrentCaller, db: Db) -> Response:
    await service.revoke(db, token_id=caller.token_id)
    return Response(status_code=204)


@router.post(
    "/password",
    status_code=204,
    summary="Change your password; every other session of yours is signed out",
    responses={429: {"description": "Too many wrong passwords; see Retry-After"}},
)
async def change_password(body: PasswordUpdate, request: Request, caller: CurrentCaller, db: Db) -> Response:
    user_id = require_user(caller)
    try:
        await service.change_password(
            db,
            user_id=user_id,
            current_password=body.current_password,
            new_password=body.new_password,
            address=client_address(request),
            keep_token_id=caller.token_id,
        )
    except WeakPassword as exc:
        raise weak(exc, "new_password") from exc
    except LoginThrottled as exc:
        raise throttled(exc) from exc
    except service.BadCredentials as exc:
        raise field_error("current_password", "wrong password", "wrong_password") from exc
    return Response(status_code=204)


@router.get("/profile", response_model=ProfilePublic, summary="Who this token acts as, and where")
async def profile(caller: CurrentCaller, db: Db) -> ProfilePublic:
    async with db.reader() as s:
        workspace = await s.get(Workspace, caller.workspace_id)
        user = await s.get(User, caller.user_id) if caller.user_id else None
    if workspace is None:
        raise not_found("workspace")
    return ProfilePublic(
        user=UserPublic.model_validate(user) if user else None,
        workspace=WorkspacePublic.of(workspace, caller.role),
        role=caller.role,
    )


def client_address(request: Request) -> str:
    """The client as the app sees it: behind a trusted proxy, the address it forwarded (bot.app)."""
    return request.client.host if request.client else "unknown"


def throttled(exc: LoginThrottled) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(exc.seconds)})


def field_error(field: str, message: str, kind: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, so a form shows it next to the field."""
    return HTTPException(422, [{"type": kind, "loc": ["body", field], "msg": message}])


def weak(exc: WeakPassword, field: str) -> HTTPException:
    return field_error(field, str(exc), "weak_password")
