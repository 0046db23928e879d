"""The staff tests use the admin's helpers (accounts, tenants with real traffic), the CLI runner, and
understanding's clock (rules and understanding both read it)."""

from __future__ import annotations

from tests.admin.conftest import _fast_password_hashing
from tests.bot.conftest import cli
from tests.understanding.conftest import clock

__all__ = ["_fast_password_hashing", "cli", "clock"]
