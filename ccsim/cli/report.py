"""``ccsim report DIR``: render the HTML report again from a saved output folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ccsim.cli.common import user_errors
from ccsim.cli.options import out_option
from ccsim.report import render_folder, render_sweep
from ccsim.report.frontier_page import is_frontier_folder, render_frontier_folder
from ccsim.report.plan_page import is_plan_folder, render_plan_folder

Folder = Annotated[
    Path,
    typer.Argument(
        help="folder written by `ccsim run`, `ccsim sweep`, `ccsim backtest`, `ccsim optimize` "
        "or `ccsim frontier`"
    ),
]
Out = Annotated[Path | None, out_option("HTML file to write (default: DIR/report.html)")]


@user_errors
def report(folder: Folder, out: Out = None) -> None:
    """Render the self-contained HTML report from the saved tables of a run, a sweep, a
    back-test, a staffing plan or a frontier."""
    try:
        path = _render(folder, out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _render(folder: Path, out: Path | None) -> Path:
    """The page of the folder's kind: a frontier, a staffing plan, a sweep or a run."""
    if is_frontier_folder(folder):
        return render_frontier_folder(folder, out)
    if is_plan_folder(folder):
        return render_plan_folder(folder, out)
    manifest = folder / "manifest.json"
    kind = json.loads(manifest.read_text()).get("kind") if manifest.exists() else None
    if kind == "ccsim sweep":
        return render_sweep(folder, out)
    return render_folder(folder, out)


def register(app: typer.Typer) -> None:
    app.command()(report)
