"""How a capability adds pages to the app, the way it adds commands to the CLI.

Each capability that has pages provides a module (listed in :data:`APP_PAGE_MODULES`) with a
function ``pages() -> list[AppPage]``. The shell imports those modules when the app starts,
asks each for its pages, puts them in the navigation by ``order``, and serves ``layout()`` at
``path``. A page's callbacks are registered with ``dash.callback`` (the global decorator) at
import time of its module, so the page module needs no reference to the app object.

Pages read the workspace through :func:`gaffertape.app.context.current_workspace` (set by the
shell), never a path of their own, and call the capability's public Python API, never a copy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# capability -> module whose pages() lists its app pages (mirrors cli.CAPABILITY_GROUPS).
APP_PAGE_MODULES: dict[str, str] = {
    "sites": "gaffertape.sites.app_pages",
    "marking": "gaffertape.marking.app_pages",
    "sheets": "gaffertape.sheets.app_pages",
    "ouxml": "gaffertape.ouxml.app_pages",
    "demographics": "gaffertape.demographics.app_pages",
    "sql": "gaffertape.sql.app_pages",
}


@dataclass(frozen=True)
class AppPage:
    """One page of the app."""

    path: str  # URL path, e.g. "/allocation"; unique across the app
    title: str  # shown in the navigation and the browser tab
    layout: Callable[..., Any]  # returns the page's Dash component tree; called per visit,
    # with the URL's query parameters that it names as keyword arguments (/script?pi=X: pi="X")
    order: int = 100  # position in the navigation (lower first)
    capability: str = ""  # filled in by the shell: which capability the page belongs to


ROUTES: list[tuple[str, Callable[..., Any]]] = []
"""Extra HTTP routes pages add (file downloads): (Flask rule, view). The shell installs them
behind the same token as every other route."""


def add_route(rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a page module's Flask view, e.g. a file to open or download. Use it at
    import time, like ``dash.callback``; the view reads the workspace from the app context."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append((rule, view))
        return view

    return register


def all_pages() -> list[AppPage]:
    """Every registered capability's pages, in navigation order."""
    found: list[AppPage] = []
    for capability, module_name in APP_PAGE_MODULES.items():
        module = importlib.import_module(module_name)
        for page in module.pages():
            found.append(AppPage(page.path, page.title, page.layout, page.order, capability))
    paths = [p.path for p in found]
    duplicated = sorted({p for p in paths if paths.count(p) > 1})
    if duplicated:
        raise ValueError(f"app pages registered twice: {', '.join(duplicated)}")
    return sorted(found, key=lambda p: (p.order, p.path))
