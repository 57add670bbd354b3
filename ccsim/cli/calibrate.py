"""``ccsim calibrate``: fit a scenario to a call log and write it, each number's source beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from ccsim.calibrate.backtesting import fit_erlang
from ccsim.calibrate.backtesting import fit_scale as find_scale
from ccsim.calibrate.logs import CallLog
from ccsim.calibrate.scaling import FIT_ON
from ccsim.calibrate.scenario import Calibration, Options
from ccsim.calibrate.scenario import calibrate as fit
from ccsim.cli.common import user_errors
from ccsim.cli.loader import load_log
from ccsim.cli.options import LOG_HELP, PROXIES, First, Gap, Last, LogFormat, Proxy, choice, seconds
from ccsim.config.errors import ConfigError

PATTERNS = ("auto", "week", "daily")

Logs = Annotated[list[Path], typer.Argument(help=LOG_HELP + " (several files are joined)")]
Out = Annotated[Path, typer.Option("--out", "-o", help="scenario TOML file to write")]
Interval = Annotated[str, typer.Option(help="interval of the rates and staffing")]
Pattern = Annotated[
    Literal["auto", "week", "daily"],
    typer.Option(help="auto, week (7 days from Monday) or daily (one day repeated)"),
]
SlWithin = Annotated[str, typer.Option("--sl-within", help="service-level threshold (not in a log)")]
SlTarget = Annotated[float, typer.Option("--sl-target", min=0, max=1, help="service-level target")]
Teams = Annotated[bool, typer.Option("--teams/--no-teams", help="infer teams dedicated to one contact type")]
FitScale = Annotated[
    bool,
    typer.Option(
        "--fit-scale",
        help="also find the factor on the staffing proxy that reproduces the log's own "
        "service level (simulates the log's period about ten times)",
    ),
]
FitOn = Annotated[
    str,
    typer.Option(
        "--fit-on",
        help="with --fit-scale: service_level (match it) or both (least squares on service "
        "level and abandonment)",
    ),
]
PatienceChoice = Annotated[
    str,
    typer.Option(
        "--patience-law",
        help="aic (exponential or lognormal by AIC) or held-out (exponential, lognormal, gamma or the "
        "Kaplan-Meier curve, and a time-of-day profile, by held-out likelihood on the later days)",
    ),
]
RoutingChoice = Annotated[
    str,
    typer.Option(
        "--routing",
        help="documented (the data's head starts) or tested (kept, dropped or reversed as the waits say)",
    ),
]
Recent = Annotated[
    str | None, typer.Option(help="fit handle times and patience on the latest part of the log only, e.g. 4w")
]
Name = Annotated[str | None, typer.Option(help="scenario name")]
Replications = Annotated[int, typer.Option(min=1, help="replications written in the scenario")]


@user_errors
def calibrate(
    logs: Logs,
    out: Out,
    interval: Interval = "30min",
    pattern: Pattern = "auto",
    sl_within: SlWithin = "20s",
    sl_target: SlTarget = 0.8,
    proxy: Proxy = "distinct",
    gap: Gap = "30min",
    teams: Teams = True,
    fit_scale: FitScale = False,
    fit_on: FitOn = "service_level",
    patience: PatienceChoice = "aic",
    routing: RoutingChoice = "documented",
    recent: Recent = None,
    first: First = None,
    last: Last = None,
    name: Name = None,
    replications: Replications = 5,
    log_format: LogFormat = "auto",
) -> None:
    """Fit a scenario to a call log and write it with comments saying where each number came from."""
    opts = Options(
        interval=seconds(interval, "--interval"),
        pattern=choice(pattern, PATTERNS, "--pattern"),
        sl_within=seconds(sl_within, "--sl-within"),
        sl_target=sl_target,
        proxy=choice(proxy, PROXIES, "--proxy"),
        gap=seconds(gap, "--gap"),
        teams=teams,
        name=name,
        replications=replications,
        patience=choice(patience, ("aic", "held-out"), "--patience-law").replace("-", "_"),
        routing=choice(routing, ("documented", "tested"), "--routing"),
        recent=seconds(recent, "--recent") if recent else 0.0,
    )
    log = load_log(logs, log_format, first, last)
    try:
        cal = fit(log, opts)
    except ValueError as exc:
        raise ConfigError([str(exc)]) from None
    if fit_scale:
        _fit_scales(cal, log, opts, choice(fit_on, FIT_ON, "--fit-on"))
    text = cal.to_toml()
    cal.scenario(str(out.resolve().parent))  # the file must load
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    _print_calibration(cal, out)


def _fit_scales(cal: Calibration, log: CallLog, opts: Options, on: str) -> None:
    """The factors on the staffing proxy at which the simulation, and the Erlang-A formula, fit
    the log's own service level (and abandonment, with ``on="both"``)."""
    target = "service level" if on == "service_level" else "service level and abandonment"
    scale, obs, steps = find_scale(log, cal.scenario(), proxy=opts.proxy, gap=opts.gap, fit_on=on)
    seen = f"observed {target} ({100 * obs[0]:.1f}%" + (f", {100 * obs[1]:.1f}%)" if on == "both" else ")")
    cal.set_scale(
        scale,
        f"the factor at which a back-test over the log's own {len(log.days)} days fits "
        f"its {seen}, found in {len(steps)} simulations",
    )
    erlang, obs, tried = fit_erlang(log, cal.scenario(), proxy=opts.proxy, gap=opts.gap, fit_on=on)
    cal.set_erlang(
        erlang.patience,
        erlang.scale,
        f"fitted like the simulation's: the factor at which the formula fits the log's "
        f"{seen}, found in {len(tried)} evaluations",
    )


def _print_calibration(cal: Calibration, out: Path) -> None:
    console = Console()
    table = Table(title=f"Fits written to {out}", title_justify="left")
    for col in ("what", "name", "family", "mean", "cv", "from"):
        table.add_column(col, justify="right" if col in ("mean", "cv") else "left")
    for _, row in cal.summary().iterrows():
        mean = (
            "never abandons"
            if row["family"] == "none"
            else f"{row['mean_s']:.1f}s ± {1.96 * row['mean_se_s']:.1f}"
        )
        cv = f"{row['cv']:.2f}" if row["cv"] == row["cv"] else ""
        n = f"{row['n']:,}" + (f" ({row['events']:,} abandoned)" if row["what"] == "patience" else "")
        table.add_row(row["what"], str(row["name"]), row["family"], mean, cv, n)
    console.print(table)
    if cal.busyness is not None:
        console.print(f"busyness: {cal.busyness.describe()}", style="dim")
    for g, body in cal.raw["agents"].items():
        console.print(
            f"team {g}: skills {', '.join(body['skills'])}; staffing up to {max(body['staffing'])} "
            f"(scale {cal.staffing_scale:g})",
            style="dim",
        )


def register(app: typer.Typer) -> None:
    app.command()(calibrate)
