"""Every notebook in docs/notebooks runs from top to bottom (in the venv's own Python), so a
notebook that stops working fails the tests. Notebooks keep short settings in the cell tagged
``parameters``."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} >= {
        "what-if-sweep.ipynb",
        "staffing-comparison.ipynb",
        "frontier-and-sensitivity.ipynb",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "one cell tagged 'parameters' holds the settings"
    probe = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    nb.cells.append(probe)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    assert probe.outputs[0]["text"].strip() == sys.executable  # the venv's Python, not another one
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in shown if o.get("output_type") == "error"]
    figures = [o for o in shown if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert figures, "the notebook draws its plotly figures inline"
