"""The instant fake OpenAI-compatible server, as a process: `python -m bench.fake_llm --port P`.

Serves tests.fakes.openai_server.FakeOpenAI.instant(text) (a fixed answer, nothing recorded; --delay
seconds before each answer, default none)
on 127.0.0.1 until terminated.
"""

from __future__ import annotations

import argparse

import uvicorn

from bench.common import DRAFT_JSON
from tests.fakes.openai_server import FakeOpenAI


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--text", default=DRAFT_JSON, help="The completion content every request gets.")
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds before each answer (default 0).")
    args = parser.parse_args()
    fake = FakeOpenAI.instant(args.text, delay=args.delay)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
