"""Static chart export shared by every capability: Plotly figures as PNG, SVG or PDF files.

One headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright; a browser is never
downloaded) serves a whole run. Each worker page loads plotly.js once; figures are then drawn
in batches, many per call into the page: Plotly draws a figure into one kept ``div``, its SVG
is taken with Plotly's own ``Snapshot.toSVG`` (what ``Plotly.toImage`` does after cloning the
figure) and, for PNG, rasterised on a canvas in the page. A round trip per chart through a
render server (kaleido: ~0.1 s a chart even with a kept tab) becomes one per batch, and two
worker pages (two renderer processes) draw while Python builds the next batch.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

from gaffertape.atomic import atomic_write, write_text_atomic
from gaffertape.chromium import HEADLESS_ARGS, require_chromium
from gaffertape.errors import UserError

STATIC_FORMATS = ("png", "svg", "pdf")

Key = TypeVar("Key")

#: In the page: draw each figure into one kept div and return its SVG text and/or PNG (base64).
#: A figure that fails is returned as {"error": message}, so the others still come back.
RENDER_JS = """
window.gaffertapeRender = async (requests) => {
  const div = document.getElementById("chart");
  const out = [];
  for (const request of requests) {
    try {
      const fig = JSON.parse(request.figure);
      const width = fig.layout.width || 700, height = fig.layout.height || 500;
      const layout = Object.assign({}, fig.layout, {width, height});
      await Plotly.newPlot(div, fig.data, layout, {staticPlot: true, displaylogo: false});
      const svg = Plotly.Snapshot.toSVG(div, "svg", 1);
      const images = {width, height};
      if (request.formats.includes("svg") || request.formats.includes("pdf")) images.svg = svg;
      if (request.formats.includes("png")) {
        const url = await Plotly.Snapshot.svgToImg(
          {svg, format: "png", width, height, scale: 1, promise: true,
           canvas: document.createElement("canvas")});
        images.png = url.slice(url.indexOf(",") + 1);
      }
      out.push(images);
    } catch (error) {
      out.push({error: String(error && error.message || error)});
    }
  }
  Plotly.purge(div);
  return out;
};
"""

#: The worker page. plotly.js comes from plotly's own package file, loaded by the browser from
#: disk: it can then parse it off the main thread, ~4x faster to start than inline (measured).
PAGE = ("<!doctype html><html><head><meta charset='utf-8'><script src='{plotlyjs}'></script>"
        "<script>{render}</script></head><body><div id='chart'></div></body></html>")


@functools.cache
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def figure_json(fig: go.Figure | dict) -> str:
    """A figure (a ``go.Figure`` or a plain figure dict) as JSON for the page.

    A plain dict gets Plotly's default template as ``go.Figure`` would give it, so both draw
    the same image; a dict skips Plotly's validation (~10 ms a figure). The template is cut to
    the trace types the figure draws: it carries defaults for every type (~7 KB), only the
    figure's own can change how it looks, and the rest cost Plotly time to merge."""
    spec = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    layout = dict(spec.get("layout") or {})
    if "template" not in layout and pio.templates.default:
        layout["template"] = _template(pio.templates.default)
    template = layout.get("template")
    if isinstance(template, dict) and "data" in template:
        used = {trace.get("type", "scatter") for trace in spec.get("data", [])}
        layout["template"] = {**template, "data": {kind: value for kind, value in
                                                   template["data"].items() if kind in used}}
    return json.dumps({"data": spec.get("data", []), "layout": layout}, cls=PlotlyJSONEncoder)


