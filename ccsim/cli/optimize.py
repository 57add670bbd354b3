"""``ccsim optimize``: the least-cost staffing per interval and group that meets the targets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from ccsim.cli.common import progress_console, user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import (
    Confidence,
    ConfigPath,
    Prices,
    Quiet,
    Scheduler,
    Seed,
    Sets,
    Workers,
    out_option,
    where,
)
from ccsim.cli.tables import CompactTable, compact_table
from ccsim.config.errors import ConfigError
from ccsim.optimize.shifts import ShiftPlan, shifts_for
from ccsim.optimize.staffing import StaffingPlan, Verification, optimize_staffing

Out = Annotated[Path | None, out_option("output folder (default: out/<config name>-plan)")]
Replications = Annotated[
    int | None,
    typer.Option(
        "--replications",
        "-r",
        min=2,
        help="replications per candidate plan (default: the config's, at least 20)",
    ),
]
Group = Annotated[
    list[str] | None,
    typer.Option("--group", "-g", metavar="GROUP", help="staff only this group (repeatable)"),
]
Target = Annotated[
    list[str] | None,
    typer.Option("--target", metavar="CHANNEL=SHARE", help="override a target: CHANNEL=SHARE (repeatable)"),
]
MaxSimulations = Annotated[int, typer.Option(min=2, help="simulation budget of the search")]
VerifyReplications = Annotated[
    int | None, typer.Option(min=2, help="replications of the independent verification")
]
Shifts = Annotated[bool, typer.Option("--shifts", help="also cover the plan with shifts (MILP)")]
ShiftLength = Annotated[
    list[str] | None, typer.Option(metavar="LENGTH", help="allowed shift length, e.g. 8h (repeatable)")
]
ShiftStart = Annotated[list[str] | None, typer.Option(help="allowed shift start, e.g. 07:30 (repeatable)")]


def parse_targets(items: list[str] | None) -> dict[str, float]:
    """``CHANNEL=SHARE`` pairs, e.g. ``phone=0.85``."""
    out: dict[str, float] = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError([f"--target {item!r}: write CHANNEL=SHARE, e.g. phone=0.85"]) from None
    return out


def plan_table(plan: StaffingPlan) -> CompactTable:
    """Agents per period and group, with each channel's service level in the verification."""
    v = plan.verification
    channels = [c.name for c in plan.problem.channels]
    columns = [("start", "left"), *((g, "right") for g in plan.problem.groups)]
    columns += [(f"SL {c}", "right") for c in channels]
    perf = v.performance.set_index(["channel", "period"]) if v is not None else None
    rows: list[list[str] | None] = []
    for k, row in plan.staffing.iterrows():
        cells = [str(row["start"]), *(str(int(row[g])) for g in plan.problem.groups)]
        for c in channels:
            if perf is None or (c, k) not in perf.index or perf.loc[(c, k), "sl_denominator"] == 0:
                cells.append("")
                continue
            p = perf.loc[(c, k)]
            mark = "" if p["meets"] else (" ✗" if p["below"] else " ~")
            cells.append(f"{p['service_level']:.0%}{mark}")
        rows.append(cells)
    return compact_table(columns, rows, "staffing plan")


@user_errors
def optimize(
    config: ConfigPath,
    out: Out = None,
    replications: Replications = None,
    seed: Seed = None,
    group: Group = None,
    target: Target = None,
    confidence: Confidence = 0.75,
    max_simulations: MaxSimulations = 80,
    workers: Workers = None,
    scheduler: Scheduler = None,
    verify_replications: VerifyReplications = None,
    shifts: Shifts = False,
    shift_length: ShiftLength = None,
    shift_start: ShiftStart = None,
    prices: Prices = None,
    set_: Sets = None,
    quiet: Quiet = False,
) -> None:
    """Find the least-cost staffing per interval that meets every channel's service-level
    target in simulation; write it as a staffing CSV and verify it with another seed."""
    scenario = load_scenario(config, set_, prices)
    console = progress_console(quiet)
    try:
        plan = optimize_staffing(
            scenario,
            groups=group or None,
            targets=parse_targets(target),
            replications=replications,
            seed=seed,
            confidence=confidence,
            max_simulations=max_simulations,
            verify_replications=verify_replications,
            workers=where(workers, scheduler)[0],
            executor=scheduler,
            progress=lambda msg: console.print(msg, style="dim"),
        )
    except RuntimeError as exc:
        print(f"error: {exc}")
        raise typer.Exit(code=1) from None
    folder = out or Path("out") / f"{config.stem}-plan"
    _write_tables(plan, folder)
    shift_plan = _cover(plan, shift_start, shift_length, folder) if shifts else None
    currency = scenario.config.costs.currency
    (folder / "plan.toml").write_text(_plan_toml(plan, shift_plan, config, folder, currency))
    facts = _facts(plan, config, set_, prices, currency)
    (folder / "optimize.json").write_text(json.dumps(facts, indent=2) + "\n")
    if not quiet:
        _print_plan(plan, shift_plan, folder, currency)


