"""``ccsim sensitivity``: which soft assumption decides how much service is enough."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ccsim.cli.common import user_errors
from ccsim.cli.frontier import _targets
from ccsim.cli.options import Scheduler, Workers, where
from ccsim.cli.tables import compact_table


def sensitivity_table(result: Any) -> Any:
    """One row per assumption: its range, the band at its low and high value, the cost change."""
    rows: list[list[str] | None] = [
        [
            str(r.label),
            f"x{r.low:g}–x{r.high:g}",
            f"{r.band_low_at_low:.0%}–{r.band_high_at_low:.0%}",
            f"{r.band_low_at_high:.0%}–{r.band_high_at_high:.0%}",
            f"{r.total_cost_change:+,.0f}",
        ]
        for r in result.table.itertuples(index=False)
    ]
    heads = [("assumption", "left"), ("range", "right"), ("band, low", "right"), ("band, high", "right")]
    return compact_table([*heads, ("cost change", "right")], rows)


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def sensitivity(
        config: Annotated[Path, typer.Argument(help="scenario TOML file")],
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="output folder (default: out/<config name>-sensitivity)"),
        ] = None,
        prices: Annotated[
            Path | None, typer.Option(help="a prices file: costs, value, experience, frontier, sensitivity")
        ] = None,
        targets: Annotated[
            str | None, typer.Option(help="service-level targets, e.g. 0.6,0.7,0.8,0.9 (default: [frontier])")
        ] = None,
        replications: Annotated[
            int | None, typer.Option("--replications", "-r", min=2, help="replications per candidate plan")
        ] = None,
        eval_replications: Annotated[
            int | None, typer.Option(min=2, help="first replications of each point's evaluation")
        ] = None,
        max_eval_replications: Annotated[
            int | None, typer.Option(min=2, help="most replications a point of the band gets")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="root seed (default: the config's)")] = None,
        band_confidence: Annotated[
            float, typer.Option(min=0.5, max=0.999, help="confidence of the band of service levels")
        ] = 0.95,
        indifference: Annotated[
            str, typer.Option(help="cost difference that does not matter: an amount, or a share such as 1%")
        ] = "1%",
        design: Annotated[
            str | None, typer.Option(help="global design over the money assumptions: morris or sobol")
        ] = None,
        workers: Workers = None,
        scheduler: Scheduler = None,
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="override a config value: PATH=VALUE (repeatable)")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or tables")] = False,
    ) -> None:
        """Move each soft assumption (customer values, churn, agent cost, demand, handle time,
        patience) to its low and high value and find the band of service levels again; name the
        one that moves the answer most."""
        from rich.console import Console

        from ccsim.cli.run import load_with_overrides
        from ccsim.config.errors import ConfigError
        from ccsim.economics import with_prices
        from ccsim.optimize.frontiers import save_frontier
        from ccsim.optimize.sensitivities import sensitivity as run_sensitivity
        from ccsim.report.sensitivity_page import render_sensitivity

        scenario = load_with_overrides(config, set_)
        if prices is not None:
            scenario = with_prices(scenario, prices)
        if design is not None and design not in ("morris", "sobol"):
            raise ConfigError([f"--design {design!r}: write morris or sobol"])
        console = Console(stderr=True, quiet=quiet)
        result = run_sensitivity(
            scenario,
            alpha=1.0 - band_confidence,
            indifference=indifference,
            design=design,
            workers=where(workers, scheduler)[0],
            executor=scheduler,
            progress=lambda msg: console.print(msg, style="dim", markup=False),
            targets=_targets(targets),
            replications=replications,
            eval_replications=eval_replications,
            max_eval_replications=max_eval_replications,
            seed=seed,
        )
        folder = out or Path("out") / f"{config.stem}-sensitivity"
        facts = {
            "command": " ".join(["ccsim", *sys.argv[1:]]),
            "config": str(config),
            "seed": seed if seed is not None else scenario.scenario.seed,
            "design": result.design,
        }
        save_frontier(result.frontier, folder, {"name": scenario.name, **facts})
        result.table.to_csv(folder / "sensitivity.csv", index=False)
        result.global_.to_csv(folder / "sensitivity_global.csv", index=False)
        render_sensitivity(result, folder / "sensitivity.html", scenario.name, facts)
        if not quiet:
            out_console = Console()
            out_console.print(sensitivity_table(result))
            out_console.print(result.headline, style="bold", markup=False)
            out_console.print(f"sensitivity.csv, sensitivity.html and the frontier written to {folder}/")
