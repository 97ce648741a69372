"""A hostile site: what a remote server (or whoever can put HTML or redirects on it) hands a
session, against a real HTTP server on 127.0.0.1 and a second one playing another host.

The promises: the password and form posts never go to an origin the profile does not name;
nothing the site writes in its pages (a course code in a link) decides where files land.
"""

from __future__ import annotations

import gzip
import http.server
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from gaffertape.errors import UserError
from gaffertape.logs import redact, register_secret
from gaffertape.sites import engine
from gaffertape.sites import workflows as wf
from gaffertape.sites.engine import (
    MAX_WAIT,
    HostThrottle,
    SignInFailed,
    SiteError,
    SiteLocked,
    SiteSession,
    TooBig,
    UntrustedOrigin,
)
from gaffertape.sites.profile import Politeness, load_profile
from gaffertape.sites.workflows.download import download_student
from gaffertape.workspace import Workspace

SECRET = "s3cret-PASSWORD"
SIGN_IN_FORM = ('<html><title>Sign in</title><form method="post" action="{action}">'
                '<input name="username"><input type="password" name="password"></form></html>')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Callable[[Handler], None]]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.received: list[tuple[str, str, bytes]] = []  # (method, path, body)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, body: bytes | str, status: int = 200, **headers: str) -> None:
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("content_type", "text/html"))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, body))
        route = self.server.routes.get(f"{self.command} {urlsplit(self.path).path}")
        if route is None:
            self.answer("<html><title>Not here</title></html>", status=404)
        else:
            route(self)

    do_GET = do_POST = _route


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Callable[[Handler], None]]], Server]]:
    """Start servers on 127.0.0.1 with the given routes ("METHOD /path": handler)."""
    started: list[Server] = []

    def start(routes: dict[str, Callable[[Handler], None]]) -> Server:
        server = Server(routes)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    HostThrottle.reset()
    yield start
    for server in started:
        server.shutdown()
        server.server_close()
    HostThrottle.reset()


def _session(site: Server, **politeness: float) -> SiteSession:
    return SiteSession(load_profile("demo-marks"), base_url=site.url, username="u",
                       password=SecretStr(SECRET), politeness=Politeness(**politeness))


def _secrets_sent(*servers: Server) -> list[tuple[str, str]]:
    return [(m, p) for s in servers for m, p, body in s.received if SECRET.encode() in body]


def test_password_never_posted_to_a_form_action_on_another_host(serve) -> None:
    evil = serve({"POST /steal": lambda h: h.answer("<html>thanks</html>")})
    site = serve({"GET /sso/login": lambda h: h.answer(SIGN_IN_FORM.format(
        action=evil.url + "/steal"))})
    with _session(site) as session, pytest.raises(UntrustedOrigin, match="the password"):
        session.login()
    assert _secrets_sent(site, evil) == []


def test_password_never_follows_a_307_redirect_to_another_host(serve) -> None:
    evil = serve({"POST /steal": lambda h: h.answer("<html>thanks</html>")})
    site = serve({
        "GET /sso/login": lambda h: h.answer(SIGN_IN_FORM.format(action="/sso/login")),
        "POST /sso/login": lambda h: h.answer("", status=307, Location=evil.url + "/steal"),
    })
    with _session(site) as session, pytest.raises(UntrustedOrigin, match="POST of form data"):
        session.login()
    assert _secrets_sent(evil) == []
    assert _secrets_sent(site) == [("POST", "/sso/login")]  # the site's own form still got it


def test_sign_in_on_a_separate_host_named_in_the_profile_works(serve) -> None:
    idp = serve({"POST /login": lambda h: h.answer("", status=303, Location="/done"),
                 "GET /done": lambda h: h.answer("<html><title>Signed in</title></html>")})
    site = serve({"GET /sso/login": lambda h: h.answer(SIGN_IN_FORM.format(
        action=idp.url + "/login"))})
    profile = load_profile("demo-marks")
    profile.login.other_origins = [idp.url]
    with SiteSession(profile, base_url=site.url, username="u",
                     password=SecretStr(SECRET)) as session:
        session.login()
    assert _secrets_sent(idp) == [("POST", "/login")]