class ChartExporter:
    """One browser for every static chart of a run, driven from ordinary sync code.

    Playwright's async API runs on an event loop in a background thread, so callers stay
    synchronous and can advance a progress bar per item while the browser draws. ``workers``
    pages, each in its own browser context (its own renderer process), share each batch.
    Files are written atomically.
    """

    def __init__(self, *, workers: int = 2, batch: int = 24) -> None:
        self.workers, self.batch = workers, batch

    def __enter__(self) -> ChartExporter:
        browser_path = require_chromium("static charts")
        self._files = contextlib.ExitStack()
        plotlyjs = self._files.enter_context(resources.as_file(
            resources.files("plotly") / "package_data" / "plotly.min.js"))
        folder = Path(self._files.enter_context(tempfile.TemporaryDirectory(prefix="gt-charts-")))
        self._page_url = write_text_atomic(folder / "charts.html", PAGE.format(
            plotlyjs=plotlyjs.as_uri(), render=RENDER_JS)).as_uri()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        try:
            self._run(self._start(browser_path))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    async def _start(self, browser_path: str) -> None:
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=browser_path, args=[a for a in HEADLESS_ARGS if a != "--headless"])
        self._pages = await asyncio.gather(*(self._new_page() for _ in range(self.workers)))
        self._pdf_page = None

    async def _new_page(self) -> Any:
        page = await (await self._browser.new_context()).new_page()
        await page.goto(self._page_url)
        return page

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if getattr(self, "_playwright", None) is not None:
                self._run(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()
            self._files.close()

    async def _stop(self) -> None:
        try:
            await self._browser.close()
        finally:
            await self._playwright.stop()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    # --- drawing -----------------------------------------------------------------------------

    def submit(self, figures: list[go.Figure], formats: tuple[str, ...]) -> Future:
        """Start drawing ``figures`` in every format of ``formats``; the future gives one
        ``{format: bytes}`` per figure, in order."""
        unknown = set(formats) - set(STATIC_FORMATS)
        if unknown:
            raise UserError(f"static chart formats {sorted(unknown)} not supported",
                            hint="use png, svg and/or pdf")
        requests = [{"figure": figure_json(fig), "formats": list(formats)} for fig in figures]
        return asyncio.run_coroutine_threadsafe(self._draw(requests, formats), self._loop)

    async def _draw(self, requests: list[dict], formats: tuple[str, ...]) -> list[dict]:
        share = -(-len(requests) // len(self._pages))  # ceiling: contiguous slices, in order
        parts = await asyncio.gather(*(
            page.evaluate("requests => window.gaffertapeRender(requests)",
                          requests[n * share:(n + 1) * share])
            for n, page in enumerate(self._pages) if requests[n * share:(n + 1) * share]))
        drawn = [result for part in parts for result in part]
        return [await self._images(result, formats) for result in drawn]

    async def _images(self, drawn: dict, formats: tuple[str, ...]) -> dict[str, bytes]:
        if "error" in drawn:
            raise UserError(f"a chart could not be drawn: {drawn['error']}",
                            hint="check the figure's data and layout")
        images = {}
        for fmt in formats:
            if fmt == "svg":
                images[fmt] = drawn["svg"].encode("utf-8")
            elif fmt == "png":
                images[fmt] = base64.b64decode(drawn["png"])
            else:
                images[fmt] = await self._pdf(drawn["svg"], drawn["width"], drawn["height"])
        return images

    async def _pdf(self, svg: str, width: int, height: int) -> bytes:
        """One chart as a one-page vector PDF of the chart's own size."""
        if self._pdf_page is None:
            self._pdf_page = await (await self._browser.new_context()).new_page()
        await self._pdf_page.set_content(
            f"<!doctype html><html><head><style>@page {{ margin: 0 }} html, body {{ margin: 0 }}"
            f"</style></head><body>{svg}</body></html>")
        return await self._pdf_page.pdf(width=f"{width}px", height=f"{height + 1}px",
                                        print_background=True, page_ranges="1")

    def images(self, figures: list[go.Figure], formats: tuple[str, ...]) -> list[dict]:
        """Each figure in every format asked for, as ``{format: bytes}``, in order."""
        return self.submit(figures, formats).result()

    def image(self, fig: go.Figure, fmt: str) -> bytes:
        """One figure as PNG, SVG or PDF bytes, at the figure's own size."""
        return self.images([fig], (fmt,))[0][fmt]

    def stream(self, items: Iterable[tuple[Key, list[go.Figure]]], formats: tuple[str, ...]
               ) -> Iterator[tuple[Key, list[dict[str, bytes]]]]:
        """``(key, images of its figures)`` for each ``(key, figures)`` item, in order.

        Items are drawn in batches of about ``batch`` figures. While the browser draws one
        batch, the caller's iterator builds the next and the caller writes the previous one,
        so Python and Chromium work at the same time on the two cores.
        """
        in_flight: deque[tuple[list[tuple[Key, int]], Future]] = deque()
        keys: list[tuple[Key, int]] = []
        figures: list[go.Figure] = []
        for key, figs in items:
            keys.append((key, len(figs)))
            figures += figs
            if len(figures) >= self.batch:
                in_flight.append((keys, self.submit(figures, formats)))
                keys, figures = [], []
                if len(in_flight) > 1:
                    yield from _per_item(*in_flight.popleft())
        if keys:
            in_flight.append((keys, self.submit(figures, formats)))
        while in_flight:
            yield from _per_item(*in_flight.popleft())

    def export(self, figures: list[go.Figure], paths: list[Path]) -> list[Path]:
        """Write figures as static images, the format from each path's suffix."""
        paths = [Path(p) for p in paths]
        if len(paths) != len(figures):
            raise ValueError(f"{len(figures)} figures but {len(paths)} paths")
        for fmt in dict.fromkeys(p.suffix[1:] for p in paths):
            chosen = [n for n, p in enumerate(paths) if p.suffix[1:] == fmt]
            for n, images in zip(chosen, self.images([figures[n] for n in chosen], (fmt,)),
                                 strict=True):
                with atomic_write(paths[n]) as part:
                    part.write_bytes(images[fmt])
        return paths


def _per_item(keys: list[tuple[Any, int]], future: Future) -> Iterator[tuple[Any, list]]:
    images = future.result()
    start = 0
    for key, count in keys:
        yield key, images[start:start + count]
        start += count


def export_static(figures: list[go.Figure], paths: list[Path]) -> list[Path]:
    """Write a few figures as static images in a browser session of their own."""
    if not figures:
        return []
    with ChartExporter(workers=1) as exporter:
        return exporter.export(figures, paths)
