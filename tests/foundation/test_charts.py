"""The shared static chart exporter (gaffertape.charts): batches drawn in the browser must give
every figure its own valid image, in order, in every format, the same as one at a time."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import plotly.graph_objects as go
import pytest
from lxml import etree
from pypdf import PdfReader

from gaffertape.charts import ChartExporter, export_static, figure_json
from gaffertape.errors import UserError

SVG = "{http://www.w3.org/2000/svg}"


def bar(title: str, width: int = 500, height: int = 300) -> dict:
    """A small plain figure dict whose title says which it is."""
    return {"data": [{"type": "bar", "x": ["a", "b", "c"], "y": [1, len(title), 3]}],
            "layout": {"title": {"text": title}, "width": width, "height": height}}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_title(data: bytes) -> str:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{SVG}svg" and "main-svg" in root.get("class")
    return "".join(root.find(f".//{SVG}text[@class='gtitle']").itertext())


@pytest.fixture(scope="module")
def exporter():
    with ChartExporter(workers=2, batch=3) as exporter:
        yield exporter


def test_a_batch_gives_each_figure_its_own_valid_images(exporter) -> None:
    figures = [bar(f"chart {n}", width=400 + 10 * n, height=250 + 5 * n) for n in range(5)]
    images = exporter.images(figures, ("svg", "png", "pdf"))
    assert len(images) == 5
    for n, image in enumerate(images):
        assert svg_title(image["svg"]) == f"chart {n}"  # the right figure, in order
        root = etree.fromstring(image["svg"])
        assert (root.get("width"), root.get("height")) == (str(400 + 10 * n), str(250 + 5 * n))
        assert root.findall(f".//{SVG}g[@class='trace bars']")
        assert png_size(image["png"]) == (400 + 10 * n, 250 + 5 * n)
        pdf = PdfReader(io.BytesIO(image["pdf"]))
        assert len(pdf.pages) == 1 and f"chart {n}" in pdf.pages[0].extract_text()
        box = pdf.pages[0].mediabox  # CSS pixels are 0.75 pt
        assert abs(float(box.width) - (400 + 10 * n) * 0.75) < 2


def test_a_plain_dict_and_a_figure_draw_the_same_image(exporter) -> None:
    spec = bar("same either way")
    from_dict, from_figure = exporter.images([spec, go.Figure(spec)], ("png",))
    assert from_dict["png"] == from_figure["png"]  # the dict got the default template too
    assert '"bar"' in figure_json(spec) and '"scatter3d"' not in figure_json(spec)


def test_stream_keeps_items_in_order_across_batches(exporter) -> None:
    items = [(f"item {n}", [bar(f"item {n} chart {k}") for k in range(1 + n % 2)])
             for n in range(7)]  # 10 figures in batches of 3, two pages
    seen = []
    for key, images in exporter.stream(iter(items), ("svg",)):
        seen.append(key)
        assert [svg_title(i["svg"]) for i in images] == [
            f"{key} chart {k}" for k in range(len(images))]
    assert seen == [key for key, _ in items]


def test_export_writes_each_path_in_its_own_format(tmp_path: Path) -> None:
    figures = [go.Figure(bar("one")), go.Figure(bar("two"))]
    paths = [tmp_path / "one.png", tmp_path / "two.svg"]
    assert export_static(figures, paths) == paths
    assert png_size(paths[0].read_bytes()) == (500, 300)
    assert svg_title(paths[1].read_bytes()) == "two"
    assert not list(tmp_path.glob(".*part"))  # written atomically, nothing left behind


def test_unknown_format_is_a_user_error(exporter) -> None:
    with pytest.raises(UserError, match="jpeg"):
        exporter.images([bar("x")], ("jpeg",))
