"""``ccsim report DIR``: render the HTML report again from a saved output folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ccsim.cli.common import user_errors


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def report(
        folder: Annotated[
            Path,
            typer.Argument(
                help="folder written by `ccsim run`, `ccsim sweep`, `ccsim backtest`, `ccsim optimize` "
                "or `ccsim frontier`"
            ),
        ],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="HTML file to write (default: DIR/report.html)")
        ] = None,
    ) -> None:
        """Render the self-contained HTML report from the saved tables of a run, a sweep, a
        back-test, a staffing plan or a frontier."""
        import json

        from ccsim.report import render_folder, render_sweep
        from ccsim.report.frontier_page import is_frontier_folder, render_frontier_folder
        from ccsim.report.plan_page import is_plan_folder, render_plan_folder

        manifest = folder / "manifest.json"
        kind = json.loads(manifest.read_text()).get("kind") if manifest.exists() else None
        try:
            if is_frontier_folder(folder):
                path = render_frontier_folder(folder, out)
            elif is_plan_folder(folder):
                path = render_plan_folder(folder, out)
            elif kind == "ccsim sweep":
                path = render_sweep(folder, out)
            else:
                path = render_folder(folder, out)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(code=2) from None
        print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
