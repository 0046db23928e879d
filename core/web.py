"""FastAPI dependencies for what a route needs from the running app.

The app factory (bot/app.py) leaves the Runtime on `app.state.runtime`. A route takes the part it
needs through `Db`, `WakeupBell`, `Box` or a dependency of its own domain built with `part`, so route
handlers are plain module-level functions, and no package below bot/ imports the runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from core.crypto import SecretBox
from core.db import Database
from core.wakeup import Wakeup


def part(name: str) -> Callable[[Request], Any]:
    """A dependency answering one attribute of the running app's Runtime (`part("knowledge")`)."""

    def dependency(request: Request) -> Any:
        return getattr(request.app.state.runtime, name)

    dependency.__name__ = f"runtime_{name}"
    return dependency


Db = Annotated[Database, Depends(part("db"))]
WakeupBell = Annotated[Wakeup, Depends(part("wakeup"))]
Box = Annotated[SecretBox, Depends(part("box"))]  # seals and opens stored secrets