def _signed_in_site(serve, routes: dict[str, Callable[[Handler], None]]) -> Server:
    """A site whose one-form sign-in (demo-marks profile) works, plus ``routes``."""
    return serve({
        "GET /sso/login": lambda h: h.answer(SIGN_IN_FORM.format(action="/sso/login")),
        "POST /sso/login": lambda h: h.answer("", status=303, Location="/oscar/"),
        **routes,
    })


def test_course_code_in_a_site_link_cannot_choose_where_files_go(
    serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A presentation link ``?pres=../../../x`` would have made ``scripts/../../../x/<PI>``
    (replaced wholesale by the extraction) and ``downloads/../../../x/<PI>.zip``."""
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", SECRET)
    site = _signed_in_site(serve, {"GET /oscar/": lambda h: h.answer(
        '<html><a href="/oscar/allocation?pres=../../../escaped">TM470</a></html>')})
    ws = Workspace.init(tmp_path / "ws")
    overrides = {"marks": {"profile": "demo-marks", "base_url": site.url, "username": "u"}}
    with pytest.raises(UserError, match=r"course code '\.\./\.\./\.\./escaped' cannot name"):
        wf.get_allocation(ws, overrides=overrides, progress=False)
    assert not any(path.endswith("/oscar/allocation") for _, path, _ in site.received)


def test_download_refuses_a_stored_course_or_pi_that_is_a_path(serve, tmp_path: Path) -> None:
    site = serve({})
    ws = Workspace.init(tmp_path / "ws")
    with _session(site) as session:
        for item in ({"course": "../../escaped", "pi": "A1234567"},
                     {"course": "TM470-25J", "pi": "../A1234567"}):
            with pytest.raises(UserError, match="cannot name a file or folder"):
                download_student(ws, session, item)
    assert site.received == []
    assert not (tmp_path / "escaped").exists()


def _gzip_bomb(handler: Handler) -> None:
    """80 KB on the wire, 80 MB of page once decoded."""
    body = gzip.compress(b"<p>" + b" " * (80 * 1024**2) + b"</p>", compresslevel=9)
    handler.answer(body, Content_Encoding="gzip")


def _drip(handler: Handler, content_type: str = "text/html", count: int = 300) -> None:
    """A body that would take 30 s: a byte every 0.1 s (each read well within any timeout).
    The bytes sent are counted in ``handler.server.dripped``."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.end_headers()
    handler.close_connection = True
    for _ in range(count):
        try:
            handler.wfile.write(b" ")
            handler.wfile.flush()
        except OSError:  # the client gave up: that is the point
            return
        handler.server.dripped += 1
        time.sleep(0.1)


def _endless_zip(handler: Handler) -> None:
    """A download with no length that goes on (here: until 4 MiB, or the client leaves)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/zip")
    handler.end_headers()
    handler.close_connection = True
    for _ in range(64):
        try:
            handler.wfile.write(bytes(64 * 1024))
        except OSError:
            return


def test_a_gzip_bomb_page_is_refused_not_read_into_memory(serve) -> None:
    site = serve({"GET /oscar/": _gzip_bomb})
    with _session(site) as session, pytest.raises(TooBig, match="larger than 64 MB"):
        session._send("GET", site.url + "/oscar/")
    assert len(site.received) == 1  # asking again would give the same: not retried


def test_a_page_dripping_a_byte_at_a_time_stops_at_the_timeout(serve) -> None:
    site = serve({"GET /oscar/": _drip})
    site.dripped = 0
    with _session(site, timeout=1.0, retries=1, backoff=0.01) as session, \
            pytest.raises(SiteError, match="still arriving after 1 s"):
        session._send("GET", site.url + "/oscar/")
    assert len(site.received) == 2  # retried once, like a timeout
    assert site.dripped < 150  # both tries cut off: the whole page would be 2 x 300 bytes


def test_a_lockout_page_with_an_absurd_wait_is_a_lockout_not_a_crash(serve) -> None:
    """'Try again in 10^20 seconds' overflowed the retry date (OverflowError, a traceback)."""
    site = serve({"GET /sso/login": lambda h: h.answer(
        "<html><title>Account locked</title>Try again in 99999999999999999999 seconds</html>")})
    with _session(site) as session, pytest.raises(SiteLocked) as caught:
        session.login()
    assert caught.value.seconds == MAX_WAIT


@pytest.mark.parametrize(("link", "message"), [
    ("/zips/A1234567.zip?v={0}&x={name}", "expected a zip"),  # used as it is, not formatted
    ("file:///etc/passwd", "not an http(s) address"),
    ("javascript:alert(1)", "not an http(s) address"),
])
def test_a_download_link_from_a_page_is_a_site_error_whatever_it_holds(
    serve, tmp_path: Path, link: str, message: str
) -> None:
    """Before: '{0}' in a link was fed to str.format (IndexError/KeyError) and a file: link
    reached httpx (UnsupportedProtocol): 'unexpected ...' errors instead of a site error."""
    site = serve({"GET /zips/A1234567.zip": lambda h: h.answer("<html>expected a zip</html>")})
    with _session(site) as session:
        try:
            answer = session.fetch_file(link, tmp_path / "x.zip", expect="zip")
        except SiteError as exc:
            assert message in str(exc)
        else:
            assert message in answer.text
    assert not (tmp_path / "x.zip").exists()


def test_a_download_dripping_a_byte_at_a_time_stops(serve, tmp_path: Path) -> None:
    site = serve({"GET /zips/a.zip": lambda h: _drip(h, "application/zip")})
    site.dripped = 0
    with _session(site, timeout=1.0, retries=1, backoff=0.01) as session, \
            pytest.raises(SiteError, match="averaged under 1024 bytes/s"):
        session.fetch_file("/zips/a.zip", tmp_path / "a.zip", expect="zip")
    assert len(site.received) == 2 and site.dripped < 150


def test_an_endless_download_stops_at_its_bound(
    serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "MAX_DOWNLOAD_BYTES", 1024**2)  # 8 GiB in real use
    site = serve({"GET /zips/a.zip": _endless_zip})
    with _session(site) as session, pytest.raises(TooBig, match=r"download .* is larger than"):
        session.fetch_file("/zips/a.zip", tmp_path / "a.zip", expect="zip")
    assert len(site.received) == 1  # not retried
    assert (tmp_path / "a.zip").stat().st_size <= 1024**2 + 64 * 1024


@pytest.mark.parametrize(("content_type", "meta", "encoding"), [
    ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
     "cp1252"),
    ("text/html", "<meta charset='ISO-8859-1'>", "latin-1"),
    ("text/html; charset=bogus-8", "<meta charset=cp1252>", "cp1252"),  # unknown: next one
    ("text/html; charset=utf-8", "<meta charset=utf-16>", "utf-8"),     # the header wins
    ("text/html", "<meta charset=utf-16>", "utf-8"),  # ASCII-compatible bytes: as browsers do
])
def test_a_page_in_its_declared_encoding_reads_right(
    serve, content_type: str, meta: str, encoding: str
) -> None:
    """A name in an old system's windows-1252 page declared only in a <meta> read as 'Zo\ufffd'."""
    name = "Zoë Ñúñez" if encoding != "cp1252" else "Zoë Ñúñez – “Jr”"
    page = f"<html><head>{meta}</head><body><p>{name}</p></body></html>".encode(encoding)
    site = serve({"GET /oscar/": lambda h: h.answer(page, content_type=content_type)})
    with _session(site) as session:
        shown, _ = session._send("GET", site.url + "/oscar/")
    assert shown.tree.findtext(".//p") == name


def test_a_password_sent_by_a_get_form_is_masked_in_messages(serve) -> None:
    """A sign-in form with method="get" puts the password, URL-encoded, in the address that
    the 'ended on the sign-in page again' message names: 'p%40ss+w0rd%26x' was not masked
    (only the password as typed was)."""
    password = "p@ss w0rd&x"
    register_secret(password)  # as credentials.get_password does for every password read
    get_form = SIGN_IN_FORM.replace('method="post"', 'method="get"')
    site = serve({"GET /sso/login": lambda h: h.answer(get_form.format(action="/sso/login"))})
    session = SiteSession(load_profile("demo-marks"), base_url=site.url, username="u",
                          password=SecretStr(password), politeness=Politeness())
    with session, pytest.raises(SignInFailed) as caught:
        session.login()
    assert "p%40ss+w0rd%26x" in site.received[-1][1]  # the form did send it in the URL
    shown = redact(caught.value.one_line())
    assert "password=***" in shown and "w0rd" not in shown


def test_a_redirect_loop_is_a_site_error(serve) -> None:
    """httpx's TooManyRedirects is neither a timeout nor a network error: it came out as
    'unexpected TooManyRedirects ... please report it'."""
    site = serve({"GET /oscar/": lambda h: h.answer("", status=302, Location="/oscar/")})
    with _session(site) as session, pytest.raises(SiteError, match="redirect"):
        session._send("GET", site.url + "/oscar/")
    assert len(site.received) <= 25  # one round of httpx's 20 redirects, not retried


def test_a_page_with_broken_compression_or_a_bad_link_is_a_site_error(
    serve, tmp_path: Path
) -> None:
    """A body that claims gzip but is not (httpx.DecodingError), a link httpx cannot read
    (httpx.InvalidURL) and a sign-in form whose action is such a link came out as
    'unexpected ... please report it'."""
    site = serve({"GET /oscar/": lambda h: h.answer(b"not gzip at all", Content_Encoding="gzip")})
    with _session(site, retries=1, backoff=0.01) as session:
        with pytest.raises(SiteError, match="DecodingError"):
            session._send("GET", site.url + "/oscar/")
        with pytest.raises(SiteError, match="not a valid address"):
            session.fetch_file("http://a:b:c/a.zip", tmp_path / "a.zip", expect="zip")
    site.routes["GET /sso/login"] = lambda h: h.answer(SIGN_IN_FORM.format(action="http://a:b:c/"))
    with _session(site) as session, pytest.raises(UntrustedOrigin, match="http://a:b:c/"):
        session.login()


def test_a_get_form_never_sends_its_values_to_another_host(serve) -> None:
    """The request hook stops POSTs elsewhere; a GET form (its values in the address, such as
    a third mark) to another origin went out."""
    evil = serve({"GET /collect": lambda h: h.answer("<html>thanks</html>")})
    site = serve({"GET /post": lambda h: h.answer(
        f'<html><form method="get" action="{evil.url}/collect"><input name="mark"></form></html>')})
    with _session(site) as session:
        page, _ = session._send("GET", site.url + "/post")
        with pytest.raises(UntrustedOrigin, match="form data"):
            session.submit(page, page.xpath("//form")[0], {"mark": "67"})
    assert evil.received == []


def test_a_row_of_thousands_of_stray_cells_does_not_hang_the_allocation(
    serve, tmp_path: Path
) -> None:
    """Each surplus empty cell made the row repair list every empty cell again: 2,000 stray
    ``<td></td>`` (an 18 KB page) took 16 s, 10,000 several minutes, more for ever. Run in a
    subprocess with the guide's 60 s hang bound, on a real page from a real server."""
    stray = "<td></td>" * 10_000
    page = ('<html><table class="allocation"><tr><th>PI</th><th>Name</th><th>Tutor group</th>'
            f"<th>Status</th></tr><tr><td>A1234567</td>{stray}<td>Ann</td><td>TG1</td>"
            "<td>Marked</td></tr></table></html>")
    site = serve({"GET /oscar/allocation": lambda h: h.answer(page)})
    script = ("import sys; from gaffertape.sites import parse; "
              "from gaffertape.sites.engine import Page; "
              "from gaffertape.sites.profile import load_profile; import httpx; "
              "page = Page(sys.argv[1], 200, httpx.get(sys.argv[1]).text); "
              "rows = parse.parse_allocation(page, load_profile('demo-marks').allocation, 'C1'); "
              "print(rows[0]['pi'], rows[0]['name'], rows[0]['status'])")
    done = subprocess.run([sys.executable, "-c", script, site.url + "/oscar/allocation"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["A1234567", "Ann", "Marked"]
