"""``ccsim sensitivity``: which soft assumption decides how much service is enough."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ccsim.cli.common import command_line, progress_console, say_to, user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import (
    BandConfidence,
    ConfigPath,
    EvalReplications,
    Indifference,
    MaxEvalReplications,
    PlanReplications,
    Prices,
    Quiet,
    Scheduler,
    Seed,
    Sets,
    Targets,
    Workers,
    out_option,
    target_list,
    where,
)
from ccsim.cli.tables import CompactTable, compact_table
from ccsim.config.errors import ConfigError
from ccsim.optimize.answer import span_text
from ccsim.optimize.frontiers import save_frontier
from ccsim.optimize.indifference import parse_indifference
from ccsim.optimize.sensitivities import SensitivityResult
from ccsim.optimize.sensitivities import sensitivity as run_sensitivity
from ccsim.report.sensitivity_page import render_sensitivity

Out = Annotated[Path | None, out_option("output folder (default: out/<config name>-sensitivity)")]
Design = Annotated[str | None, typer.Option(help="global design over the money assumptions: morris or sobol")]
DESIGNS = ("morris", "sobol")


def sensitivity_tables(result: SensitivityResult) -> list[CompactTable]:
    """One row per assumption (the one that moves the answer most first): its range and the band
    at its low and high value; then the total cost at each with its interval, and the change."""
    t = result.table
    bands: list[list[str] | None] = [
        [
            str(r.label),
            f"x{r.low:g}–x{r.high:g}",
            span_text(r.band_low_at_low, r.band_high_at_low),
            span_text(r.band_low_at_high, r.band_high_at_high),
        ]
        for r in t.itertuples(index=False)
    ]
    costs: list[list[str] | None] = [
        [
            str(r.label),
            f"{r.total_cost_at_low:,.0f}±{r.total_cost_at_low_ci95:,.0f}",
            f"{r.total_cost_at_high:,.0f}±{r.total_cost_at_high_ci95:,.0f}",
            f"{r.total_cost_change:+,.0f}±{r.total_cost_change_ci95:,.0f}",
        ]
        for r in t.itertuples(index=False)
    ]
    band_heads = [("range", "right"), ("band at low", "right"), ("band at high", "right")]
    cost_heads = [("total cost at low", "right"), ("at high", "right"), ("change", "right")]
    return [
        compact_table([("assumption", "left"), *band_heads], bands),
        compact_table([("assumption", "left"), *cost_heads], costs),
    ]


def sensitivity_caption(result: SensitivityResult) -> str:
    """What the cost columns are and how sure they are."""
    fr = result.frontier
    return (
        f"{fr.currency} {fr.period} (mean ± 95% half-width): total cost of the cheapest point of the "
        "band at the low and at the high value; change: high minus low, paired replication by "
        "replication on common random numbers (the two cheapest points may be different plans)"
    )


@user_errors
def sensitivity(
    config: ConfigPath,
    out: Out = None,
    prices: Prices = None,
    targets: Targets = None,
    replications: PlanReplications = None,
    eval_replications: EvalReplications = None,
    max_eval_replications: MaxEvalReplications = None,
    seed: Seed = None,
    band_confidence: BandConfidence = 0.95,
    indifference: Indifference = "1%",
    design: Design = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    set_: Sets = None,
    quiet: Quiet = False,
) -> None:
    """Move each soft assumption (customer values, churn, agent cost, demand, handle time,
    patience) to its low and high value and find the band of service levels again; name the
    one that moves the answer most."""
    scenario = load_scenario(config, set_, prices)
    if design is not None and design not in DESIGNS:
        raise ConfigError([f"--design {design!r}: write morris or sobol"])
    parse_indifference(indifference, scenario.config.costs.currency, "--indifference")
    result = run_sensitivity(
        scenario,
        alpha=1.0 - band_confidence,
        indifference=indifference,
        design=design,
        workers=where(workers, scheduler)[0],
        executor=scheduler,
        progress=say_to(progress_console(quiet)),
        targets=target_list(targets),
        replications=replications,
        eval_replications=eval_replications,
        max_eval_replications=max_eval_replications,
        seed=seed,
    )
    folder = out or Path("out") / f"{config.stem}-sensitivity"
    facts = {
        "command": command_line(),
        "config": str(config),
        "seed": seed if seed is not None else scenario.scenario.seed,
        "design": result.design,
    }
    save_frontier(result.frontier, folder, {"name": scenario.name, **facts})
    result.table.to_csv(folder / "sensitivity.csv", index=False)
    result.global_.to_csv(folder / "sensitivity_global.csv", index=False)
    render_sensitivity(result, folder / "sensitivity.html", scenario.name, facts)
    if not quiet:
        console = Console()
        for table in sensitivity_tables(result):
            console.print(table)
        console.print(sensitivity_caption(result), style="dim", markup=False)
        console.print(result.headline, style="bold", markup=False)
        console.print(f"sensitivity.csv, sensitivity.html and the frontier written to {folder}/")


def register(app: typer.Typer) -> None:
    app.command()(sensitivity)
