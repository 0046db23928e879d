"""Parsers for the isolation tests: each does to its child what a hostile file does to a parser."""

from __future__ import annotations

import os

from core.files import FileRefused


def words(data: bytes, *, upper: bool = False) -> list[str]:
    text = data.decode()
    return (text.upper() if upper else text).split()


def refuse(data: bytes) -> None:
    raise FileRefused(f"no thanks ({len(data)} bytes)", 415)


def swell(data: bytes) -> int:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB, far past any limit
    return len(hoard)


def spin(data: bytes) -> None:
    while True:
        pass


def environment(data: bytes) -> list[str]:
    return sorted(os.environ)


def crash(data: bytes) -> None:
    os.abort()


def stumble(data: bytes) -> None:
    raise KeyError("word/document.xml")
