"""``ccsim optimize``: the least-cost staffing per interval and group that meets the targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ccsim.cli.common import user_errors
from ccsim.cli.options import Scheduler, Workers, where
from ccsim.cli.tables import compact_table


def parse_targets(items: list[str] | None) -> dict[str, float]:
    """``CHANNEL=SHARE`` pairs, e.g. ``phone=0.85``."""
    from ccsim.config.errors import ConfigError

    out: dict[str, float] = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError([f"--target {item!r}: write CHANNEL=SHARE, e.g. phone=0.85"]) from None
    return out


def plan_table(plan: Any) -> Any:
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


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def optimize(
        config: Annotated[Path, typer.Argument(help="scenario TOML file")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="output folder (default: out/<config name>-plan)")
        ] = None,
        replications: Annotated[
            int | None, typer.Option("--replications", "-r", min=2, help="replications per candidate plan")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="root seed (default: the config's)")] = None,
        group: Annotated[
            list[str] | None, typer.Option("--group", "-g", help="staff only this group (repeatable)")
        ] = None,
        target: Annotated[
            list[str] | None, typer.Option("--target", help="override a target: CHANNEL=SHARE (repeatable)")
        ] = None,
        confidence: Annotated[
            float, typer.Option(min=0.01, max=0.99, help="confidence that a period meets its target")
        ] = 0.75,
        max_simulations: Annotated[int, typer.Option(min=2, help="simulation budget of the search")] = 80,
        workers: Workers = None,
        scheduler: Scheduler = None,
        verify_replications: Annotated[
            int | None, typer.Option(min=2, help="replications of the independent verification")
        ] = None,
        shifts: Annotated[
            bool, typer.Option("--shifts", help="also cover the plan with shifts (MILP)")
        ] = False,
        shift_length: Annotated[
            list[str] | None, typer.Option(help="allowed shift length, e.g. 8h (repeatable)")
        ] = None,
        shift_start: Annotated[
            list[str] | None, typer.Option(help="allowed shift start, e.g. 07:30 (repeatable)")
        ] = None,
        prices: Annotated[
            Path | None, typer.Option(help="a prices file: costs, value, experience, frontier, agent costs")
        ] = None,
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="override a config value: PATH=VALUE (repeatable)")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or tables")] = False,
    ) -> None:
        """Find the least-cost staffing per interval that meets every channel's service-level
        target in simulation; write it as a staffing CSV and verify it with another seed."""
        import json

        from rich.console import Console

        from ccsim.cli.run import load_with_overrides
        from ccsim.optimize import optimize_staffing

        scenario = load_with_overrides(config, set_)
        if prices is not None:
            from ccsim.economics import with_prices

            scenario = with_prices(scenario, prices)
        console = Console(stderr=True, quiet=quiet)
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
        folder.mkdir(parents=True, exist_ok=True)
        plan.to_csv(folder / "staffing.csv")
        v = plan.verification
        assert v is not None
        v.performance.to_csv(folder / "verification.csv", index=False)
        v.risk.to_csv(folder / "risk.csv", index=False)
        import pandas as pd

        pd.DataFrame(plan.history).to_csv(folder / "history.csv", index=False)
        currency = scenario.config.costs.currency
        import os

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
        shift_plan = None
        if shifts:
            from ccsim.optimize import shifts_for

            try:
                shift_plan = shifts_for(plan, starts=shift_start, lengths=shift_length)
            except ValueError as exc:
                from ccsim.config.errors import ConfigError

                raise ConfigError([f"--shifts: {exc}"]) from None
            shift_plan.shifts.to_csv(folder / "shifts.csv", index=False)
            shift_plan.coverage.to_csv(folder / "coverage.csv", index=False)
            lines += [
                "",
                f"# Or as shifts covering the plan: {shift_plan.paid_hours:,.1f} paid hours, cost "
                f"{shift_plan.cost:,.2f} {currency} a day:",
                "",
                "# " + shift_plan.config_lines().replace("\n", "\n# "),
            ]
        (folder / "plan.toml").write_text("\n".join(lines) + "\n")
        facts = {
            "config": str(config),
            "set": list(set_ or []),
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
        (folder / "optimize.json").write_text(json.dumps(facts, indent=2) + "\n")
        if not quiet:
            out_console = Console()
            out_console.print(plan_table(plan))
            out_console.print(
                f"nominal staffing cost {plan.cost:,.2f} {currency} after {plan.simulations} simulations "
                f"of {plan.replications} replications (seed {plan.seed})"
            )
            verdict = (
                "every period meets its target"
                if v.meets
                else (
                    "some periods miss their target, none significantly (~: within noise)"
                    if v.consistent
                    else "some periods are significantly below target (✗)"
                )
            )
            out_console.print(f"independent check (seed {v.seed}, {v.replications} replications): {verdict}")
            for r in v.risk.itertuples(index=False):
                out_console.print(
                    f"  {r.channel}: P(interval meets {r.target:.0%}) = {r.p_interval:.0%}, "
                    f"P(day meets) = {r.p_day:.0%}",
                    style="dim",
                )
            if shift_plan is not None:
                out_console.print(
                    f"shifts: {shift_plan.paid_hours:,.1f} paid hours, cost {shift_plan.cost:,.2f}"
                )
            out_console.print(f"plan written to {folder}/ (load it with the lines in plan.toml)")
