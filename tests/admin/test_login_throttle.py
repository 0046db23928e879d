"""Sign-in throttling: wrong passwords slow down, then lock, per email and per client address, with
the same answers for an email nobody has, and the same counts in every web process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from admin.auth.models import LoginThrottle
from admin.auth.throttle import ADDRESS, EMAIL
from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.messages import utcnow
from tests.admin.conftest import API, PASSWORD, register


@asynccontextmanager
async def app_client(runtime: Runtime, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, as if the connection came from `address`."""
    transport = httpx.ASGITransport(app=create_app(runtime, worker=False), client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def login(client: httpx.AsyncClient, email: str, password: str, **headers: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": password}, headers=headers)


async def let_short_waits_pass(runtime: Runtime) -> None:
    """The clock moves past every slow-down wait, but not past a lock."""
    now = utcnow()
    async with runtime.db.session() as s:
        await s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.locked_until < now + EMAIL.max_delay + timedelta(seconds=5))
            .values(locked_until=now - timedelta(seconds=1))
        )


async def let_everything_expire(runtime: Runtime) -> None:
    """The clock moves past every window and lock."""
    past = utcnow() - timedelta(seconds=1)
    async with runtime.db.session() as s:
        await s.execute(update(LoginThrottle).values(locked_until=past, expires_at=past))


def answer(r: httpx.Response) -> tuple[int, Any, str | None]:
    return r.status_code, r.json(), r.headers.get("retry-after")


async def test_wrong_passwords_slow_down_then_lock_even_the_right_password(runtime: Runtime) -> None:
    async with app_client(runtime) as client:
        email = (await register(client))["user"]["email"]
        for i in range(EMAIL.slow_after):
            assert (await login(client, email, f"wrong guess {i}")).status_code == 401
        # Slowed down: the next attempt must wait a second, whatever the password.
        r = await login(client, email, PASSWORD)
        assert answer(r) == (429, {"detail": "too many sign-in attempts; try again in 1 second"}, "1")
        await let_short_waits_pass(runtime)
        assert (await login(client, email, "wrong guess 3")).status_code == 401
        assert (await login(client, email, PASSWORD)).headers["retry-after"] == "2"
        await let_short_waits_pass(runtime)
        assert (await login(client, email, "wrong guess 4")).status_code == 401

        # Five failures: locked for 15 minutes, the right password included.
        for _ in range(2):
            r = await login(client, email, PASSWORD)
            assert r.status_code == 429 and r.json() == {"detail": "too many sign-in attempts; try again in 15 minutes"}
            assert 890 <= int(r.headers["retry-after"]) <= 900
            await let_short_waits_pass(runtime)  # a lock is not a short wait

        await let_everything_expire(runtime)
        assert (await login(client, email, PASSWORD)).status_code == 200
        # The right password cleared this email's failures: two free tries again.
        assert [(await login(client, email, "wrong")).status_code for _ in range(3)] == [401, 401, 401]


async def test_an_email_nobody_has_gets_the_same_answers(runtime: Runtime) -> None:
    async def answers(client: httpx.AsyncClient, email: str) -> list[tuple[int, Any, str | None]]:
        seen = []
        for i in range(EMAIL.lock_after - 1):
            seen.append(answer(await login(client, email, f"wrong guess {i}")))
            seen.append(answer(await login(client, email, f"another guess {i}")))  # at once: slowed down?
            await let_short_waits_pass(runtime)
        seen.append(answer(await login(client, email, PASSWORD)))
        return seen

    async with app_client(runtime, "198.51.100.1") as known, app_client(runtime, "198.51.100.2") as unknown:
        email = (await register(known))["user"]["email"]
        seen_known = await answers(known, email)
        seen_unknown = await answers(unknown, "nobody-" + email)
    assert [a[0] for a in seen_known] == [401, 401, 401, 429, 401, 429, 401, 429, 429]
    # Bodies and waits alike (a wait may differ by the second that passed between two checks).
    assert [a[:2] for a in seen_known] == [a[:2] for a in seen_unknown]
    for (_, _, wait_known), (_, _, wait_unknown) in zip(seen_known, seen_unknown, strict=True):
        assert (wait_known is None) == (wait_unknown is None)
        assert wait_known is None or abs(int(wait_known) - int(wait_unknown or 0)) <= 1


async def test_a_burst_of_parallel_guesses_gets_no_more_tries(runtime: Runtime) -> None:
    async with app_client(runtime) as client:
        email = (await register(client))["user"]["email"]
        codes = await asyncio.gather(*(login(client, email, f"guess {i}") for i in range(20)))
    statuses = [r.status_code for r in codes]
    # Each attempt is counted before its password is checked, so parallel ones cannot all slip in.
    assert statuses.count(401) <= EMAIL.lock_after and statuses.count(429) >= 20 - EMAIL.lock_after, statuses


async def test_every_web_process_counts_the_same_attempts(settings: Settings) -> None:
    first, second = Runtime.build(settings), Runtime.build(settings)
    try:
        async with app_client(first) as one, app_client(second) as other:
            email = (await register(one))["user"]["email"]
            for i in range(EMAIL.lock_after):
                assert (await login((one, other)[i % 2], email, f"wrong {i}")).status_code == 401
                await let_short_waits_pass(first)
            assert (await login(one, email, PASSWORD)).status_code == 429
            assert (await login(other, email, PASSWORD)).status_code == 429
    finally:
        await first.close()
        await second.close()


async def test_one_address_trying_many_emails_is_locked_out(runtime: Runtime) -> None:
    async with app_client(runtime) as client, app_client(runtime, "198.51.100.7") as elsewhere:
        owner = (await register(client))["user"]["email"]
        for i in range(ADDRESS.lock_after):  # one guess per email: the email counter never notices
            assert (await login(client, f"someone-{i}@example.com", "Summer2024!")).status_code == 401
            await let_short_waits_pass(runtime)
        r = await login(client, "someone-else@example.com", "Summer2024!")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 60
        # The lock is on the address: the owner signing in from elsewhere is not held up by it.
        assert (await login(elsewhere, owner, PASSWORD)).status_code == 200
        # Without a trusted proxy, a forwarded header does not make a new address.
        assert (await login(client, owner, PASSWORD, **{"X-Forwarded-For": "203.0.113.5"})).status_code == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_is_counted(settings: Settings) -> None:
    runtime = Runtime.build(settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]}))
    try:
        async with app_client(runtime) as proxy:
            owner = (await register(proxy))["user"]["email"]
            attacker = {"X-Forwarded-For": "203.0.113.66"}
            for i in range(ADDRESS.lock_after):
                assert (await login(proxy, f"someone-{i}@example.com", "Summer2024!", **attacker)).status_code == 401
                await let_short_waits_pass(runtime)
            assert (await login(proxy, owner, PASSWORD, **attacker)).status_code == 429
            # Everyone else behind the same proxy still signs in.
            assert (await login(proxy, owner, PASSWORD, **{"X-Forwarded-For": "198.51.100.20"})).status_code == 200
    finally:
        await runtime.close()