def _checked(plan: StaffingPlan) -> Verification:
    """The plan's independent verification (``optimize_staffing`` always makes one)."""
    assert plan.verification is not None
    return plan.verification


def _write_tables(plan: StaffingPlan, folder: Path) -> None:
    """staffing.csv, and the verification's performance and risk, and the search's history."""
    folder.mkdir(parents=True, exist_ok=True)
    plan.to_csv(folder / "staffing.csv")
    v = _checked(plan)
    v.performance.to_csv(folder / "verification.csv", index=False)
    v.risk.to_csv(folder / "risk.csv", index=False)
    pd.DataFrame(plan.history).to_csv(folder / "history.csv", index=False)


def _cover(
    plan: StaffingPlan, starts: list[str] | None, lengths: list[str] | None, folder: Path
) -> ShiftPlan:
    """Shifts covering the plan, written as shifts.csv and coverage.csv."""
    try:
        shift_plan = shifts_for(plan, starts=starts, lengths=lengths)
    except ValueError as exc:
        raise ConfigError([f"--shifts: {exc}"]) from None
    except ConfigError as exc:  # the scenario refuses the shifts chosen (not the user's config)
        problems = [f"--shifts: the scenario cannot take the shifts chosen: {p}" for p in exc.problems]
        raise ConfigError(problems, exc.source) from None
    shift_plan.shifts.to_csv(folder / "shifts.csv", index=False)
    shift_plan.coverage.to_csv(folder / "coverage.csv", index=False)
    return shift_plan


def _plan_toml(
    plan: StaffingPlan, shift_plan: ShiftPlan | None, config: Path, folder: Path, currency: str
) -> str:
    """plan.toml: the lines that load the plan into the scenario, commented with its cost."""
    v = _checked(plan)
    csv = Path(os.path.relpath((folder / "staffing.csv").resolve(), config.resolve().parent)).as_posix()
    verdict = "every target met" if v.meets else "some targets missed (see verification.csv)"
    lines = [
        f"# Staffing plan for {config.name}: nominal staffing cost {plan.cost:,.2f} {currency};",
        f"# verified with seed {v.seed} and {v.replications} replications: {verdict}.",
        "# To use it, replace count / staffing / shifts in each [agents.NAME] table of the",
        "# scenario by the line given below (the path is relative to the scenario file).",
        "",
        plan.config_lines(csv),
    ]
    if shift_plan is not None:
        lines += [
            "",
            f"# Or as shifts covering the plan: {shift_plan.paid_hours:,.1f} paid hours, cost "
            f"{shift_plan.cost:,.2f} {currency} a day:",
            "",
            "# " + shift_plan.config_lines().replace("\n", "\n# "),
        ]
    return "\n".join(lines) + "\n"


def _facts(
    plan: StaffingPlan, config: Path, sets: list[str] | None, prices: Path | None, currency: str
) -> dict[str, Any]:
    """optimize.json: what was asked, what the search cost and what the verification found."""
    v = _checked(plan)
    return {
        "config": str(config),
        "set": list(sets or []),
        "prices": str(prices) if prices is not None else None,
        "cost": plan.cost,
        "currency": currency,
        "simulations": plan.simulations,
        "replications": plan.replications,
        "seed": plan.seed,
        "verification": {
            "seed": v.seed,
            "replications": v.replications,
            "meets": v.meets,
            "consistent": v.consistent,
            "staffing_cost": v.cost,
        },
    }


def _print_plan(plan: StaffingPlan, shift_plan: ShiftPlan | None, folder: Path, currency: str) -> None:
    """The plan's table, its cost, the verification's verdict and risks, the shifts' cost."""
    v = _checked(plan)
    console = Console()
    console.print(plan_table(plan))
    console.print(
        f"nominal staffing cost {plan.cost:,.2f} {currency} after {plan.simulations} simulations "
        f"of {plan.replications} replications (seed {plan.seed})"
    )
    if v.meets:
        verdict = "every period meets its target"
    elif v.consistent:
        verdict = "some periods miss their target, none significantly (~: within noise)"
    else:
        verdict = "some periods are significantly below target (✗)"
    console.print(f"independent check (seed {v.seed}, {v.replications} replications): {verdict}")
    for r in v.risk.itertuples(index=False):
        console.print(
            f"  {r.channel}: P(interval meets {r.target:.0%}) = {r.p_interval:.0%}, "
            f"P(day meets) = {r.p_day:.0%}",
            style="dim",
        )
    if shift_plan is not None:
        console.print(f"shifts: {shift_plan.paid_hours:,.1f} paid hours, cost {shift_plan.cost:,.2f}")
    if plan.problem.on_duty:
        duty = plan.on_duty
        console.print(
            "rostered agents (absence, breaks and blocks are simulated); expected on duty at the "
            "busiest period: "
            + ", ".join(f"{g} {duty[g].max():.1f}" for g in plan.problem.on_duty)
            + " (staffing.csv: GROUP_on_duty)"
        )
    console.print(f"plan written to {folder}/ (load it with the lines in plan.toml)")


def register(app: typer.Typer) -> None:
    app.command()(optimize)
