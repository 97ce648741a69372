"""Static chart export shared by every capability: one Plotly figure, PNG/SVG/PDF files.

Static export goes through kaleido with Debian's Chromium (``/usr/bin/chromium``; a browser is
never downloaded). :class:`ChartExporter` keeps one browser tab open for every chart of a run
and does not reload it between charts (kaleido's default reload costs ~0.2 s a chart).
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import plotly.graph_objects as go
from kaleido.kaleido import Kaleido

from gaffertape.atomic import atomic_write
from gaffertape.chromium import require_chromium

STATIC_FORMATS = ("png", "svg", "pdf")

class _KeptTabKaleido(Kaleido):
    """Kaleido that hands its tab back without reloading the page after each chart.

    kaleido reloads the page (plotly.js and all, ~0.2 s) after every chart; each render
    replaces the page's figure, so reusing the tab gives the same images about 5x faster.
    If a kaleido release renames this hook, the override is simply unused: slower, still right.
    """

    async def _return_kaleido_tab(self, tab: Any) -> None:
        await self.tabs_ready.put(tab)


class ChartExporter:
    """One browser tab for every static chart of a run, driven from ordinary sync code.

    kaleido is asyncio-based; the browser lives on an event loop in a background thread and
    :meth:`export` hands it one figure at a time, so callers can advance a progress bar per
    script. Files are written atomically.
    """

    def __enter__(self) -> ChartExporter:
        os.environ["BROWSER_PATH"] = require_chromium("static charts")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._kaleido = _KeptTabKaleido(n=1, mathjax=False)
        self._run(self._kaleido.__aenter__())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._run(self._kaleido.__aexit__(kind, error, trace))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def image(self, fig: go.Figure, fmt: str) -> bytes:
        """One figure as PNG, SVG or PDF bytes, at the figure's own size."""
        opts = {"format": fmt, "width": fig.layout.width, "height": fig.layout.height}
        return self._run(self._kaleido.calc_fig(fig.to_dict(), opts))

    def export(self, figures: list[go.Figure], paths: list[Path]) -> list[Path]:
        """Write figures as static images, format from each path's suffix."""
        for fig, path in zip(figures, paths, strict=True):
            data = self.image(fig, Path(path).suffix[1:])
            with atomic_write(Path(path)) as part:
                part.write_bytes(data)
        return [Path(p) for p in paths]


def export_static(figures: list[go.Figure], paths: list[Path]) -> list[Path]:
    """Write a few figures as static images in a browser session of their own."""
    if not figures:
        return []
    with ChartExporter() as exporter:
        return exporter.export(figures, paths)
