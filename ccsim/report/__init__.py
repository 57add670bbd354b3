"""The planner's report: one self-contained HTML page per run, opened offline in a browser.

>>> import ccsim
>>> from ccsim.report import render, render_folder
>>> results = ccsim.simulate("configs/quickstart.toml")   # doctest: +SKIP
>>> render(results, "out/quickstart/report.html")         # doctest: +SKIP
>>> render_folder("out/quickstart")                       # doctest: +SKIP (from saved tables)

The module itself is callable, so ``ccsim.report(results, path)`` is ``render(results, path)``.
Figures are in ``ccsim.report.figures`` (one function per figure, each returning a
``plotly.graph_objects.Figure``), the run's page in ``ccsim.report.page``, the parts of every
page in ``ccsim.report.parts``.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from ccsim.report.data import from_folder, from_results
from ccsim.report.page import build
from ccsim.report.parts import REPORT_NAME as REPORT_NAME
from ccsim.report.parts import write_report
from ccsim.report.sweep import render_sweep as render_sweep  # the sweep report
from ccsim.results import Results

__all__ = ["render", "render_folder", "render_sweep"]


def render(results: Results, path: str | Path, manifest: dict[str, Any] | None = None) -> Path:
    """Write the report of a ``Results`` object to ``path`` (an .html file, or a folder to hold
    ``report.html``); ``manifest`` adds run facts such as ``started`` or ``command``."""
    return write_report(build(from_results(results, manifest)), Path(path))


def render_folder(folder: str | Path, path: str | Path | None = None) -> Path:
    """Write the report of an output folder (saved tables and manifest.json) to ``path``
    (default: ``report.html`` in the folder); raises ``FileNotFoundError`` if a table is missing."""
    folder = Path(folder)
    return write_report(build(from_folder(folder)), Path(path) if path is not None else folder / REPORT_NAME)


class _CallableModule(types.ModuleType):
    """Lets ``ccsim.report(results, path)`` call ``render`` while ``ccsim.report`` stays a package."""

    def __call__(self, results: Results, path: str | Path, manifest: dict[str, Any] | None = None) -> Path:
        return render(results, path, manifest)


sys.modules[__name__].__class__ = _CallableModule
