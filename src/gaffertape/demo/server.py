"""The demo university's HTTP server, and the network-level faults only a socket can show.

A stdlib ``ThreadingHTTPServer`` gives direct access to the connection, which is what the
faults need: a reset is an abrupt close with ``SO_LINGER`` 0 (the peer sees RST), a truncated
body is a close after part of a declared ``Content-Length``, and the bandwidth cap throttles
the body writes of each connection. Everything else is answered by :class:`~.app.App`.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from gaffertape.demo import fenland
from gaffertape.demo.app import App, Request, Response
from gaffertape.demo.config import DemoConfig
from gaffertape.demo.faults import Decision, FaultDice

MAX_FORM_BYTES = 1_000_000
THROTTLE_SLICES_PER_S = 20


class DemoUniversity:
    """Start the demo in a background thread; use as a context manager so it always stops."""

    def __init__(self, config: DemoConfig | None = None) -> None:
        self.config = config or DemoConfig()
        self.app: App | fenland.FenlandApp = INSTITUTIONS[self.config.institution](self.config)
        self.username, self.password = self.app.username, self.app.password
        self._server = _Server((self.config.host, self.config.port), _Handler)
        self._server.app = self.app
        self._server.dice = FaultDice(self.config.seed, self.config.faults)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the real port, also when 0 was asked for)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DemoUniversity:
        """Serve in a daemon thread and write the first truth file."""
        self.app.truth.start(self.base_url)
        self._thread = threading.Thread(  # a short poll so that stop() returns promptly
            target=self._server.serve_forever, args=(0.05,), name="demo-university", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and write the final truth file."""
        self._server.shutdown()
        self._server.server_close()
        self.app.truth.stop()

    def truth(self) -> dict:
        """The ground truth as it stands now (the same content as the truth file)."""
        return self.app.truth.snapshot()

    def flush_truth(self) -> None:
        """Write the truth file now rather than within the next half second."""
        self.app.truth.flush()

    def __enter__(self) -> DemoUniversity:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.stop()


INSTITUTIONS = {"demo": App, "fenland": fenland.FenlandApp}
"""The institutions the demo can serve (``DemoConfig.institution``); see DEMO_INSTITUTIONS."""


class _Server(ThreadingHTTPServer):
    """The threading server, carrying the app and the fault dice for its handlers."""

    daemon_threads = True
    allow_reuse_address = True
    app: App | fenland.FenlandApp
    dice: FaultDice

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-answer are normal here; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One connection: parse, roll faults, answer, and misbehave on the wire when told to."""

    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms stalls
    server_version = "DemoUniversity/1.0"
    timeout = 60

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a demo serving thousands of requests should not flood the terminal."""

    def _serve(self, method: str) -> None:
        request = self._request(method)
        app, dice = self.server.app, self.server.dice
        app.truth.count("requests", app.route_name(request))
        key = f"{method} {request.target} {request.form.get('pi', '')}"
        decision = dice.decide(key, download=app.is_download(request))
        time.sleep(decision.delay_s)
        if decision.fault:
            app.truth.count("faults", decision.fault)
        if decision.fault == "reset":
            self._reset()
        elif decision.fault == "error":
            self._send(_error_response(decision.status), decision)
        else:
            self._send(app.handle(request), decision)

    def _request(self, method: str) -> Request:
        """Read the request line's target, cookie and (for POST) the urlencoded form."""
        url = urlsplit(self.path)
        length = min(int(self.headers.get("Content-Length") or 0), MAX_FORM_BYTES)
        body = self.rfile.read(length).decode("utf-8", "replace") if method == "POST" else ""
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        return Request(
            method=method, path=url.path, target=self.path,
            query=dict(parse_qsl(url.query)), form=dict(parse_qsl(body)),
            cookie=jar[name].value if (name := self.server.app.cookie) in jar else None,
        )

    def _send(self, response: Response, decision: Decision) -> None:
        """Status, headers and body; a truncation fault stops part-way and closes."""
        chunks, length = response.encoded()
        self.send_response(response.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        limit = int(length * decision.keep_fraction) if decision.fault == "truncate" else length
        self._budget_start, self._budget_sent = time.monotonic(), 0
        self._write(chunks, limit)
        if limit < length:
            self.close_connection = True

    def _write(self, chunks: Iterable[bytes], limit: int) -> None:
        """Write at most ``limit`` body bytes, throttled to the per-connection bandwidth cap."""
        left = limit
        for chunk in chunks:  # asks for one more chunk at the end, so a zip stream completes
            if left <= 0:
                break
            piece = chunk[:left]
            self._throttled(piece)
            left -= len(piece)

    _budget_start = 0.0
    _budget_sent = 0

    def _throttled(self, data: bytes) -> None:
        """Send in slices, sleeping so this connection stays under ``bandwidth_bps``."""
        cap = self.server.app.config.faults.bandwidth_bps
        if cap <= 0:
            self.wfile.write(data)
            return
        step = max(1024, cap // THROTTLE_SLICES_PER_S)
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            self.wfile.write(piece)
            self._budget_sent += len(piece)
            ahead = self._budget_sent / cap - (time.monotonic() - self._budget_start)
            if ahead > 0:
                time.sleep(ahead)

    def _reset(self) -> None:
        """Drop the connection abruptly: ``SO_LINGER`` 0 makes close send RST, not FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()
        self.close_connection = True


def _error_response(status: int) -> Response:
    """A bare server error page, as an overloaded legacy system sends it."""
    text = f"<html><body><h1>{status} Server Error</h1><p>Please try again later.</p></body></html>"
    return Response(status, html=text, headers={"Retry-After": "1"})


def serve(config: DemoConfig, announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C, first announcing the URL and the demo's (fake) credentials."""
    demo = DemoUniversity(config).start()
    try:
        announce(f"Demo university ({config.institution}) at {demo.base_url}/")
        announce(f"username: {demo.username}  password: {demo.password}")
        if config.truth_path:
            announce(f"truth file: {config.truth_path}")
        announce("Press Ctrl-C to stop.")
        threading.Event().wait()
    except KeyboardInterrupt:
        announce("stopped")
    finally:
        demo.stop()
