"""Read what a canvas really drew, and point at its cells."""

from __future__ import annotations

import numpy as np

_READ_CANVAS = """(el) => {
  const ctx = el.getContext("2d");
  const data = ctx.getImageData(0, 0, el.width, el.height).data;
  return {width: el.width, height: el.height, pixels: Array.from(data)};
}"""


def canvas_rgba(page, selector: str) -> np.ndarray:
    """The canvas's pixels as ``[height, width, 4]`` uint8."""
    result = page.locator(selector).first.evaluate(_READ_CANVAS)
    return np.array(result["pixels"], dtype=np.uint8).reshape(result["height"], result["width"], 4)


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
