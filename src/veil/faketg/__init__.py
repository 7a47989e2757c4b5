"""A fake Telegram Bot API server, faithful enough that aiogram can't tell the difference.

tg = FakeTelegram()
tg.add_bot("123:secret")
alice = tg.add_user("Alice")
url = await tg.start()          # bots call f"{url}/bot{token}/{method}"
tg.send_text(alice, alice, "/start")
await tg.wait_for(lambda: tg.bot_messages(alice))

Faults: `tg.fail_next(FakeError...)` scripts one; `tg.chaos = Chaos(too_many=0.1)` injects
them at a rate; `tg.limits = RateLimits()` enforces Telegram's flood limits.
"""

from .chaos import Chaos
from .errors import FakeError, ScenarioError
from .fake import FakeTelegram
from .files import UploadedFile
from .limits import RateLimits
from .server import serve_forever
from .state import ApiCall

__all__ = [
    "ApiCall",
    "Chaos",
    "FakeError",
    "FakeTelegram",
    "RateLimits",
    "ScenarioError",
    "UploadedFile",
    "serve_forever",
]
