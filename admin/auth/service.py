"""Accounts: registering, checking passwords, issuing and revoking session tokens.

Passwords are hashed with argon2 off the event loop (it is deliberately slow). A login for an
unknown email still verifies against a dummy hash, so timing does not tell which emails exist.
Every password check goes through `check_login`, which throttles it (admin.auth.throttle).
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import strength, throttle
from admin.common import Role
from admin.workspaces.service import create_owned, issue_session, membership_for
from core.db import Database
from core.messages import utcnow
from core.models import ApiToken, User, Workspace

_hasher = PasswordHasher()


class EmailTaken(ValueError):
    pass


class BadCredentials(ValueError):
    pass


class NoWorkspace(LookupError):
    pass


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("frontdesk: a password nobody has")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def warm_up() -> None:
    """Compute the dummy hash at start-up, so the first login with an unknown email is not slower."""
    _dummy_hash()
    strength.warm_up()


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def _user_by_email(s: AsyncSession, email: str) -> User | None:
    return (await s.execute(select(User).where(func.lower(User.email) == normalize_email(email)))).scalars().first()


async def register(
    db: Database, *, email: str, password: str, name: str, workspace_name: str
) -> tuple[User, Workspace, str]:
    """Raises WeakPassword before anything else is looked at."""
    await strength.check_strength(password, user_inputs=(email, name, workspace_name))
    password_hash = await hash_password(password)  # before the transaction: it holds no lock meanwhile
    try:
        async with db.session() as s:
            if await _user_by_email(s, email) is not None:
                raise EmailTaken(email)
            user = User(email=normalize_email(email), name=name, password_hash=password_hash)
            s.add(user)
            await s.flush()
            workspace, token = await create_owned(s, owner=user, name=workspace_name)
    except IntegrityError as exc:  # a concurrent registration with the same email won the race
        raise EmailTaken(email) from exc
    return user, workspace, token


async def check_login(db: Database, *, email: str, password: str, address: str) -> User:
    """The user this email and password belong to, through the sign-in throttle.

    Every face that checks a password calls this: the API's login, a password change, and the web
    sign-in page. Raises LoginThrottled (answer 429 with its Retry-After) before any password is
    looked at, or BadCredentials, the same for an unknown email as for a wrong password.
    """
    attempt = await throttle.admit(db, email=email, address=address)
    async with db.reader() as s:
        user = await _user_by_email(s, email)
    right = await verify_password(user.password_hash if user else None, password) and user is not None
    await throttle.settle(db, attempt=attempt, succeeded=right)
    if not right or user is None:
        raise BadCredentials("wrong email or password")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        new_hash = await hash_password(password)  # outside the transaction: it holds no lock meanwhile
        async with db.session() as s:
            await s.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
    return user


async def login(
    db: Database, *, email: str, password: str, workspace_ref: str | None, address: str
) -> tuple[User, Workspace, Role, str]:
    user = await check_login(db, email=email, password=password, address=address)
    async with db.session() as s:
        found = await membership_for(s, user_id=user.id, ref=workspace_ref)
        if found is None:
            raise NoWorkspace("workspace not found" if workspace_ref else "you belong to no workspace")
        workspace, role = found
        token = await issue_session(s, workspace_id=workspace.id, user_id=user.id)
    return user, workspace, role, token


async def change_password(
    db: Database, *, user_id: str, current_password: str, new_password: str, address: str, keep_token_id: str
) -> None:
    """Set a new password and sign out every other session of this user (a stolen one included).

    Raises WeakPassword, then (through check_login) LoginThrottled or BadCredentials.
    """
    async with db.reader() as s:
        user = await s.get(User, user_id)
    if user is None:
        raise BadCredentials("wrong email or password")
    await strength.check_strength(new_password, user_inputs=(user.email, user.name))
    await check_login(db, email=user.email, password=current_password, address=address)
    new_hash = await hash_password(new_password)
    async with db.session() as s:
        await s.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        await s.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.id != keep_token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


async def revoke(db: Database, *, token_id: str) -> None:
    async with db.session() as s:
        await s.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
