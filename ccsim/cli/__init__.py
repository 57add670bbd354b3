"""The ``ccsim`` command line: thin wrappers over the public API.

Each command lives in its own module and registers itself on ``app``. Heavy imports happen
inside the commands so that ``ccsim --help`` is instant. User errors (a bad config) print one
clear message and exit with code 2, without a traceback.
"""

from __future__ import annotations

import typer

from ccsim.cli import calibrate, erlang, frontier, inspect, optimize, report, run, sensitivity, sweep

app = typer.Typer(
    name="ccsim",
    help="Contact-centre simulator: wait times, abandonment, service level, occupancy and cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

run.register(app)
inspect.register(app)
erlang.register(app)
report.register(app)
optimize.register(app)
frontier.register(app)
sensitivity.register(app)
calibrate.register(app)
sweep.register(app)


def main() -> None:
    app()
