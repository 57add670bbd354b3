"""``ccsim run``: simulate a scenario, print a summary, write the output folder."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ccsim.cli.common import user_errors


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


def load_with_overrides(config: Path, sets: list[str] | None) -> Any:
    import ccsim

    scenario = ccsim.load(config)
    if sets:
        scenario = scenario.with_overrides(parse_set(sets))
    return scenario


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
        from ccsim.cli.tables import summary_table

        scenario = load_with_overrides(config, set_)
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
            for line in results.sl_definitions.items():
                out_console.print(f"service level, {line[0]}: {line[1]}", style="dim")
            for w in results.warnings:
                out_console.print(f"warning: {w}", style="yellow")
            out_console.print(f"tables and report.html written to {folder}/ ({results.wall_time_s:.1f}s)")
