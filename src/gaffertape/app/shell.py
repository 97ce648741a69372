"""The app shell: one Dash app, navigation built from the page registry, the token guard.

The shell owns only what every page shares: the header and navigation, routing a URL path to a
registered page's ``layout()``, the workspace (:mod:`gaffertape.app.context`) and the door
(:mod:`gaffertape.app.security`). Everything else is a page, registered through
:mod:`gaffertape.app.registry` the way commands are registered with the CLI.

Dash keeps callbacks made with ``dash.callback`` in a global list that the first app takes, so
there is one app per process (``gaffertape app`` runs one; tests start it as a subprocess).
"""

from __future__ import annotations

import inspect
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import dash
from dash import Input, Output, dcc, html
from werkzeug.serving import WSGIRequestHandler, make_server

from gaffertape.app.context import set_workspace
from gaffertape.app.registry import ROUTES, AppPage, all_pages
from gaffertape.app.security import install_guard
from gaffertape.workspace import Workspace

ASSETS = Path(__file__).with_name("assets")
log = logging.getLogger("gaffertape.app")

INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def create_app(workspace: Workspace, token: str) -> dash.Dash:
    """The Dash app over ``workspace``, every route behind ``token``."""
    set_workspace(workspace)
    pages = all_pages()  # imports each page module, which registers its callbacks
    app = dash.Dash(
        __name__,
        title="gaffertape",
        update_title=None,
        assets_folder=str(ASSETS),
        index_string=INDEX,
        suppress_callback_exceptions=True,  # pages' components appear only when routed to
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    install_guard(app.server, token)
    for rule, view in ROUTES:
        app.server.add_url_rule(rule, endpoint=f"{view.__module__}.{view.__name__}", view_func=view)
    app.layout = _frame(pages, workspace)
    by_path = {page.path: page for page in pages}

    @app.callback(Output("page", "children"), Output("nav", "children"),
                  Input("url", "pathname"), Input("url", "search"))
    def route(pathname: str | None, search: str | None) -> tuple[Any, Any]:
        path = pathname or "/"
        query = dict(parse_qsl((search or "").lstrip("?")))
        return _render(by_path.get(path), path, query, pages, workspace), _nav(pages, path)

    return app


def _frame(pages: list[AppPage], workspace: Workspace) -> html.Div:
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        html.A("Skip to content", href="#page", className="skip-link"),
        html.Header([
            dcc.Link("gaffertape", href="/", className="brand"),
            html.Nav(_nav(pages, "/"), id="nav", **{"aria-label": "Pages"}),
            html.Span(str(workspace.root), className="workspace", title="Workspace folder"),
        ], className="top"),
        html.Main(id="page", tabIndex="-1"),
    ], className="shell")


def _nav(pages: list[AppPage], current: str) -> list[Any]:
    return [dcc.Link(page.title, href=page.path,
                     className="nav-link current" if page.path == current else "nav-link")
            for page in pages]


def _render(page: AppPage | None, path: str, query: dict[str, str], pages: list[AppPage],
            workspace: Workspace) -> Any:
    if path == "/":
        return _home(pages, workspace)
    if page is None:
        return [html.H1("Page not found"),
                html.P(["There is no page at ", html.Code(path), ". ",
                        dcc.Link("Go to the start page", href="/"), "."])]
    try:
        return page.layout(**_accepted(page.layout, query))
    except Exception as exc:  # one broken page must not take the app down
        log.exception("page %s failed", path)
        return [html.H1(page.title),
                html.P(f"This page could not be shown: {type(exc).__name__}: {exc}",
                       className="page-error", role="alert")]


def _accepted(layout: Any, query: dict[str, str]) -> dict[str, str]:
    """The URL's query parameters that ``layout`` takes (``/script?pi=A1234567`` gives
    ``layout(pi="A1234567")``); a layout without parameters gets none."""
    parameters = inspect.signature(layout).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return query
    names = {p.name for p in parameters}
    return {k: v for k, v in query.items() if k in names}


def _home(pages: list[AppPage], workspace: Workspace) -> list[Any]:
    return [
        html.H1("gaffertape"),
        html.P(["Workspace ", html.Code(str(workspace.root)), "."]),
        html.Ul([html.Li(dcc.Link(page.title, href=page.path)) for page in pages]
                or [html.Li("No pages are registered.")], className="home-list"),
    ]


class _QuietHandler(WSGIRequestHandler):
    """No access log: the first request's URL carries the token, and logs are kept."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        return None


class AppServer:
    """The app on a real HTTP server (threaded werkzeug), in this thread or a background one."""

    def __init__(self, app: dash.Dash, host: str, port: int) -> None:
        self._server = make_server(host, port, app.server, threaded=True,
                                   request_handler=_QuietHandler)
        self.host, self.port = host, self._server.server_port

    def url(self, token: str | None = None) -> str:
        host = "127.0.0.1" if self.host in {"0.0.0.0", ""} else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/" + (f"?token={token}" if token else "")

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="gaffertape-app", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        self._server.shutdown()
