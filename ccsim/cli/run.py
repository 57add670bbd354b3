"""``ccsim run``: simulate a scenario, print a summary, write the output folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ccsim.api import simulate
from ccsim.cli.common import command_line, progress_console, user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import ConfigPath, Prices, Quiet, Replications, Seed, Sets, Workers, out_option
from ccsim.cli.tables import LEGEND, moved_line, shortfall_lines, summary_table
from ccsim.economics.prices import has_prices
from ccsim.report import render
from ccsim.results import Results
from ccsim.scenario import Scenario

NO_PRICES = "no prices set: the costs in money.csv are zero (add them: --prices FILE, --set costs.KEY=...)"

Out = Annotated[Path | None, out_option("output folder (default: out/<config name>)")]
Plan = Annotated[
    Path | None,
    typer.Option(help="a staffing plan: the output folder of `ccsim optimize` (or its staffing.csv)"),
]
Contacts = Annotated[bool, typer.Option("--contacts/--no-contacts", help="write the per-contact table")]


@user_errors
def run(
    config: ConfigPath,
    out: Out = None,
    replications: Replications = None,
    seed: Seed = None,
    set_: Sets = None,
    prices: Prices = None,
    plan: Plan = None,
    contacts: Contacts = True,
    workers: Workers = None,
    quiet: Quiet = False,
) -> None:
    """Simulate a scenario; print a summary and write the output folder."""
    scenario = load_scenario(config, set_, prices, plan)
    reps = replications or scenario.scenario.replications
    started = time.time()
    console = progress_console(quiet)
    if quiet:
        results = simulate(scenario, replications=reps, seed=seed, contacts=contacts, workers=workers)
    else:
        results = _simulate_with_bar(scenario, reps, seed, contacts, workers, console)
    folder = out or Path("out") / config.stem
    facts = {"command": command_line(), "started": time.ctime(started)}
    results.write(folder, manifest=facts)
    render(results, folder / "report.html", manifest=facts)
    if not quiet:
        _print_summary(results, scenario, folder)


def _simulate_with_bar(
    scenario: Scenario, reps: int, seed: int | None, contacts: bool, workers: int | None, console: Console
) -> Results:
    """``simulate`` with a progress bar of the replications on ``console``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} replications"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(scenario.name, total=reps)
        return simulate(
            scenario,
            replications=reps,
            seed=seed,
            contacts=contacts,
            workers=workers,
            progress=lambda done, total: bar.update(task, completed=done),
        )


def _print_summary(results: Results, scenario: Scenario, folder: Path) -> None:
    """The summary table, the targets missed, the definitions in use and the warnings."""
    console = Console()
    console.print(summary_table(results))
    console.print(LEGEND, style="dim")
    for text in shortfall_lines(results):
        console.print(text, markup=False, highlight=False)
    moved = moved_line(results)
    if moved is not None:
        console.print(moved, markup=False, highlight=False)
    for channel, definition in results.sl_definitions.items():
        console.print(f"service level, {channel}: {definition}", style="dim")
    if not has_prices(scenario):
        console.print(NO_PRICES, style="dim")
    for w in results.warnings:
        console.print(f"warning: {w}", style="yellow")
    console.print(f"tables and report.html written to {folder}/ ({results.wall_time_s:.1f}s)")


def register(app: typer.Typer) -> None:
    app.command()(run)
