"""The baseline for the Telegram webhook benchmark: a bare aiogram 3 webhook bot.

aiohttp with aiogram's own `SimpleRequestHandler` (secret token checked, update parsed and fed to
the dispatcher in the background, the default), a message handler that does nothing, nothing
persisted. Run on uvloop like `frontdesk serve`.

    .venv/bin/python -m bench.aiogram_baseline --port 8081 --secret S
"""

from __future__ import annotations

import argparse

from aiogram import Bot, Dispatcher
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

TOKEN = "7000000001:AAFakeTokenForTheBenchmarkOnly_abcdefg"


def build_app(secret: str) -> web.Application:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def ignore(message: Message) -> None:
        return None

    bot = Bot(TOKEN)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(app, path="/webhook")
    setup_application(app, dispatcher, bot=bot)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(build_app(args.secret), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
