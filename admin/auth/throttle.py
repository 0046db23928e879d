"""Sign-in throttling: slow down, then lock, per email and per client address.

Counters are rows (admin.auth.models), so every web process sees the same attempts. An attempt is
counted *before* its password is checked and forgiven when it turns out right: a burst of parallel
guesses cannot all slip in before the first failure is written. The email counter does not care
whether an account has that email, so neither the answer nor the lockout tells which emails exist.

After `slow_after` failures in a window the next attempt must wait (1 s, then 2 s, 4 s ... up to
`max_delay`); at `lock_after` the key is locked for `lock`. A refused attempt is not counted (the
lock does not grow while someone keeps knocking) and no password is looked at.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from admin.auth.models import LoginThrottle
from core.db import Database, insert_for
from core.messages import utcnow


@dataclass(frozen=True)
class Policy:
    slow_after: int
    lock_after: int
    window: timedelta
    lock: timedelta
    max_delay: timedelta = timedelta(seconds=30)

    def wait_after(self, failures: int) -> timedelta | None:
        """How long the next attempt must wait once this many attempts have failed."""
        if failures >= self.lock_after:
            return self.lock
        if failures >= self.slow_after:
            return min(timedelta(seconds=2 ** (failures - self.slow_after)), self.max_delay)
        return None


# One person mistyping gets two free tries, then short waits; five wrong in 15 minutes locks that
# email for 15 minutes (OWASP's usual numbers). An office or a phone carrier's NAT shares one
# address, so the address gets more room; it is what stops one client trying one password on many
# emails, which the email counter cannot see.
EMAIL = Policy(slow_after=3, lock_after=5, window=timedelta(minutes=15), lock=timedelta(minutes=15))
ADDRESS = Policy(slow_after=10, lock_after=30, window=timedelta(minutes=15), lock=timedelta(minutes=15))


class LoginThrottled(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many sign-in attempts; try again in {_spoken(retry_after)}")
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        """For Retry-After: whole seconds, at least one."""
        return max(1, math.ceil(self.retry_after.total_seconds()))


@dataclass(frozen=True)
class Attempt:
    """An admitted attempt: settle it with whether the password was right."""

    email_key: str
    address_key: str


def _spoken(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def email_key(email: str) -> str:
    return _hashed("email", email.strip().lower())


def address_key(address: str) -> str:
    """IPv6 clients are counted per /64: one subscriber usually has a whole /64 to rotate through."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _hashed("address", address)
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is None:
            return _hashed("address", str(ipaddress.IPv6Network((ip, 64), strict=False)))
        ip = mapped
    return _hashed("address", str(ip))


async def admit(db: Database, *, email: str, address: str, now: datetime | None = None) -> Attempt:
    """Count an attempt for this email and address, or raise LoginThrottled (nothing counted)."""
    now = now or utcnow()
    attempt = Attempt(email_key(email), address_key(address))
    policies = {attempt.email_key: EMAIL, attempt.address_key: ADDRESS}
    keys = sorted(policies)  # one lock order for every process: no deadlock between two attempts
    async with db.session() as s:
        fresh = [
            {"key": key, "failures": 0, "window_started_at": now, "expires_at": now + policies[key].window}
            for key in keys
        ]
        await s.execute(insert_for(s)(LoginThrottle).values(fresh).on_conflict_do_nothing(index_elements=["key"]))
        rows = (
            (await s.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).with_for_update()))
            .scalars()
            .all()
        )
        for row in rows:
            if row.expires_at <= now:  # the window is over and no lock is left: start again
                row.failures, row.window_started_at, row.locked_until = 0, now, None
        waits = [row.locked_until - now for row in rows if row.locked_until is not None and row.locked_until > now]
        if waits:
            raise LoginThrottled(max(waits))
        for row in rows:
            policy = policies[row.key]
            row.failures += 1
            wait = policy.wait_after(row.failures)
            if wait is not None:
                row.locked_until = now + wait
            row.expires_at = max(row.window_started_at + policy.window, row.locked_until or now)
    return attempt


async def settle(db: Database, *, attempt: Attempt, succeeded: bool, now: datetime | None = None) -> None:
    """A right password clears its email's failures and takes back its own count from the address
    (it does not forgive the address's other failures). A wrong one stays counted."""
    now = now or utcnow()
    async with db.session() as s:
        if succeeded:  # the address row first: the same lock order as admit ("address:" < "email:")
            await s.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == attempt.address_key, LoginThrottle.failures > 0)
                .values(failures=LoginThrottle.failures - 1)
            )
            await s.execute(delete(LoginThrottle).where(LoginThrottle.key == attempt.email_key))
        # Rows past their use; SKIP LOCKED (PostgreSQL) so this never waits on an attempt in flight.
        stale = select(LoginThrottle.key).where(LoginThrottle.expires_at <= now).limit(500)
        await s.execute(
            delete(LoginThrottle).where(
                LoginThrottle.key.in_(stale.with_for_update(skip_locked=True).scalar_subquery())
            )
        )
