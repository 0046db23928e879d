"""Accounts: registering, checking passwords, issuing and revoking session tokens.

Passwords are hashed with argon2 off the event loop (it is deliberately slow). A login for an
unknown email still verifies against a dummy hash, so timing does not tell which emails exist.
Every password check is throttled (admin.auth.throttle), registration's included: with a taken
email it is a password guess like any other.
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
from admin.common import Role, safe_slug
from admin.workspaces.service import create_owned, issue_session, membership_for
from core.crypto import new_token
from core.db import Database
from core.messages import utcnow
from core.models import ApiToken, Membership, User, Workspace, new_id
from core.workspaces import slugify, unique_slug

_hasher = PasswordHasher()


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


Session = tuple[User, Workspace, Role, str]


async def register(db: Database, *, email: str, password: str, name: str, workspace_name: str, address: str) -> Session:
    """A new account, its first workspace and a session, with an answer that never tells whether
    the email was free (registration would otherwise list who has an account here):

    - a free email: the account, as asked;
    - a taken email with its own password: a session in that account's first workspace, and nothing
      created, so a retried registration is harmless;
    - a taken email with another password: an answer of the same shape whose token opens nothing.
      Nothing is created, and it counts as a failed sign-in for the throttle: only its token's
      refusal tells, and that costs the asker a throttled attempt each time.

    Raises WeakPassword (before anything is looked at), then LoginThrottled.
    """
    await strength.check_strength(password, user_inputs=(email, name, workspace_name))
    password_hash = await hash_password(password)  # before any transaction: it holds no lock meanwhile
    attempt = await throttle.admit(db, email=email, address=address)
    async with db.reader() as s:
        user = await _user_by_email(s, email)
    # Verified either way (against the dummy hash when free), so both paths do the same slow work.
    right = await verify_password(user.password_hash if user else None, password) and user is not None
    session: Session | None = None
    if user is None:
        session = await _new_account(
            db, email=email, name=name, workspace_name=workspace_name, password_hash=password_hash
        )
    elif right:
        session = await _sign_in(db, user=user, workspace_name=workspace_name)
    await throttle.settle(db, attempt=attempt, succeeded=session is not None)
    return session or await _unusable_session(db, email=email, name=name, workspace_name=workspace_name)


async def _new_account(
    db: Database, *, email: str, name: str, workspace_name: str, password_hash: str
) -> Session | None:
    """None when a concurrent registration took the email first. A concurrent one that took the
    same workspace slug is not a reason to refuse: the next try picks the next free slug (each
    round of a race lets at least one through, so a few tries cover any real burst)."""
    for _ in range(10):
        try:
            async with db.session() as s:
                user = User(email=normalize_email(email), name=name, password_hash=password_hash)
                s.add(user)
                await s.flush()
                workspace, token = await create_owned(s, owner=user, name=workspace_name)
            return user, workspace, "owner", token
        except IntegrityError:
            async with db.reader() as s:
                if await _user_by_email(s, email) is not None:
                    return None
    return None


async def _sign_in(db: Database, *, user: User, workspace_name: str) -> Session:
    async with db.session() as s:
        found = await membership_for(s, user_id=user.id, ref=None)
        if found is None:  # they belong nowhere any more: the workspace they ask for is theirs to make
            workspace, token = await create_owned(s, owner=user, name=workspace_name)
            return user, workspace, "owner", token
        workspace, role = found
        return user, workspace, role, await issue_session(s, workspace_id=workspace.id, user_id=user.id)


async def _unusable_session(db: Database, *, email: str, name: str, workspace_name: str) -> Session:
    """What a new account's answer would hold, stored nowhere: the token is refused like any unknown one."""
    now = utcnow()
    async with db.reader() as s:  # the slug the account would have had
        slug = await unique_slug(s, Workspace, slugify(safe_slug(slugify(workspace_name))))
    user = User(id=new_id(), email=normalize_email(email), name=name, created_at=now)
    workspace = Workspace(id=new_id(), slug=slug, name=workspace_name.strip(), timezone="UTC", created_at=now)
    return user, workspace, "owner", new_token()


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


async def login(db: Database, *, email: str, password: str, workspace_ref: str | None, address: str) -> Session:
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


MIN_PASSWORD, MAX_PASSWORD = 10, 256  # as the API's bodies (admin.auth.schemas) take them


class NotResettable(LookupError):
    """This password is not one the asker may set (the message says why, in words for the page)."""


async def reset_password(db: Database, *, workspace_id: str | None, user_id: str, new_password: str) -> User:
    """Set a staff member's password for them, and sign out every session and token of theirs.

    `workspace_id` is the owner's workspace, from the team page: the person must be staff there
    (an owner changes their own password, knowing the current one) and belong to no other
    workspace, since an account reaches all of its workspaces and this owner speaks for one.
    None is the server's operator (`frontdesk user reset-password`), who may reset anyone.
    Raises NotResettable, then WeakPassword.
    """
    async with db.reader() as s:
        user = await s.get(User, user_id)
        roles = dict(
            (await s.execute(select(Membership.workspace_id, Membership.role).where(Membership.user_id == user_id)))
            .tuples()
            .all()
        )
    if user is None or (workspace_id is not None and workspace_id not in roles):
        raise NotResettable("no such person in this workspace")
    if workspace_id is not None and roles[workspace_id] == "owner":
        raise NotResettable("an owner changes their own password, with the current one")
    if workspace_id is not None and len(roles) > 1:
        raise NotResettable(
            "they belong to other workspaces too: they can change their password themselves, "
            "or the server's operator can reset it with `frontdesk user reset-password`"
        )
    await strength.check_strength(new_password, user_inputs=(user.email, user.name))
    new_hash = await hash_password(new_password)
    async with db.session() as s:
        await s.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        await s.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    return user


async def add_owner(db: Database, *, workspace_id: str, email: str, name: str, password: str) -> User | None:
    """A new account that owns an existing workspace (the demo's owner), hashed and joined as
    registration does; None, with nothing changed, when the email already has an account.

    Raises WeakPassword (before anything is looked at)."""
    await strength.check_strength(password, user_inputs=(email, name))
    password_hash = await hash_password(password)  # before the transaction: it holds no lock meanwhile
    try:
        async with db.session() as s:
            if await _user_by_email(s, email) is not None:
                return None
            user = User(email=normalize_email(email), name=name, password_hash=password_hash)
            s.add(user)
            await s.flush()
            s.add(Membership(workspace_id=workspace_id, user_id=user.id, role="owner"))
        return user
    except IntegrityError:  # a concurrent add took the email first
        return None
