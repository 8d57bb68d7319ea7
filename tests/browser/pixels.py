"""Read what a canvas really drew, and point at its cells."""

from __future__ import annotations

import base64
import pathlib
import re

import numpy as np

_READ_CANVAS = """(el) => {
  const ctx = el.getContext("2d");
  const data = ctx.getImageData(0, 0, el.width, el.height).data;
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  }
  return {width: el.width, height: el.height, pixels: btoa(binary)};
}"""


def canvas_rgba(page, selector: str) -> np.ndarray:
    """The canvas's pixels as ``[height, width, 4]`` uint8."""
    result = page.locator(selector).first.evaluate(_READ_CANVAS)
    pixels = np.frombuffer(base64.b64decode(result["pixels"]), dtype=np.uint8)
    return pixels.reshape(result["height"], result["width"], 4)


def cell_colors(rgba: np.ndarray, n: int) -> np.ndarray:
    """The RGB colour at the centre of each cell of an ``n x n`` heatmap: ``[n, n, 3]``."""
    cell_h, cell_w = rgba.shape[0] / n, rgba.shape[1] / n
    rows = ((np.arange(n) + 0.5) * cell_h).astype(int)
    cols = ((np.arange(n) + 0.5) * cell_w).astype(int)
    return rgba[rows[:, None], cols[None, :], :3].astype(int)


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def cell_center(page, selector: str, n: int, row: int, col: int) -> tuple[float, float]:
    """Page coordinates of the centre of cell (row, col) of an ``n x n`` heatmap canvas."""
    box = page.locator(selector).first.bounding_box()
    return box["x"] + (col + 0.5) * box["width"] / n, box["y"] + (row + 0.5) * box["height"] / n


_LIB = pathlib.Path(__file__).resolve().parents[2] / "js" / "src" / "lib"


def _stop_colors(source: pathlib.Path, name: str) -> np.ndarray:
    """The 256 colours of the stops named ``name`` in a TS file: ``[256, 3]`` ints.

    Recomputed like ``buildColors`` in ``js/src/lib/colormap.ts`` (linear interpolation in
    sRGB, rounded half up), so a test can say which exact pixel a value must give.
    """
    block = re.search(name + r"[^=]*=\s*\[(.*?)\];", source.read_text(), re.S).group(1)
    stops = [
        (float(t), hex_)
        for t, hex_ in re.findall(r"\[\s*([\d.]+)\s*,\s*\"#([0-9a-fA-F]{6})\"\s*\]", block)
    ]
    positions = np.array([t for t, _ in stops])
    rgb = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for _, h in stops], dtype=float)
    t = np.arange(256) / 255
    channels = [np.interp(t, positions, rgb[:, c]) for c in range(3)]
    return np.floor(np.stack(channels, axis=1) + 0.5).astype(int)


def probability_colors(dark: bool) -> np.ndarray:
    """The 256 colours the views use for probabilities ``i / 255``: ``[256, 3]`` ints."""
    return _stop_colors(_LIB / "colormap.ts", "DARK_STOPS" if dark else "LIGHT_STOPS")


def diverging_colors(dark: bool) -> np.ndarray:
    """The 256 colours of the activation map (``js/src/lib/diverging.ts``): ``[256, 3]``."""
    name = "DARK_DIVERGING_STOPS" if dark else "LIGHT_DIVERGING_STOPS"
    return _stop_colors(_LIB / "diverging.ts", name)


def expected_colors(values: np.ndarray, dark: bool, scale: float | None = None) -> np.ndarray:
    """``[N, 3]`` colours of ``values`` on ``scale`` (default: their largest magnitude)."""
    scale = scale or np.abs(values).max() or 1.0
    t = 0.5 + 0.5 * values.astype(np.float64) / scale
    index = np.where(t > 0, np.where(t >= 1, 255, np.floor(t * 255 + 0.5)), 0).astype(int)
    return diverging_colors(dark)[index]


def css_rgb(page, selector: str) -> np.ndarray:
    """Computed background colours of the elements matching ``selector``: ``[n, 3]``."""
    colors = page.eval_on_selector_all(
        selector, "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    return np.array([[int(c) for c in re.findall(r"\d+", color)[:3]] for color in colors])
