"""``ccsim run``: simulate a scenario, print a summary, write the output folder."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ccsim.cli.common import user_errors

NO_PRICES = "no prices set: the costs in money.csv are zero (add them: --prices FILE, --set costs.KEY=...)"


def parse_set(items: list[str]) -> dict[str, Any]:
    """``PATH=VALUE`` pairs; VALUE is read as a TOML value if it is one, else as a string."""
    import tomllib

    from ccsim.config.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError([f"--set {item!r}: write PATH=VALUE, e.g. agents.pool.count=105"])
        path, value = item.split("=", 1)
        try:
            parsed: Any = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value
        out[path.strip()] = parsed
    return out


def load_with_overrides(
    config: Path, sets: list[str] | None, prices: Path | None = None, plan: Path | None = None
) -> Any:
    """The scenario of ``config`` with a staffing plan of ``ccsim optimize``, the prices of a
    prices file and the ``--set`` overrides, applied in this order (the most specific last) and
    validated once; the plan is checked against the scenario with the ``--set`` overrides."""
    import ccsim
    from ccsim.config.loader import read_toml
    from ccsim.economics.prices import price_overrides
    from ccsim.scenario import plan_overrides

    scenario = ccsim.load(config)
    sets_ = parse_set(sets or [])
    if plan is None and prices is None:
        return scenario.with_overrides(sets_) if sets_ else scenario
    with_sets = scenario.with_overrides(sets_) if sets_ else scenario
    overrides: dict[str, Any] = {}
    if plan is not None:
        overrides.update(plan_overrides(with_sets, plan))
    if prices is not None:
        overrides.update(price_overrides(read_toml(prices), with_sets, str(prices)))
    return scenario.with_overrides({**overrides, **sets_})


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def run(
        config: Annotated[Path, typer.Argument(help="scenario TOML file")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="output folder (default: out/<config name>)")
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option("--replications", "-r", min=1, help="replications (default: the config's)"),
        ] = None,
        seed: Annotated[int | None, typer.Option(help="root seed (default: the config's)")] = None,
        set_: Annotated[
            list[str] | None,
            typer.Option("--set", help="override a config value: PATH=VALUE (repeatable)"),
        ] = None,
        prices: Annotated[
            Path | None, typer.Option(help="a prices file: costs, value, experience, agent costs")
        ] = None,
        plan: Annotated[
            Path | None,
            typer.Option(help="a staffing plan: the output folder of `ccsim optimize` (or its staffing.csv)"),
        ] = None,
        contacts: Annotated[
            bool, typer.Option("--contacts/--no-contacts", help="write the per-contact table")
        ] = True,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                "-w",
                min=1,
                help="processes to spread the replications over (default: one per core; 1: this one)",
            ),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or summary")] = False,
    ) -> None:
        """Simulate a scenario; print a summary and write the output folder."""
        from rich.console import Console

        import ccsim
        from ccsim.cli.tables import LEGEND, shortfall_lines, summary_table
        from ccsim.economics.prices import has_prices

        scenario = load_with_overrides(config, set_, prices, plan)
        reps = replications or scenario.scenario.replications
        console = Console(stderr=True, quiet=quiet)
        started = time.time()
        if quiet:
            results = ccsim.simulate(
                scenario, replications=reps, seed=seed, contacts=contacts, workers=workers
            )
        else:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} replications"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task(scenario.name, total=reps)
                results = ccsim.simulate(
                    scenario,
                    replications=reps,
                    seed=seed,
                    contacts=contacts,
                    workers=workers,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
        folder = out or Path("out") / config.stem
        facts = {"command": " ".join(["ccsim", *sys.argv[1:]]), "started": time.ctime(started)}
        results.write(folder, manifest=facts)
        from ccsim.report import render

        render(results, folder / "report.html", manifest=facts)
        if not quiet:
            out_console = Console()
            out_console.print(summary_table(results))
            out_console.print(LEGEND, style="dim")
            for text in shortfall_lines(results):
                out_console.print(text, markup=False, highlight=False)
            for channel, definition in results.sl_definitions.items():
                out_console.print(f"service level, {channel}: {definition}", style="dim")
            if not has_prices(scenario):
                out_console.print(NO_PRICES, style="dim")
            for w in results.warnings:
                out_console.print(f"warning: {w}", style="yellow")
            out_console.print(f"tables and report.html written to {folder}/ ({results.wall_time_s:.1f}s)")
