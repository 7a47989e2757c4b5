"""The HTTP side: the aiohttp application, its runner, and a standalone server."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from . import control
from .api import handle_bot_request
from .state import World
from .webhook import stop_all

if TYPE_CHECKING:
    from .fake import FakeTelegram


def build_app(tg: FakeTelegram) -> web.Application:
    world = tg.world

    async def bot_method(request: web.Request) -> web.Response:
        return await handle_bot_request(world, request)

    async def download(request: web.Request) -> web.Response:
        if world.bot(request.match_info["token"]) is None:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = world.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data)

    # Telegram accepts uploads up to 50 MB.
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", bot_method)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    control.add_routes(app, tg)
    return app


class HttpServer:
    def __init__(self, app: web.Application) -> None:
        # A short shutdown grace: long polls are already woken up by then.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        self.url: str | None = None

    async def start(self, host: str, port: int) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self, world: World) -> None:
        await stop_all(world)
        await self._runner.cleanup()
        self.url = None


async def serve_forever(
    host: str, port: int, *, token: str, desk_title: str = "Support desk"
) -> None:
    """Run a fake Telegram with one bot and one forum supergroup until cancelled."""
    # Imported here because the FakeTelegram facade itself builds on this module.
    from .fake import FakeTelegram

    tg = FakeTelegram()
    tg.add_bot(token)
    desk = tg.add_supergroup(desk_title)
    url = await tg.start(host, port)
    print(_banner(url, token, desk), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await tg.stop()


def _banner(url: str, token: str, desk: int) -> str:
    return f"""fake Telegram Bot API at {url}
  bot token        {token}
  desk chat id     {desk}

point the bot at it:
  VEIL_TELEGRAM_API_URL={url} VEIL_BOT_TOKEN={token} VEIL_DESK_CHAT_ID={desk} veil run

drive it:
  curl -s -X POST {url}/_control/users -d '{{"first_name": "Alice"}}'
  curl -s -X POST {url}/_control/send -d '{{"user_id": ID, "chat_id": ID, "text": "/start"}}'
  curl -s -X POST {url}/_control/members -d '{{"chat_id": {desk}, "user_id": ID}}'
  curl -s '{url}/_control/messages?chat_id={desk}'
  curl -s '{url}/_control/calls?since=0'

make it misbehave (null switches off):
  curl -s -X POST {url}/_control/limits -d '{{}}'
  curl -s -X POST {url}/_control/chaos -d '{{"too_many": 0.1, "dropped": 0.01, "seed": 1}}'
  curl -s {url}/_control/chaos"""
