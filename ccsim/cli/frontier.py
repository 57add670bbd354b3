"""``ccsim frontier``: total cost against service level, and where more service stops paying."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table

from ccsim.cli.common import command_line, progress_console, say_to, user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import (
    BandConfidence,
    Confidence,
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
from ccsim.cli.tables import compact_table
from ccsim.config.errors import ConfigError
from ccsim.optimize.answer import band_sentences, band_text
from ccsim.optimize.frontiers import FrontierResult, save_frontier
from ccsim.optimize.frontiers import frontier as run_frontier
from ccsim.optimize.indifference import parse_indifference
from ccsim.report.frontier_page import render_frontier
from ccsim.scenario import Scenario

Out = Annotated[Path | None, out_option("output folder (default: out/<config name>-frontier)")]
Channel = Annotated[
    list[str] | None,
    typer.Option("--channel", metavar="CHANNEL", help="channel whose target varies (repeatable)"),
]
Refine = Annotated[int, typer.Option(min=0, help="bisections around the cheapest point")]
MaxSimulations = Annotated[
    int, typer.Option(min=2, help="simulation budget per target (twice for the first)")
]
Choices = Annotated[bool, typer.Option("--choices/--no-choices", help="compare the [frontier.choices] too")]


def frontier_tables(result: FrontierResult) -> list[RenderableType]:
    """One table per service choice: target, service level achieved, money with its interval,
    the paired difference to the cheapest point, and whether the point is in the band."""
    cur = result.currency
    best = result.optimum[result.optimum["value_case"] == "central"].set_index("choice")["target"]
    heads = ("target", "SL", "service", "lost", "total", "vs best", "band", "P(iv)")
    tables: list[RenderableType] = []
    for choice, part in result.points.groupby("choice", sort=False):
        rows: list[list[str] | None] = []
        for r in part.itertuples(index=False):
            mark = " ◀" if best.get(choice) == r.target else ""
            rows.append(
                [
                    f"{r.target:.0%}" + ("" if r.feasible else "*"),
                    f"{r.service_level:.1%}±{r.service_level_ci95:.1%}",
                    f"{r.service_cost:,.0f}",
                    f"{r.lost_value:,.0f}",
                    f"{r.total_cost:,.0f}±{r.total_cost_ci95:,.0f}{mark}",
                    "–" if mark else f"{r.vs_best:+,.0f}±{r.vs_best_ci95:,.0f}",
                    "■" if r.in_band else "",
                    f"{r.p_interval:.0%}",
                ]
            )
        tables.append(compact_table([(h, "right") for h in heads], rows, str(choice)))
    caption = Table.grid()
    caption.add_row(
        f"{cur} {result.period} (mean ± 95% half-width). SL achieved on {', '.join(result.channels)}; "
        "service = staffing + telephony + partner + self-service + callbacks; total = service + lost "
        "value; vs best: paired difference to the cheapest point on common random numbers (simultaneous "
        f"{result.confidence:.0%}); ■ in the band: not shown to cost more than the indifference "
        "amount above the cheapest ◀; P(iv): probability an interval meets its target; *: no plan "
        "met every target within the budget (the point stands for the service level it achieved)"
    )
    tables.append(caption)
    return tables


def answer_lines(result: FrontierResult) -> list[tuple[str, str | None]]:
    """The band of each choice and customer-value case in words (bold: the answer)."""
    lines: list[tuple[str, str | None]] = []
    opt = result.optimum
    lead = opt[(opt["value_case"] == "central") & opt["best_choice"]].iloc[0]
    lines.append((" ".join(band_sentences(lead, result)), "bold"))
    if len(opt["choice"].unique()) > 1:
        lines.append((f"(service choice: {lead['choice']}; the others cost more at their best)", None))
    for r in opt.itertuples(index=False):
        lines.append(
            (
                f"{r.choice}, {r.value_case} customer value: band {band_text(r._asdict())} "
                f"(cheapest: target {r.target:.0%}, SL {r.service_level:.1%}, total {r.total_cost:,.0f} "
                f"{result.currency}; {'resolved' if r.resolved else 'not resolved'})",
                None,
            )
        )
    return lines


@user_errors
def frontier(
    config: ConfigPath,
    out: Out = None,
    targets: Targets = None,
    channel: Channel = None,
    replications: PlanReplications = None,
    eval_replications: EvalReplications = None,
    seed: Seed = None,
    refine: Refine = 2,
    max_simulations: MaxSimulations = 8,
    max_eval_replications: MaxEvalReplications = None,
    confidence: Confidence = 0.75,
    band_confidence: BandConfidence = 0.95,
    indifference: Indifference = "1%",
    workers: Workers = None,
    scheduler: Scheduler = None,
    choices: Choices = True,
    prices: Prices = None,
    set_: Sets = None,
    quiet: Quiet = False,
) -> None:
    """For a range of service-level targets (and service choices), optimise the staffing,
    simulate it and add up total cost = staffing + telephony + partner + self-service +
    callbacks + lost value; show the cheapest point and the marginal cost of service."""
    scenario = load_scenario(config, set_, prices)
    _check_channels(scenario, channel or [])
    parse_indifference(indifference, scenario.config.costs.currency, "--indifference")
    result = run_frontier(
        scenario,
        targets=target_list(targets),
        channels=channel or None,
        choices=None if choices else {},
        replications=replications,
        eval_replications=eval_replications,
        seed=seed,
        refine=refine,
        max_simulations=max_simulations,
        confidence=confidence,
        alpha=1.0 - band_confidence,
        indifference=indifference,
        max_eval_replications=max_eval_replications,
        workers=where(workers, scheduler)[0],
        executor=scheduler,
        progress=say_to(progress_console(quiet)),
    )
    folder = out or Path("out") / f"{config.stem}-frontier"
    facts = {
        "name": scenario.name,
        "command": command_line(),
        "config": str(config),
        "seed": seed if seed is not None else scenario.scenario.seed,
        "targets": targets,
    }
    _write(result, folder, facts)
    if not quiet:
        console = Console()
        for table in frontier_tables(result):
            console.print(table)
        for text, style in answer_lines(result):
            console.print(text, style=style, markup=False)
        console.print(f"tables, the optimum's staffing and frontier.html written to {folder}/")


def _check_channels(scenario: Scenario, channels: list[str]) -> None:
    """Each ``--channel`` names a channel with a service level."""
    for c in channels:
        if c not in scenario.channels or scenario.channels[c].service_level is None:
            raise ConfigError([f"--channel {c!r}: not a channel with a service level"])


def _write(result: FrontierResult, folder: Path, facts: dict[str, Any]) -> None:
    """The frontier's tables, the staffing of the optimum and frontier.html."""
    save_frontier(result, folder, facts)
    opt = result.optimum
    best = opt[(opt["value_case"] == "central") & opt["best_choice"]].iloc[0]
    result.plans[(best["choice"], best["target"])].to_csv(folder / "optimum_staffing.csv")
    page_facts = {k: v for k, v in facts.items() if k != "name"}
    render_frontier(result, folder / "frontier.html", facts["name"], page_facts)


def register(app: typer.Typer) -> None:
    app.command()(frontier)
