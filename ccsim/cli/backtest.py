"""``ccsim backtest``: simulate a call log's period with a scenario and compare, hour by hour."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccsim.calibrate.backtesting import KEYS, Backtest
from ccsim.calibrate.backtesting import backtest as run_backtest
from ccsim.cli.common import command_line, user_errors
from ccsim.cli.loader import load_log, load_scenario
from ccsim.cli.options import (
    LOG_HELP,
    PROXIES,
    First,
    Gap,
    Last,
    LogFormat,
    Proxy,
    Quiet,
    Replications,
    Seed,
    choice,
    out_option,
    seconds,
)
from ccsim.cli.tables import SECTION, compact_table
from ccsim.report.backtest import render_backtest

Log = Annotated[Path, typer.Argument(help=LOG_HELP)]
ScenarioPath = Annotated[Path, typer.Argument(help="scenario TOML file (e.g. from ccsim calibrate)")]
Demand = Annotated[
    Literal["observed", "scenario"],
    typer.Option(help="observed (the log's counts per interval) or scenario (its rates)"),
]
Staffing = Annotated[
    Literal["proxy", "scenario"], typer.Option(help="proxy (from the log) or scenario (its staffing)")
]
Scale = Annotated[
    float | None,
    typer.Option(min=0, help="factor on the staffing proxy (default: the scenario file's, else 1)"),
]
ErlangScale = Annotated[
    float | None,
    typer.Option(
        "--erlang-scale",
        min=0,
        help="factor on the staffing proxy for the Erlang-A baseline (default: the one "
        "calibrate fitted, recorded in the scenario file, else the simulation's)",
    ),
]
By = Annotated[Literal["hour", "weekday", "day", "segment", "contact_type"], typer.Option(help="compare by")]
Out = Annotated[Path | None, out_option("folder for comparison.csv, the run's tables and report.html")]


@user_errors
def backtest(
    log: Log,
    scenario: ScenarioPath,
    replications: Replications = None,
    seed: Seed = None,
    demand: Demand = "observed",
    staffing: Staffing = "proxy",
    proxy: Proxy = "distinct",
    gap: Gap = "30min",
    scale: Scale = None,
    erlang_scale: ErlangScale = None,
    by: By = "hour",
    first: First = None,
    last: Last = None,
    out: Out = None,
    log_format: LogFormat = "auto",
    quiet: Quiet = False,
) -> None:
    """Simulate the log's period with a scenario and compare observed with simulated, hour by hour."""
    sc = load_scenario(scenario)
    data = load_log(log, log_format, first, last)
    bt = run_backtest(
        data,
        sc,
        replications=replications,
        seed=seed,
        demand=choice(demand, ("observed", "scenario"), "--demand"),
        staffing=choice(staffing, ("proxy", "scenario"), "--staffing"),
        proxy=choice(proxy, PROXIES, "--proxy"),
        gap=seconds(gap, "--gap"),
        by=choice(by, KEYS, "--by"),
        scale=scale,
        erlang_scale=erlang_scale,
    )
    if out is not None:
        _write(bt, out)
    if not quiet:
        _print_backtest(bt, out)


def _write(bt: Backtest, out: Path) -> None:
    """comparison.csv, the simulated run's tables and the back-test's report.html."""
    out.mkdir(parents=True, exist_ok=True)
    bt.comparison.to_csv(out / "comparison.csv", index=False)
    facts = {"command": command_line(), "backtest": bt.settings}
    bt.results.write(out, manifest=facts)
    render_backtest(bt, out / "report.html", manifest=facts)


