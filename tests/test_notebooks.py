"""Every notebook in notebooks/ runs top to bottom (nbclient) within its budget."""

from __future__ import annotations

import pytest

from tests.conftest import NOTEBOOKS


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, executed_notebook):
    notebook = executed_notebook(path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
