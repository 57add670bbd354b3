"""The ``ccsim`` command line: thin wrappers over the public API.

Each command lives in its own module (``validate`` and ``schema`` share ``inspect``) and
registers itself on ``app``; options several commands share are defined once in
``ccsim.cli.options``, and every command reads its scenario through ``ccsim.cli.loader``. User
errors (a bad config) print one clear message and exit with code 2, without a traceback. Help
texts are plain text (no Rich markup), so a ``[table]`` in them is shown as written.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ccsim import __version__
from ccsim.cli import (
    backtest,
    calibrate,
    erlang,
    frontier,
    inspect,
    optimize,
    report,
    run,
    sensitivity,
    sweep,
)

app = typer.Typer(
    name="ccsim",
    help="Contact-centre simulator: wait times, abandonment, service level, occupancy and cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        print(f"ccsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="show the version and exit"),
    ] = False,
) -> None:
    """Contact-centre simulator: wait times, abandonment, service level, occupancy and cost."""


run.register(app)
inspect.register(app)
erlang.register(app)
report.register(app)
optimize.register(app)
frontier.register(app)
sensitivity.register(app)
calibrate.register(app)
backtest.register(app)
sweep.register(app)


def main() -> None:
    app()
