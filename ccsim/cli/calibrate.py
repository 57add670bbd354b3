"""``ccsim calibrate`` (a call log to a scenario) and ``ccsim backtest`` (a scenario against a log)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ccsim.calibrate.scaling import FIT_ON
from ccsim.cli.common import user_errors
from ccsim.cli.tables import SECTION, compact_table

LogFormat = Literal["auto", "ccsim", "anonymous_bank"]
Proxy = Literal["distinct", "presence"]
LOG_HELP = "call log: ccsim CSV/Parquet (see docs/howto/calibrate.md) or an Anonymous Bank .txt file"


def _seconds(value: str, option: str) -> float:
    from ccsim.config.errors import ConfigError
    from ccsim.units import parse_duration

    try:
        v = parse_duration(value, require_unit=True)
    except ValueError as exc:
        raise ConfigError([f"{option}: {exc}"]) from None
    if v <= 0:
        raise ConfigError([f"{option}: must be > 0 (got {value!r})"])
    return v


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    from ccsim.config.errors import ConfigError

    if value not in allowed:
        raise ConfigError([f"{option}: must be one of {', '.join(allowed)} (got {value!r})"])
    return value


def _period(log: Any, first: str | None, last: str | None) -> Any:
    from ccsim.config.errors import ConfigError

    try:
        part = log.between(first, last)
    except ValueError as exc:
        raise ConfigError([f"--from/--to: {exc}"]) from None
    if not len(part):
        raise ConfigError(["no contacts in the log between --from and --to"])
    return part


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def calibrate(
        logs: Annotated[list[Path], typer.Argument(help=LOG_HELP + " (several files are joined)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="scenario TOML file to write")],
        interval: Annotated[str, typer.Option(help="interval of the rates and staffing")] = "30min",
        pattern: Annotated[
            Literal["auto", "week", "daily"],
            typer.Option(help="auto, week (7 days from Monday) or daily (one day repeated)"),
        ] = "auto",
        sl_within: Annotated[
            str, typer.Option("--sl-within", help="service-level threshold (not in a log)")
        ] = "20s",
        sl_target: Annotated[
            float, typer.Option("--sl-target", min=0, max=1, help="service-level target")
        ] = 0.8,
        proxy: Annotated[
            Proxy, typer.Option(help="staffing proxy: distinct (agents serving) or presence (spans on duty)")
        ] = "distinct",
        gap: Annotated[
            str, typer.Option(help="presence proxy: longest gap between services inside a span on duty")
        ] = "30min",
        teams: Annotated[
            bool, typer.Option("--teams/--no-teams", help="infer teams dedicated to one contact type")
        ] = True,
        fit_scale: Annotated[
            bool,
            typer.Option(
                "--fit-scale",
                help="also find the factor on the staffing proxy that reproduces the log's own "
                "service level (simulates the log's period about ten times)",
            ),
        ] = False,
        fit_on: Annotated[
            str,
            typer.Option(
                "--fit-on",
                help="with --fit-scale: service_level (match it) or both (least squares on service "
                "level and abandonment)",
            ),
        ] = "service_level",
        first: Annotated[str | None, typer.Option("--from", help="first day to use, YYYY-MM-DD")] = None,
        last: Annotated[str | None, typer.Option("--to", help="last day to use, YYYY-MM-DD")] = None,
        name: Annotated[str | None, typer.Option(help="scenario name")] = None,
        replications: Annotated[int, typer.Option(min=1, help="replications written in the scenario")] = 5,
        log_format: Annotated[LogFormat, typer.Option("--format", help="the log's format")] = "auto",
    ) -> None:
        """Fit a scenario to a call log and write it with comments saying where each number came from."""
        from ccsim.calibrate.logs import read_log
        from ccsim.calibrate.scenario import Options
        from ccsim.calibrate.scenario import calibrate as fit

        opts = Options(
            interval=_seconds(interval, "--interval"),
            pattern=_choice(pattern, ("auto", "week", "daily"), "--pattern"),
            sl_within=_seconds(sl_within, "--sl-within"),
            sl_target=sl_target,
            proxy=_choice(proxy, ("distinct", "presence"), "--proxy"),
            gap=_seconds(gap, "--gap"),
            teams=teams,
            name=name,
            replications=replications,
        )
        log = _period(
            read_log(logs, _choice(log_format, ("auto", "ccsim", "anonymous_bank"), "--format")), first, last
        )
        try:
            cal = fit(log, opts)
        except ValueError as exc:
            from ccsim.config.errors import ConfigError

            raise ConfigError([str(exc)]) from None
        if fit_scale:
            from ccsim.calibrate.backtesting import fit_erlang
            from ccsim.calibrate.backtesting import fit_scale as find

            on = _choice(fit_on, FIT_ON, "--fit-on")
            target = "service level" if on == "service_level" else "service level and abandonment"
            scale, obs, steps = find(log, cal.scenario(), proxy=opts.proxy, gap=opts.gap, fit_on=on)
            seen = f"observed {target} ({100 * obs[0]:.1f}%" + (
                f", {100 * obs[1]:.1f}%)" if on == "both" else ")"
            )
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
        text = cal.to_toml()
        cal.scenario(str(out.resolve().parent))  # the file must load
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        _print_calibration(cal, out)

    @app.command()
    @user_errors
    def backtest(
        log: Annotated[Path, typer.Argument(help=LOG_HELP)],
        scenario: Annotated[Path, typer.Argument(help="scenario TOML file (e.g. from ccsim calibrate)")],
        replications: Annotated[
            int | None, typer.Option("--replications", "-r", min=1, help="default: the scenario's")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="root seed (default: the scenario's)")] = None,
        demand: Annotated[
            Literal["observed", "scenario"],
            typer.Option(help="observed (the log's counts per interval) or scenario (its rates)"),
        ] = "observed",
        staffing: Annotated[
            Literal["proxy", "scenario"], typer.Option(help="proxy (from the log) or scenario (its staffing)")
        ] = "proxy",
        proxy: Annotated[Proxy, typer.Option(help="staffing proxy")] = "distinct",
        gap: Annotated[
            str, typer.Option(help="presence proxy: longest gap between services inside a span on duty")
        ] = "30min",
        scale: Annotated[
            float | None,
            typer.Option(min=0, help="factor on the staffing proxy (default: the scenario file's, else 1)"),
        ] = None,
        erlang_scale: Annotated[
            float | None,
            typer.Option(
                "--erlang-scale",
                min=0,
                help="factor on the staffing proxy for the Erlang-A baseline (default: the one "
                "calibrate fitted, recorded in the scenario file, else the simulation's)",
            ),
        ] = None,
        by: Annotated[
            Literal["hour", "weekday", "day", "segment", "contact_type"], typer.Option(help="compare by")
        ] = "hour",
        first: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
        last: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="folder for comparison.csv, the run's tables and report.html"),
        ] = None,
        log_format: Annotated[LogFormat, typer.Option("--format", help="the log's format")] = "auto",
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print nothing")] = False,
    ) -> None:
        """Simulate the log's period with a scenario and compare observed with simulated, hour by hour."""
        import ccsim
        from ccsim.calibrate.backtesting import KEYS
        from ccsim.calibrate.backtesting import backtest as run_backtest
        from ccsim.calibrate.logs import read_log

        sc = ccsim.load(scenario)
        data = _period(
            read_log(log, _choice(log_format, ("auto", "ccsim", "anonymous_bank"), "--format")), first, last
        )
        bt = run_backtest(
            data,
            sc,
            replications=replications,
            seed=seed,
            demand=_choice(demand, ("observed", "scenario"), "--demand"),
            staffing=_choice(staffing, ("proxy", "scenario"), "--staffing"),
            proxy=_choice(proxy, ("distinct", "presence"), "--proxy"),
            gap=_seconds(gap, "--gap"),
            by=_choice(by, KEYS, "--by"),
            scale=scale,
            erlang_scale=erlang_scale,
        )
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            bt.comparison.to_csv(out / "comparison.csv", index=False)
            facts = {"command": " ".join(["ccsim", *sys.argv[1:]]), "backtest": bt.settings}
            bt.results.write(out, manifest=facts)
            from ccsim.report.backtest import render_backtest

            render_backtest(bt, out / "report.html", manifest=facts)
        if not quiet:
            _print_backtest(bt, out)


def _print_calibration(cal: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

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


def _print_backtest(bt: Any, out: Path | None) -> None:
    from rich.console import Console

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


def _backtest_cells(row: Any, by: str, erlang: bool) -> list[str]:
    key = row[by]
    cells = [f"{int(key):02d}:00" if by == "hour" and key != "all" else str(key)]
    for m, _, scale, digits in MEASURES:
        cells.append(_num(row[f"{m}_obs"] * scale, digits))
        ci = row[f"{m}_sim_ci"] * scale
        cells.append(_num(row[f"{m}_sim"] * scale, digits) + (f" ±{_num(ci, digits)}" if ci == ci else ""))
        if erlang and m != "offered":
            cells.append(_num(row[f"{m}_erlang"] * scale, digits))
    return cells


def _print_errors(console: Any, bt: Any) -> None:
    """Each model's weighted MAE, bias and all-period error, and the Erlang-A inputs."""
    from rich.markup import escape
    from rich.table import Table

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
