"""Sign-in state: single-use form tokens, session cookies that expire, and burst lockout.

These are the behaviours that trip up naive scrapers of real systems: a form must be fetched
before it is posted, a session silently dies, and too many requests too fast lock the account
(with a friendly 200 page rather than an HTTP error). All state is in memory and thread-safe.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gaffertape.demo.config import Faults

MAX_TOKENS = 100_000
DEFAULT_TTL_S = 8 * 3600


@dataclass
class Session:
    """One signed-in browser: who, since when, and how many requests it has made."""

    user: str
    created: float
    requests: int = 0


@dataclass
class _Burst:
    """Recent request times of one user, and when their lockout ends."""

    times: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class Sessions:
    """Tokens, sessions and lockouts, with limits taken from the fault settings."""

    def __init__(self, faults: Faults, clock: Callable[[], float] = time.monotonic) -> None:
        self._faults = faults
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._sessions: dict[str, Session] = {}
        self._bursts: dict[str, _Burst] = {}

    def issue_token(self) -> str:
        """A fresh form token; the oldest are forgotten past :data:`MAX_TOKENS`."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens[token] = None
            while len(self._tokens) > MAX_TOKENS:
                self._tokens.popitem(last=False)
        return token

    def spend_token(self, token: str) -> bool:
        """Whether the token was issued and not yet used; it cannot be used again."""
        with self._lock:
            return self._tokens.pop(token, "missing") is None

    def create(self, user: str) -> str:
        """Start a session and return its id (the cookie value)."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[sid] = Session(user=user, created=self._clock())
        return sid

    def user(self, sid: str) -> str | None:
        """The session's user, counting this request; None if unknown or expired."""
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            session.requests += 1
            if self._expired(session):
                del self._sessions[sid]
                return None
            return session.user

    def _expired(self, session: Session) -> bool:
        """Too old, or too many requests (the ``session_*`` faults)."""
        ttl = self._faults.session_ttl_s or DEFAULT_TTL_S
        limit = self._faults.session_max_requests
        return self._clock() - session.created > ttl or (0 < limit < session.requests)

    def locked_for(self, user: str) -> int:
        """Seconds until the user may try again (0: not locked); counts this request."""
        if not self._faults.lockout:
            return 0
        now = self._clock()
        with self._lock:
            burst = self._bursts.setdefault(user, _Burst())
            if now < burst.locked_until:
                return math.ceil(burst.locked_until - now)
            burst.times.append(now)
            while burst.times and burst.times[0] <= now - self._faults.lockout_window_s:
                burst.times.popleft()
            if len(burst.times) > self._faults.lockout_burst:
                burst.times.clear()
                burst.locked_until = now + self._faults.lockout_cooldown_s
                return math.ceil(self._faults.lockout_cooldown_s)
            return 0
