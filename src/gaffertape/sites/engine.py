"""The polite HTTP engine: one session per site, with politeness, retries and re-login apart.

Layers (as in Scrapy/httpx, each replaceable on its own):

* :class:`HostThrottle` (politeness): a bounded number of connections per host, a request-rate
  cap per host shared by every session in the process, and a randomised delay between request
  starts (0.5-1.5 x the base delay).
* :class:`RetryPolicy`: exponential backoff with jitter on 5xx, timeouts and connection resets,
  honouring ``Retry-After``.
* :class:`SiteSession` (session/auth): the cookie jar, SSO redirects, login with the hidden
  fields of the login form carried through, re-login when the session has expired (recognised
  from page content), and a clean stop on lockout (:class:`SiteLocked` says when to retry).
* Storage is not here: callers stream bodies into files (``stream_to``).
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import html as lxml_html
from pydantic import SecretStr

from gaffertape.errors import UserError
from gaffertape.sites.profile import LoginStep, Politeness, Profile

log = logging.getLogger("gaffertape.sites")


@functools.cache
def keep_memory_flat() -> None:
    """Keep big transient buffers (zip and HTTP chunks) out of glibc's per-thread arenas.

    glibc raises its mmap threshold after the first large free, so later 256 KiB-1 MiB chunk
    buffers come from per-thread arenas and stay resident; pinning the threshold makes them be
    mmapped and returned to the system on free. Called when a download starts, not at import:
    the setting is process-wide, and a notebook that merely imports gaffertape should keep its
    own. Runs once per process; no-op elsewhere than Linux.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


USER_AGENT = "gaffertape/0.1 (polite; +https://example.invalid/gaffertape)"


