"""The planner's report: one self-contained HTML page per run, opened offline in a browser.

>>> import ccsim
>>> from ccsim.report import render, render_folder
>>> results = ccsim.simulate("configs/quickstart.toml")   # doctest: +SKIP
>>> render(results, "out/quickstart/report.html")         # doctest: +SKIP
>>> render_folder("out/quickstart")                       # doctest: +SKIP (from saved tables)

The module itself is callable, so ``ccsim.report(results, path)`` is ``render(results, path)``.
Figures are in ``ccsim.report.figures`` (one function per figure, each returning a
``plotly.graph_objects.Figure``), the page in ``ccsim.report.page``.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from ccsim.report.sweep import render_sweep as render_sweep  # the sweep report

__all__ = ["render", "render_folder"]

REPORT_NAME = "report.html"


def render(results: Any, path: str | Path, manifest: dict[str, Any] | None = None) -> Path:
    """Write the report of a ``Results`` object to ``path`` (an .html file, or a folder to hold
    ``report.html``); ``manifest`` adds run facts such as ``started`` or ``command``."""
    from ccsim.report.data import from_results
    from ccsim.report.page import build

    return _write(build(from_results(results, manifest)), Path(path))


def render_folder(folder: str | Path, path: str | Path | None = None) -> Path:
    """Write the report of an output folder (saved tables and manifest.json) to ``path``
    (default: ``report.html`` in the folder); raises ``FileNotFoundError`` if a table is missing."""
    from ccsim.report.data import from_folder
    from ccsim.report.page import build

    folder = Path(folder)
    return _write(build(from_folder(folder)), Path(path) if path is not None else folder / REPORT_NAME)


def _write(text: str, path: Path) -> Path:
    if path.is_dir() or (not path.suffix and not path.exists()):
        path = path / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class _CallableModule(types.ModuleType):
    """Lets ``ccsim.report(results, path)`` call ``render`` while ``ccsim.report`` stays a package."""

    def __call__(self, results: Any, path: str | Path, manifest: dict[str, Any] | None = None) -> Path:
        return render(results, path, manifest)


sys.modules[__name__].__class__ = _CallableModule
