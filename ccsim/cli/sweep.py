"""``ccsim sweep``: run a sweep file on local cores or a Dask cluster, resumably."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from ccsim.cli.common import command_line, user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import Quiet, Scheduler, Workers, out_option
from ccsim.cli.tables import CompactTable, compact_table, pct_pm
from ccsim.config.errors import ConfigError
from ccsim.experiments.results import SweepResults
from ccsim.experiments.runner import sweep as run_sweep
from ccsim.experiments.spec import load_sweep_file
from ccsim.report.sweep import render_sweep

MAX_ROWS = 30

SweepFile = Annotated[Path, typer.Argument(help="sweep TOML file (see docs/reference/sweep.md)")]
Serial = Annotated[bool, typer.Option("--serial", help="run in this process, one point at a time")]
Out = Annotated[Path | None, out_option("output folder (default: the sweep file's, else out/<sweep name>)")]
Report = Annotated[
    bool,
    typer.Option("--report/--no-report", help="write report.html (KPIs against the factors) into the folder"),
]


def _shown(summary: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column, header, kind) of the KPIs shown: each channel's service level, then the whole
    centre's abandonment and occupancy, and its total cost when the sweep was priced."""
    channels = [c.split(".", 2)[2] for c in summary.columns if c.startswith("service_level.channel.")]
    cols = [(f"service_level.channel.{c}", f"SL {c}", "pct") for c in channels if not c.endswith("_ci95")]
    cols += [("abandon_rate", "abandoned", "pct"), ("occupancy", "occupancy", "pct")]
    if "total_cost" in summary.columns:
        cols.append(("total_cost", "total cost", "money"))
    return [c for c in cols if c[0] in summary.columns]


def _cell(mean: float, half: float, kind: str) -> str:
    if kind == "money":
        return f"{mean:,.0f}" + (f"±{half:,.0f}" if half == half else "")
    return pct_pm(mean, half)


def summary_table(results: SweepResults) -> CompactTable:
    """A rich table: one row per point, the factors and the main KPIs with their half-widths
    (each channel's service level in %, as the run's table shows it). In a narrow terminal the
    headers wrap; no value is cut."""
    shown = _shown(results.summary)
    columns = [(f, "left") for f in results.factors] + [(header, "right") for _, header, _ in shown]
    rows: list[list[str] | None] = []
    for _, row in results.summary.head(MAX_ROWS).iterrows():
        cells = [str(row[f]) for f in results.factors]
        cells += [_cell(row[k], row[f"{k}_ci95"], kind) for k, _, kind in shown]
        rows.append(cells)
    title = (  # the rows are points 0, 1, ... in order, as warnings and points.csv number them
        f"{len(results.summary)} points x {results.replications} replications (mean±95% half-width)"
    )
    return compact_table(columns, rows, title, keep=len(results.factors))


@user_errors
def sweep(
    sweep_file: SweepFile,
    scheduler: Scheduler = None,
    workers: Workers = None,
    serial: Serial = False,
    out: Out = None,
    quiet: Quiet = False,
    report: Report = True,
) -> None:
    """Simulate a scenario at every point of a sweep; rerun to resume after an interruption."""
    executor = _executor(scheduler, workers, serial)
    spec = load_sweep_file(sweep_file)
    scenario = load_scenario(spec.config, overrides=spec.overrides)
    folder = out or spec.out or Path("out") / sweep_file.stem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failures are listed below
        results = run_sweep(
            scenario,
            spec.factors,
            design=spec.design,
            replications=spec.spec.sweep.replications,
            seed=spec.spec.sweep.seed,
            executor=executor,
            workers=workers,
            out=folder,
            progress=not quiet,
            common_random_numbers=spec.spec.sweep.common_random_numbers,
            info={"command": command_line(), "sweep_file": str(sweep_file), "sweep": spec.raw},
        )
    if report:
        render_sweep(results, Path(folder) / "report.html")
    if not quiet:
        _print_summary(results, folder, report)
    _print_failures(results)


def _executor(scheduler: str | None, workers: int | None, serial: bool) -> Any:
    """What runs the points: a Dask scheduler's address, "serial" or local "processes"."""
    if sum([scheduler is not None, workers is not None, serial]) > 1:
        raise ConfigError(["give one of --scheduler, --workers and --serial"])
    return scheduler if scheduler is not None else ("serial" if serial else "processes")


def _print_summary(results: SweepResults, folder: Path, report: bool) -> None:
    console = Console()
    console.print(summary_table(results))
    if len(results.summary) > MAX_ROWS:
        console.print(f"... {len(results.summary) - MAX_ROWS} more points in {folder}/summary.csv")
    for w in results.warnings:
        console.print(f"warning: {w}", style="yellow", markup=False, highlight=False)
    reused = int(results.points["reused"].sum())
    done = int((results.points["status"] == "done").sum())
    note = f" ({reused} from an earlier run)" if reused else ""
    console.print(
        f"{done} of {len(results.points)} points done{note}; tables "
        f"{'and report.html ' if report else ''}written to {folder}/ "
        f"({results.wall_time_s:.1f}s, {results.executor})"
    )


def _print_failures(results: SweepResults) -> None:
    """Each failed point with its error on stderr, and exit code 1 if any failed."""
    err = Console(stderr=True)
    failed = results.failed
    for _, row in failed.iterrows():
        values = ", ".join(f"{f}={row[f]!r}" for f in results.factors)
        err.print(
            f"error: point {row['point']} ({values}) failed: {row['error']}", markup=False, highlight=False
        )
    if len(failed):
        err.print(f"{len(failed)} point(s) failed; run the same command again to retry them", style="yellow")
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command()(sweep)