class SiteError(UserError):
    """A request to a site failed after every retry (or could not be retried).

    A :class:`UserError`: a site that answers differently from its profile is something the user
    can look into, never an "unexpected error, please report it"."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint or "the site may be down, or answering differently from its profile: "
            "`gaffertape sites profiles --check PROFILE --live` shows what matches",
        )


class TooBig(SiteError):
    """A page larger than :data:`MAX_PAGE_BYTES`, or a download larger than
    :data:`MAX_DOWNLOAD_BYTES`: asking again gives the same, so it is not retried."""


class NoAnswer(SiteError):
    """A POST got no answer (reset, timeout, cut): the site may or may not have acted on it."""


class SessionExpired(SiteError):
    """The site answered with its login page: log in again and redo the unit of work."""


class SiteLocked(UserError):
    """The account is locked out: stop talking to that site until ``retry_at``."""

    def __init__(self, site: str, seconds: float, retry_at: datetime | None = None) -> None:
        self.site = site
        self.seconds = seconds
        self.retry_at = retry_at or datetime.now(UTC) + timedelta(seconds=seconds)
        super().__init__(
            f"{site}: the site says the account is locked; stopped all requests to it",
            hint=f"retry after {self.retry_at.astimezone():%H:%M:%S} (in {seconds:.0f} s) with the "
            "same command; lower --rate or --concurrency if it happens again",
        )


class UntrustedOrigin(UserError):
    """Form data (a password, marks) would go to an origin the profile does not name."""


class SignInFailed(UserError):
    """Signing in did not work: the whole site stops at once (retrying is how accounts get
    locked), with a message saying which step, which page came back and what was missing."""


MAX_WAIT = 7 * 24 * 3600.0  # a site's "try again in 10^20 seconds" is read as a week
WAIT_REGEX = r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"


def wait_seconds(text: str, regex: str | None) -> float | None:
    """Seconds to wait, from lockout wording such as "Try again in 15 minutes" or "in 2 hours".

    ``regex`` (the profile's ``retry_after_regex``) finds the number (group ``n`` or 1); the unit
    is its group ``unit`` (or 2), else the word after the number, else seconds. At most
    :data:`MAX_WAIT` (a bigger number would overflow the date it is turned into).
    """
    pattern = re.compile(regex or WAIT_REGEX, re.I)
    match = pattern.search(text)
    if not match:
        return None
    groups = match.groupdict()
    number = float(groups.get("n") or match[1])
    unit = groups.get("unit") or (match[2] if (pattern.groups or 0) >= 2 else None)
    if unit is None:
        after = re.match(r"\s*([A-Za-z]+)", text[match.end():])
        unit = after[1] if after else "s"
    scale = {"h": 3600, "m": 60}.get(unit.strip().lower()[:1], 1)
    return min(number * scale, MAX_WAIT)


# ---------------------------------------------------------------------------------------------
# politeness


class HostThrottle:
    """Per-host politeness shared by every session in the process."""

    _registry: ClassVar[dict[str, HostThrottle]] = {}
    _registry_lock = threading.Lock()

    def __init__(self, concurrency: int, rate: float) -> None:
        self.slots = threading.BoundedSemaphore(concurrency)
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()
        self.locked_until = 0.0

    @classmethod
    def for_host(cls, host: str, politeness: Politeness) -> HostThrottle:
        """The throttle of ``host``; the first session to ask sets its limits."""
        with cls._registry_lock:
            throttle = cls._registry.get(host)
            if throttle is None:
                throttle = cls._registry[host] = cls(politeness.concurrency, politeness.rate)
            return throttle

    @classmethod
    def global_cap(cls, rate: float) -> HostThrottle:
        """The process-wide rate cap (over every host); the first session sets it."""
        return cls.for_host("*", Politeness(concurrency=32, rate=rate))

    @classmethod
    def reset(cls) -> None:
        with cls._registry_lock:
            cls._registry.clear()

    def wait_turn(self, delay: float = 0.0) -> None:
        """Block until this host may get one more request: starts are spaced by the rate cap,
        or by the randomised delay (0.5-1.5 x ``delay``) when that is longer (as Scrapy's
        DOWNLOAD_DELAY per slot)."""
        gap = max(self.interval, delay * random.uniform(0.5, 1.5))
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + gap
        if start > now:
            time.sleep(start - now)


@dataclass
class RetryPolicy:
    retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): full jitter, capped."""
        base = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        delay = random.uniform(base / 2, base)
        if retry_after is not None:
            delay = max(delay, min(retry_after, 300.0))
        return delay


RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_PAGE_BYTES = 64 * 1024**2  # decoded: a gzip bomb of a page stops here too
MAX_DOWNLOAD_BYTES = 8 * 1024**3  # as much as an extracted zip may hold
MIN_DOWNLOAD_RATE = 1024  # bytes/s on average, judged once a download has run ``timeout`` s
TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError,
                    httpx.DecodingError)  # a body cut or garbled in transit


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


# ---------------------------------------------------------------------------------------------
# pages and forms


@dataclass
class Page:
    url: str
    status: int
    text: str
    _tree: Any = field(default=None, repr=False)

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = lxml_html.fromstring(self.text or "<html></html>", base_url=self.url)
        return self._tree

    def xpath(self, expr: str) -> list[Any]:
        return self.tree.xpath(expr)

    def contains(self, needles: list[str]) -> bool:
        low = self.text.lower()
        return any(n.lower() in low for n in needles)


