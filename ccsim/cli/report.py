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
        folder: Annotated[Path, typer.Argument(help="output folder written by `ccsim run` or `ccsim sweep`")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="HTML file to write (default: DIR/report.html)")
        ] = None,
    ) -> None:
        """Render the self-contained HTML report from a run's (or a sweep's) saved tables."""
        import json

        from ccsim.report import render_folder, render_sweep

        manifest = folder / "manifest.json"
        kind = json.loads(manifest.read_text()).get("kind") if manifest.exists() else None
        try:
            path = render_sweep(folder, out) if kind == "ccsim sweep" else render_folder(folder, out)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(code=2) from None
        print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
