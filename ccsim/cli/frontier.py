"""``ccsim frontier``: total cost against service level, and where more service stops paying."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ccsim.cli.common import user_errors
from ccsim.cli.options import Scheduler, Workers, where
from ccsim.cli.tables import compact_table


def _targets(text: str | None) -> list[float] | None:
    from ccsim.config.errors import ConfigError

    if not text:
        return None
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ConfigError(
            [f"--targets {text!r}: write shares separated by commas, e.g. 0.7,0.8,0.9"]
        ) from None
    if not values or any(not 0 < v < 1 for v in values):
        raise ConfigError([f"--targets: each target must be in (0, 1) (got {text!r})"])
    return values


def frontier_tables(result: Any) -> list[Any]:
    """One table per service choice: target, service level achieved, money with its interval,
    the paired difference to the cheapest point, and whether the point is in the band."""
    from rich.table import Table

    cur = result.currency
    best = result.optimum[result.optimum["value_case"] == "central"].set_index("choice")["target"]
    heads = ("target", "SL", "service", "lost", "total", "vs best", "band", "P(iv)")
    tables: list[Any] = []
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


def answer_lines(result: Any) -> list[tuple[str, str | None]]:
    """The band of each choice and customer-value case in words (bold: the answer)."""
    from ccsim.optimize.answer import band_sentences, band_text

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


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def frontier(
        config: Annotated[Path, typer.Argument(help="scenario TOML file")],
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="output folder (default: out/<config name>-frontier)"),
        ] = None,
        targets: Annotated[
            str | None, typer.Option(help="service-level targets, e.g. 0.6,0.7,0.8,0.9 (default: [frontier])")
        ] = None,
        channel: Annotated[
            list[str] | None, typer.Option("--channel", help="channel whose target varies (repeatable)")
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option(
                "--replications", "-r", min=2, help="replications per candidate plan (default: at least 10)"
            ),
        ] = None,
        eval_replications: Annotated[
            int | None,
            typer.Option(min=2, help="first replications of each point's evaluation (at least 20)"),
        ] = None,
        seed: Annotated[int | None, typer.Option(help="root seed (default: the config's)")] = None,
        refine: Annotated[int, typer.Option(min=0, help="bisections around the cheapest point")] = 2,
        max_simulations: Annotated[
            int, typer.Option(min=2, help="simulation budget per target (twice for the first)")
        ] = 8,
        max_eval_replications: Annotated[
            int | None,
            typer.Option(
                min=2, help="most replications a point of the band gets (default: 4x --eval-replications)"
            ),
        ] = None,
        confidence: Annotated[
            float, typer.Option(min=0.01, max=0.99, help="confidence that a period meets its target")
        ] = 0.75,
        band_confidence: Annotated[
            float, typer.Option(min=0.5, max=0.999, help="confidence of the band of service levels")
        ] = 0.95,
        indifference: Annotated[
            str,
            typer.Option(
                help="cost difference that does not matter: an amount per run, or a share such as 1%"
            ),
        ] = "1%",
        workers: Workers = None,
        scheduler: Scheduler = None,
        choices: Annotated[
            bool, typer.Option("--choices/--no-choices", help="compare the [frontier.choices] too")
        ] = True,
        prices: Annotated[
            Path | None, typer.Option(help="a prices file: costs, value, experience, frontier, agent costs")
        ] = None,
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="override a config value: PATH=VALUE (repeatable)")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or tables")] = False,
    ) -> None:
        """For a range of service-level targets (and service choices), optimise the staffing,
        simulate it and add up total cost = staffing + telephony + partner + self-service +
        callbacks + lost value; show the cheapest point and the marginal cost of service."""
        from rich.console import Console

        from ccsim.cli.run import load_with_overrides
        from ccsim.optimize import frontier as run_frontier

        scenario = load_with_overrides(config, set_)
        if prices is not None:
            from ccsim.economics import with_prices

            scenario = with_prices(scenario, prices)
        for c in channel or []:
            if c not in scenario.channels or scenario.channels[c].service_level is None:
                from ccsim.config.errors import ConfigError

                raise ConfigError([f"--channel {c!r}: not a channel with a service level"])
        console = Console(stderr=True, quiet=quiet)
        result = run_frontier(
            scenario,
            targets=_targets(targets),
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
            progress=lambda msg: console.print(msg, style="dim", markup=False),
        )
        folder = out or Path("out") / f"{config.stem}-frontier"
        from ccsim.optimize.frontiers import save_frontier

        facts = {
            "name": scenario.name,
            "command": " ".join(["ccsim", *sys.argv[1:]]),
            "config": str(config),
            "seed": seed if seed is not None else scenario.scenario.seed,
            "targets": targets,
        }
        save_frontier(result, folder, facts)
        best = result.optimum[
            (result.optimum["value_case"] == "central") & result.optimum["best_choice"]
        ].iloc[0]
        plan = result.plans[(best["choice"], best["target"])]
        plan.to_csv(folder / "optimum_staffing.csv")
        from ccsim.report.frontier_page import render_frontier

        render_frontier(
            result, folder / "frontier.html", scenario.name, {k: v for k, v in facts.items() if k != "name"}
        )
        if not quiet:
            out_console = Console()
            for table in frontier_tables(result):
                out_console.print(table)
            for text, style in answer_lines(result):
                out_console.print(text, style=style, markup=False)
            out_console.print(f"tables, the optimum's staffing and frontier.html written to {folder}/")