def form_fields(form: Any) -> dict[str, str]:
    """The values a browser would send for a form as it stands (hidden fields included)."""
    values: dict[str, str] = {}
    for element in form.xpath(".//input|.//select|.//textarea"):
        name = element.get("name")
        if not name:
            continue
        tag = element.tag.lower()
        if tag == "input":
            kind = (element.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"} and element.get("checked") is None:
                continue
            values[name] = element.get("value") or ""
        elif tag == "select":
            options = element.xpath(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            values[name] = (
                (chosen[0].get("value") or chosen[0].text_content().strip()) if chosen else ""
            )
        else:
            values[name] = element.text_content()
    return values


@dataclass
class Download:
    path: Path
    size: int
    sha256: str
    content_length: int | None
    filename: str | None


# ---------------------------------------------------------------------------------------------
# the session


class SiteSession:
    """One logged-in HTTP session with one site (thread-safe; share it between workers)."""

    def __init__(
        self,
        profile: Profile,
        *,
        base_url: str | None = None,
        username: str,
        password: SecretStr | Callable[[], SecretStr],
        politeness: Politeness | None = None,
        on_request: Callable[[], None] | None = None,
        on_locked: Callable[[SiteLocked], None] | None = None,
    ) -> None:
        self.profile = profile
        profile.load_hooks()  # a broken hook module fails before any request
        self._fix_page = profile.hook("fix_page")
        self.base_url = (base_url or profile.base_url or "").rstrip("/")
        if not self.base_url:
            raise UserError(
                f"no base URL for site {profile.name!r}",
                hint="set base_url in the profile or [sites.*] in gaffertape.toml",
            )
        self.username = username
        self._password = password
        self.politeness = politeness or profile.politeness
        self.retry = RetryPolicy(
            self.politeness.retries, self.politeness.backoff, self.politeness.max_backoff
        )
        host = urlsplit(self.base_url).netloc
        self.throttle = HostThrottle.for_host(host, self.politeness)
        self.global_throttle = HostThrottle.global_cap(self.politeness.global_rate)
        self.trusted_origins = {
            origin(self.base_url),
            origin(self.url(profile.login.url)),
            *(origin(o) for o in profile.login.other_origins),
        }
        self.client = httpx.Client(
            follow_redirects=True,
            event_hooks={"request": [self._refuse_untrusted_post]},
            timeout=httpx.Timeout(self.politeness.timeout, connect=15),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(
                max_connections=self.politeness.concurrency * 2,
                max_keepalive_connections=self.politeness.concurrency * 2,
            ),
        )
        self._login_lock = threading.Lock()
        self._generation = 0
        self.requests = 0
        self._count_lock = threading.Lock()
        self.on_request = on_request
        self.on_locked = on_locked
        self.locked: SiteLocked | None = None
        self.sign_in_failed: SignInFailed | None = None
        self.password_submissions = 0
        self._fruitless_sign_ins = 0  # sign-ins since the site last answered with a real page
        self.host = host

    # -- plumbing ------------------------------------------------------------------------------

    def url(self, path: str, **params: str) -> str:
        from urllib.parse import quote

        if params:  # a profile's template; a link from a page is used as it is ("{" and all)
            path = path.format(**{k: quote(str(v), safe="") for k, v in params.items()})
        return (
            urljoin(self.base_url + "/", path.lstrip("/")) if not path.startswith("http") else path
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SiteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refuse_untrusted_post(self, request: httpx.Request) -> None:
        """Form data goes only to the origins the profile names, also when a 307/308 redirect
        points elsewhere (httpx would send the same body, password included, on to it)."""
        if request.method not in ("GET", "HEAD"):
            self.check_origin(str(request.url), f"a {request.method} of form data")

    def check_origin(self, url: str, what: str) -> None:
        """Raise :class:`UntrustedOrigin` unless ``url`` is on the site's own origin, its
        sign-in URL's, or one of the profile's ``[login] other_origins``."""
        if origin(url) not in self.trusted_origins:
            raise UntrustedOrigin(
                f"{self.profile.name}: refused to send {what} to {origin(url)}, which is not "
                f"the site's origin ({origin(self.base_url)}); nothing was sent",
                hint="if that really is where the site signs you in, add it to [login] "
                "other_origins in the profile",
            )

    def _password_value(self) -> str:
        pw = self._password() if callable(self._password) else self._password
        return pw.get_secret_value()

    def _send(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        stream_to: Path | None = None,
        expect: str | None = None,
    ) -> tuple[Page | None, Download | None]:
        """One request with politeness and retries; streams the body to ``stream_to`` when the
        answer's content type contains ``expect`` (otherwise it is read as a page)."""
        try:
            scheme = httpx.URL(url).scheme
        except httpx.InvalidURL as exc:  # a page's link such as http://a:b:c/
            raise SiteError(f"{method} {url[:100]!r}: not a valid address ({exc})") from exc
        if scheme not in ("http", "https"):  # a page's link: file:, javascript:
            raise SiteError(f"{method} {url[:100]!r}: not an http(s) address; not requested")
        attempt = 0
        while True:
            if self.locked is not None:
                raise self.locked
            if self.sign_in_failed is not None:
                raise self.sign_in_failed
            remaining = self.throttle.locked_until - time.monotonic()
            if remaining > 0:  # another session to this host was locked out: stay away too
                self.locked = SiteLocked(self.profile.name, remaining)
                raise self.locked
            attempt += 1
            retry_after = None
            # take a turn under the rate caps first, then a connection slot: a request waiting
            # for its turn must not hold one of the host's few connections idle
            self.global_throttle.wait_turn()
            self.throttle.wait_turn(self.politeness.delay)
            with self.throttle.slots:
                with self._count_lock:
                    self.requests += 1
                if self.on_request:
                    self.on_request()
                try:
                    with self.client.stream(method, url, data=data) as response:
                        if response.status_code in RETRY_STATUS:
                            retry_after = _retry_after(response)
                            response.read()
                            raise SiteError(f"HTTP {response.status_code} from {_path(url)}")
                        ctype = response.headers.get("content-type", "")
                        if stream_to is not None and expect and expect in ctype.lower():
                            return None, self._stream(response, stream_to)
                        body = self._read_page(response)
                        text = body.decode(page_encoding(response, body), errors="replace")
                        if self._fix_page is not None:
                            text = self._fix_page(text, str(response.url))
                        page = Page(str(response.url), response.status_code, text)
                        if response.status_code >= 400:
                            raise SiteError(f"HTTP {response.status_code} from {_path(url)}")
                        return page, None
                except httpx.TooManyRedirects as exc:  # a loop: asking again loops again
                    raise SiteError(f"{method} {_path(url)}: the site redirects in a loop "
                                    f"({exc})") from exc
                except (SiteError, *TRANSPORT_ERRORS) as exc:
                    error: Exception = exc
                    if isinstance(exc, TooBig) or (
                        isinstance(exc, SiteError) and "HTTP 4" in str(exc)
                    ):
                        raise
            if method != "GET" or attempt > self.retry.retries:
                if method != "GET":
                    kind = SiteError if isinstance(error, SiteError) else NoAnswer
                    raise kind(f"{method} {_path(url)}: {type(error).__name__}: {error}") from error
                raise SiteError(
                    f"{method} {_path(url)} failed after {attempt} attempts: "
                    f"{type(error).__name__}: {error}"
                ) from error
            wait = self.retry.wait(attempt, retry_after)
            log.info("%s %s: %s; retry %d in %.1fs", method, _path(url), error, attempt, wait)
            time.sleep(wait)

    def _read_page(self, response: httpx.Response) -> bytes:
        """A page's body, refused when it grows past :data:`MAX_PAGE_BYTES` or is still coming
        after the politeness ``timeout`` (httpx's timeout is per read: a server dripping a byte
        at a time would otherwise hold the run for ever; that is retried like a timeout)."""
        deadline = time.monotonic() + self.politeness.timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # as it arrives: a chunk size would wait to fill
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise TooBig(f"the page at {_path(str(response.url))} is larger than "
                             f"{MAX_PAGE_BYTES // 1024**2} MB; refused")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"the page at {_path(str(response.url))} was still "
                                        f"arriving after {self.politeness.timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def _stream(self, response: httpx.Response, dest: Path) -> Download:
        """Stream a download to ``dest``, refused past :data:`MAX_DOWNLOAD_BYTES` (an endless
        body would fill the disk) or when, after ``timeout`` seconds, it averages under
        :data:`MIN_DOWNLOAD_RATE` (a drip would hold the run for ever; retried like a timeout)."""
        expected = response.headers.get("content-length")
        expected_size = int(expected) if expected and expected.isdigit() else None
        digest = hashlib.sha256()
        size = 0
        started = time.monotonic()
        with open(dest, "wb") as out:
            for chunk in response.iter_raw():  # as it arrives: a chunk size would wait to fill
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise TooBig(f"the download at {_path(str(response.url))} is larger than "
                                 f"{MAX_DOWNLOAD_BYTES // 1024**3} GiB; refused")
                elapsed = time.monotonic() - started
                if elapsed > self.politeness.timeout and size < MIN_DOWNLOAD_RATE * elapsed:
                    raise httpx.ReadTimeout(
                        f"the download at {_path(str(response.url))} averaged under "
                        f"{MIN_DOWNLOAD_RATE} bytes/s over {elapsed:.0f} s")
        if expected_size is not None and size != expected_size:
            raise httpx.RemoteProtocolError(f"body cut short: {size} of {expected_size} bytes")
        disposition = response.headers.get("content-disposition", "")
        match = re.search(r'filename="?([^";]+)', disposition)
        from urllib.parse import unquote

        filename = match[1] if match else unquote(urlsplit(str(response.url)).path.rsplit("/")[-1])
        return Download(dest, size, digest.hexdigest(), expected_size, filename or None)

    # -- what pages mean -----------------------------------------------------------------------

    def check_lockout(self, page: Page) -> None:
        detect = self.profile.detect
        hit = any(page.xpath(x) for x in detect.lockout_page) if detect.lockout_page else False
        if not hit and detect.lockout_text and not detect.lockout_page:
            hit = page.contains(detect.lockout_text)
        if hit:
            found = wait_seconds(page.tree.text_content(), detect.retry_after_regex)
            seconds = 300.0 if found is None else found
            self.locked = SiteLocked(self.profile.name, seconds)
            self.throttle.locked_until = time.monotonic() + seconds
            log.warning("%s: account locked; stopping (retry in %.0fs)", self.profile.name, seconds)
            if self.on_locked is not None:
                self.on_locked(self.locked)
            raise self.locked

    def is_login_page(self, page: Page) -> bool:
        detect = self.profile.detect
        if detect.login_text and page.contains(detect.login_text):
            return True
        return any(page.xpath(x) for x in detect.login_page)

    # -- login ---------------------------------------------------------------------------------

    def login(self, seen_generation: int | None = None) -> None:
        """Sign in (once, even if many workers notice the expired session together).

        A sign-in that ends on the sign-in page again is taken as wrong credentials whatever
        else the page says: it is tried once more (a stale token can do that), then the whole
        site stops with :class:`SignInFailed`. Transport failures (5xx, resets) fetch a fresh
        form and try again a few times. Every password submission is counted.
        """
        with self._login_lock:
            if self.sign_in_failed is not None:
                raise self.sign_in_failed
            if seen_generation is not None and seen_generation != self._generation:
                return  # someone else logged in meanwhile
            if self._fruitless_sign_ins >= 2:  # signing in "works" but changes nothing
                self.sign_in_failed = SignInFailed(
                    f"{self.profile.name}: signing in as {self.username!r} worked, but the site "
                    "answered with its sign-in page again right after, twice: it may not keep "
                    "its session cookie, or the profile's [detect] login_page/login_text "
                    f"matches ordinary pages; stopped after {self.password_submissions} "
                    "password submissions",
                    hint="check [detect] with `gaffertape sites profiles --check PROFILE --live`",
                )
                raise self.sign_in_failed
            bounced = 0
            transport_failures = 0
            while True:
                try:
                    ended_on = self._sign_in_once()
                except SignInFailed as exc:
                    self.sign_in_failed = exc
                    raise
                except SiteError as exc:  # 5xx, reset, stale token: fetch a fresh form
                    transport_failures += 1
                    log.info("%s: sign-in attempt failed: %s", self.profile.name, exc)
                    if transport_failures > max(2, self.retry.retries):
                        raise
                    time.sleep(self.retry.wait(transport_failures))
                    continue
                if ended_on is None:
                    self._generation += 1
                    self._fruitless_sign_ins += 1
                    log.info("%s: logged in as %s", self.profile.name, self.username)
                    return
                bounced += 1
                if bounced >= 2:
                    self.sign_in_failed = self._bounced(ended_on)
                    raise self.sign_in_failed
                log.info("%s: sign-in ended on the sign-in page; one more try", self.profile.name)

    def _sign_in_once(self) -> Page | None:
        """Walk the profile's sign-in steps once; the page if it ended on a sign-in page."""
        spec = self.profile.login
        page, _ = self._send("GET", self.url(spec.url))
        assert page is not None
        self.check_lockout(page)
        for index, step in enumerate(spec.sequence()):
            forms = page.xpath(step.form)
            if not forms:
                if step.optional:
                    continue
                if index == 0 and not self.is_login_page(page):
                    return None  # already signed in: the sign-in URL went straight through
                raise self._step_error(step, page, f"no form matching {step.form!r}")
            page = self._submit_step(step, page, forms[0])
            self.check_lockout(page)
            if spec.failure_text and page.contains(spec.failure_text):
                raise SignInFailed(
                    f"{self.profile.name}: the site rejected the username {self.username!r} or "
                    f"its password (at step {step.label!r})",
                    hint=f"run `gaffertape login {self.profile.name} "
                    f"--username {self.username}` to store the right one",
                )
        return page if self.is_login_page(page) else None

    def _submit_step(self, step: LoginStep, page: Page, form: Any) -> Page:
        """Fill in one sign-in form (hidden fields carried through) and submit it."""
        values = form_fields(form)
        names = {e.get("name") for e in form.xpath(".//input|.//select|.//textarea")}
        wanted = {step.username_field: self.username} if step.username_field else {}
        if step.password_field:
            wanted[step.password_field] = "password"
        for field_name in wanted:
            if field_name not in names:
                found = ", ".join(sorted(n for n in names if n)) or "none"
                raise self._step_error(
                    step, page, f"its form has no field {field_name!r} (fields: {found})"
                )
        values.update(step.values)
        if step.username_field:
            values[step.username_field] = self.username
        action = urljoin(page.url, form.get("action") or page.url)
        if step.password_field:
            self.check_origin(action, "the password")
            values[step.password_field] = self._password_value()
            self.password_submissions += 1
        method = (form.get("method") or "get").upper()
        if method == "GET":
            from urllib.parse import urlencode

            result, _ = self._send("GET", action.split("?")[0] + "?" + urlencode(values))
        else:
            result, _ = self._send(method, action, data=values)
        assert result is not None
        return result

    def _step_error(self, step: LoginStep, page: Page, what: str) -> SignInFailed:
        return SignInFailed(
            f"{self.profile.name}: sign-in step {step.label!r}: {what}; the site showed "
            f"{_describe(page)}",
            hint="check [login] in the profile against that page "
            f"(`gaffertape sites profiles --check {self.profile.source} --live`)",
        )

    def _bounced(self, page: Page) -> SignInFailed:
        return SignInFailed(
            f"{self.profile.name}: signing in as {self.username!r} ended on the sign-in page "
            f"again, twice ({_describe(page)}): the username or password is probably wrong; "
            f"stopped after {self.password_submissions} password submissions so that the "
            "account is not locked",
            hint=f"run `gaffertape login {self.profile.name} --username {self.username}` to "
            "store the right password, then run the command again",
        )

    # -- the public verbs ----------------------------------------------------------------------

    def get(self, path: str, **params: str) -> Page:
        """GET a page, logging in (again) whenever the site answers with its login page."""
        url = self.url(path, **params)
        for _ in range(3):
            generation = self._generation
            page, _ = self._send("GET", url)
            assert page is not None
            self.check_lockout(page)
            if not self.is_login_page(page):
                self._fruitless_sign_ins = 0
                return page
            log.info("%s: session expired or not logged in; logging in", self.profile.name)
            self.login(generation)
        raise SiteError(f"{self.profile.name}: still on the login page after logging in ({path})")

    def fetch_file(self, path: str, dest: Path, *, expect: str) -> Page | Download:
        """GET a file (a download link), streamed to ``dest`` when its content type contains
        ``expect``; any other answer comes back as a page. Raises :class:`SessionExpired`
        (after signing in again) when the answer is the sign-in page."""
        generation = self._generation
        page, download = self._send("GET", self.url(path), stream_to=dest, expect=expect)
        if download is not None:
            self._fruitless_sign_ins = 0
            return download
        assert page is not None
        self.check_lockout(page)
        if self.is_login_page(page):
            self.login(generation)
            raise SessionExpired(f"{self.profile.name}: session expired during a download")
        self._fruitless_sign_ins = 0
        return page

    def submit(
        self,
        page: Page,
        form: Any,
        values: dict[str, str],
        *,
        stream_to: Path | None = None,
        expect: str | None = None,
    ) -> Page | Download:
        """Submit ``form`` (from ``page``) with ``values`` over its own fields.

        Raises :class:`SessionExpired` (after logging in again) when the site answers with its
        login page: the caller must fetch the form again, since tokens are single use.
        """
        data = {**form_fields(form), **values}
        action = urljoin(page.url, form.get("action") or page.url)
        self.check_origin(action, "form data")  # a GET form too: marks in its address
        method = (form.get("method") or "get").upper()
        generation = self._generation
        if method == "GET":
            from urllib.parse import urlencode

            action = action.split("?")[0] + "?" + urlencode(data)
            result, download = self._send("GET", action, stream_to=stream_to, expect=expect)
        else:
            result, download = self._send(
                method, action, data=data, stream_to=stream_to, expect=expect
            )
        if download is not None:
            self._fruitless_sign_ins = 0
            return download
        assert result is not None
        self.check_lockout(result)
        if self.is_login_page(result):
            self.login(generation)
            raise SessionExpired(f"{self.profile.name}: session expired during a form post")
        self._fruitless_sign_ins = 0
        return result


def _describe(page: Page) -> str:
    """A page in a message: its title and URL."""
    title = " ".join((page.tree.findtext(".//title") or "").split()) or "no title"
    return f"{title!r} at {page.url} (HTTP {page.status})"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def page_encoding(response: httpx.Response, body: bytes) -> str:
    """The page's encoding: the header's charset, else a ``<meta>`` charset in its first 2 KB
    (as browsers look; a UTF-16 one means UTF-8 there, as in browsers), else UTF-8. Old
    systems often declare windows-1252 only in the page: read as UTF-8, "Zoë" became
    "Zo\ufffd". An unknown name counts as none."""
    meta = _META_CHARSET.search(body[:2048])
    for declared, in_page in ((response.charset_encoding, False),
                              (meta[1].decode("ascii") if meta else None, True)):
        try:
            name = codecs.lookup(declared).name if declared else None
        except LookupError:
            continue
        if name:
            return "utf-8" if in_page and name.startswith("utf-16") else name
    return "utf-8"


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the default port written out): where a request goes,
    in the form two URLs are compared by (https and http are different origins). An address
    httpx cannot read is its own origin, trusted by nothing."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url[:100]
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
