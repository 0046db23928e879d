"""The child side of core.files.isolate: limit this process, read the file from stdin, run the
parser, and write one JSON answer on stdout: {"ok": result}, {"refused": why, "status": n},
{"limit": "memory" | "depth"} or {"error": kind}. Run as `python -m core.files.child SPEC`; nothing
else should import it."""

from __future__ import annotations

import importlib
import json
import logging
import resource
import sys
from typing import Any


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _answer(spec: dict[str, Any], data: bytes) -> dict[str, Any]:
    from core.files import FileRefused

    try:
        module, _, name = spec["target"].partition(":")
        parser = getattr(importlib.import_module(module), name)
        return {"ok": parser(data, **spec["kwargs"])}
    except FileRefused as exc:
        return {"refused": str(exc), "status": exc.status}
    except MemoryError:
        return {"limit": "memory"}
    except RecursionError:
        return {"limit": "depth"}
    except Exception as exc:  # a parser's own error on a damaged file: the parent refuses it
        return {"error": type(exc).__name__}


def main() -> None:
    spec = json.loads(sys.argv[1])
    _limit(int(spec["memory_mb"]), int(spec["cpu_seconds"]))
    logging.basicConfig(level=logging.ERROR)  # parsers warn per broken object; the parent keeps a tail
    data = sys.stdin.buffer.read()
    answer = _answer(spec, data)
    del data
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
