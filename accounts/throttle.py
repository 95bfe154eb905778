"""Sign-in throttling: failed sign-ins are counted per account and per client (moving windows,
the `limits` library); past either limit, sign-ins are refused for a while, even with the right
password, so passwords cannot be guessed at speed. Only failures count: a person who signs in
often is never held up.

The counts live in this process (`memory://`); API processes behind a load balancer share them
through a storage URI such as `redis://host:6379` (LOGIN_THROTTLE_STORAGE)."""

import math
import time

from limits import parse, storage, strategies

from core.errors import TooManyRequests


class LoginThrottle:
    def __init__(self, per_account: str, per_client: str, storage_uri: str = "memory://") -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._limits = (("account", parse(per_account)), ("client", parse(per_client)))

    def check(self, account: str, client: str) -> None:
        """Raises TooManyRequests (with the seconds to wait) while the account or the client is over its limit."""
        for (kind, limit), key in zip(self._limits, (account.strip().lower(), client), strict=True):
            if not self._limiter.test(limit, "login", kind, key):
                reset = self._limiter.get_window_stats(limit, "login", kind, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(f"Too many failed sign-ins for this {kind}: try again in {wait} s", wait)

    def failed(self, account: str, client: str) -> None:
        for (kind, limit), key in zip(self._limits, (account.strip().lower(), client), strict=True):
            self._limiter.hit(limit, "login", kind, key)