def _print_backtest(bt: Backtest, out: Path | None) -> None:
    s = bt.settings
    console = Console()
    title = (
        f"Back-test of {s['scenario']!r} on {s['first']} to {s['last']} ({s['days']} days): "
        f"demand {s['demand']}, staffing {s['staffing']}"
        + (f" ({s['proxy']} × {s['scale']:g})" if s["staffing"] == "proxy" else "")
        + f", {s['replications']} replications"
    )
    erlang = "service_level_erlang" in bt.comparison.columns
    columns = [(bt.by, "right")]
    for m, head, _, _ in MEASURES:
        columns += [(f"{head}\nobs", "right"), (f"{head}\nsim ± 95%", "right")]
        if erlang and m != "offered":
            columns.append((f"{head}\nErlang A", "right"))
    rows: list[list[str] | None] = []
    hidden = 0
    for _, row in bt.comparison.iterrows():
        key = row[bt.by]
        quiet = row["offered_obs"] < 0.5 and not row["offered_sim"] >= 0.5
        if bt.by == "hour" and key != "all" and quiet:
            hidden += 1
            continue
        if key == "all":
            rows.append(SECTION)
        rows.append(_backtest_cells(row, bt.by, erlang))
    table = compact_table(columns, rows, title)
    console.print(table)
    within = ", ".join(f"{ch} {w:g}s" for ch, w in s["sl_within"].items())
    console.print(
        f"obs: the log; sim: mean over replications ± 95% half-width. SL: answered within {within} / "
        "(answered + abandoned); abandoned: share of answered + abandoned.",
        style="dim",
    )
    if hidden:
        console.print(f"{hidden} hour(s) with less than one contact a day not shown.", style="dim")
    if erlang:
        _print_errors(console, bt)
    if out is not None:
        console.print(f"comparison.csv, tables and report.html written to {out}/")


MEASURES = [
    ("offered", "offered/day", 1, 0),
    ("service_level", "SL %", 100, 1),
    ("asa_s", "ASA s", 1, 0),
    ("abandon_rate", "abandoned %", 100, 1),
]


def _backtest_cells(row: pd.Series, by: str, erlang: bool) -> list[str]:
    key = row[by]
    cells = [f"{int(key):02d}:00" if by == "hour" and key != "all" else str(key)]
    for m, _, scale, digits in MEASURES:
        cells.append(_num(row[f"{m}_obs"] * scale, digits))
        ci = row[f"{m}_sim_ci"] * scale
        cells.append(_num(row[f"{m}_sim"] * scale, digits) + (f" ±{_num(ci, digits)}" if ci == ci else ""))
        if erlang and m != "offered":
            cells.append(_num(row[f"{m}_erlang"] * scale, digits))
    return cells


def _print_errors(console: Console, bt: Backtest) -> None:
    """Each model's weighted MAE, bias and all-period error, and the Erlang-A inputs."""
    err = bt.errors()
    table = Table(
        title=f"Errors against the log (model − observed): MAE and bias over the {bt.by}s weighted by "
        f"contacts, and over the whole period",
        title_justify="left",
    )
    table.add_column("model")
    for _, head, _, _ in MEASURES[1:]:
        for what in ("MAE", "bias", "all"):
            table.add_column(f"{head.split()[0]}\n{what}", justify="right")
    for model, part in err.groupby("model", sort=False):
        cells = [str(model)]
        for m, _, scale, _ in MEASURES[1:]:
            r = part[part["measure"] == m].iloc[0]
            cells += [_num(r["mae"] * scale, 1), _signed(r["bias"] * scale, 1), _signed(r["all"] * scale, 1)]
        table.add_row(*cells)
    console.print(table)
    e = bt.settings.get("erlang_a", {})
    patience = e.get("patience_s")
    src = e.get("sources", {})
    text = (
        f"Erlang A (M/M/n+M per interval, steady state): handle {e.get('handle_s', float('nan')):.1f}s "
        f"({src.get('handle')}); 1/theta "
        + ("none (Erlang C)" if patience is None else f"{patience:.0f}s")
        + f" ({src.get('patience')}); "
        + (
            f"staffing scale {e['scale']:g} ({src.get('scale')})."
            if e.get("scale") is not None
            else "the scenario's staffing."
        )
    )
    console.print(escape(text), style="dim")


def _signed(v: float, digits: int) -> str:
    return "–" if v != v else f"{v:+,.{digits}f}"


def _num(v: float, digits: int) -> str:
    return "–" if v != v else f"{v:,.{digits}f}"


def register(app: typer.Typer) -> None:
    app.command()(backtest)
