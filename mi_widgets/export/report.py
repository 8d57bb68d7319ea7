"""Notebook reports: run a notebook headless if asked, and write it as one offline HTML file."""

from __future__ import annotations

import pathlib
from typing import Any

from .html import Theme
from .notebook import DEFAULT_REPORT_MAX_BYTES, OfflineOutputs


def execute_notebook(notebook: Any, directory: str | pathlib.Path, timeout: int = 600) -> Any:
    """Run every cell of ``notebook`` (an ``nbformat`` node, changed in place) with the
    ``python3`` kernel in ``directory``; widget state is stored in the notebook.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (its traceback in the message).

    Example:
        >>> notebook = nbformat.read("a.ipynb", 4)      # doctest: +SKIP
        >>> execute_notebook(notebook, ".")              # doctest: +SKIP

        (Skipped when the docstrings are tested: it starts a Python kernel, seconds.)
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(directory)}},
    )
    client.execute()
    return notebook


def report_html(
    notebook: Any,
    *,
    directory: str | pathlib.Path = ".",
    name: str = "notebook",
    max_bytes: int = DEFAULT_REPORT_MAX_BYTES,
    theme: Theme = "light",
) -> tuple[str, OfflineOutputs]:
    """The offline report page of ``notebook`` (an ``nbformat`` node, not changed) and what
    it shows; ``directory`` is where relative markdown images are read from, ``name`` the
    page title unless the notebook's metadata has one.

    Example:
        >>> import nbformat
        >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Notes")])
        >>> page, found = report_html(notebook)
        >>> found.views, found.figures, found.placeholders
        (0, 0, 0)
    """
    from .nbconvert import MiHtmlExporter

    exporter = MiHtmlExporter(max_bytes=max_bytes, theme=theme)
    resources: dict[str, Any] = {"metadata": {"name": name, "path": str(directory)}}
    page, resources = exporter.from_notebook_node(notebook, resources)
    return page, resources["mi_widgets"]["found"]


def write_report(
    source: str | pathlib.Path,
    output: str | pathlib.Path,
    *,
    execute: bool = False,
    timeout: int = 600,
    max_bytes: int = DEFAULT_REPORT_MAX_BYTES,
    theme: Theme = "light",
) -> OfflineOutputs:
    """Write the notebook file ``source`` as one self-contained HTML report at ``output``.

    Args:
        source: an ``.ipynb`` file, as saved (JupyterLab, Notebook 7) or executed headless.
        output: the HTML file to write.
        execute: run the notebook first (in its directory; the file is not changed).
        timeout: seconds one cell may take when executing.
        max_bytes: raw bytes of view data to embed (see :func:`offline_outputs`).
        theme: ``"light"`` or ``"dark"``.

    Returns:
        Counts of the views, figures and placeholders shown, and the slices left out.

    Example:
        >>> import nbformat
        >>> nbformat.write(nbformat.v4.new_notebook(), "analysis.ipynb")
        >>> write_report("analysis.ipynb", "analysis.html").views
        0

        With ``execute=True`` the notebook runs first (a Python kernel; not run when the
        docstrings are tested).
    """
    import nbformat

    source = pathlib.Path(source)
    notebook = nbformat.read(source, as_version=4)
    if execute:
        execute_notebook(notebook, source.parent, timeout)
    page, found = report_html(
        notebook, directory=source.parent, name=source.stem, max_bytes=max_bytes, theme=theme
    )
    pathlib.Path(output).write_text(page, encoding="utf-8")
    return found
