"""``ccsim erlang``: the analytic calculator (Erlang B, C, A).

``ccsim erlang --rate 19.5/min --handle 5min [--patience 3min] [--agents 100 | --target 0.8]
[--within 20s] [--definition offered] [--lines N]``. Without ``--patience`` nobody abandons
(Erlang C); with it, patience is exponential with that mean (Erlang A). ``--agents`` shows the
KPIs at that staffing, ``--target`` the agents needed (the default when neither is given,
unless only ``--lines`` is), ``--lines`` the Erlang B blocking of that many trunk lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from ccsim.cli.common import user_errors

DEFAULT_TARGET = 0.8


def _option(name: str, raw: str, parse: Callable[[str], Any], check: str = "") -> Any:
    """Parse one option; a bad value becomes a ``ConfigError`` naming the option."""
    from ccsim.config.errors import ConfigError

    try:
        value = parse(raw)
    except ValueError as exc:
        raise ConfigError([f"{name}: {exc}"]) from None
    rules = {
        ">0": (lambda v: v > 0, "must be > 0"),
        ">=0": (lambda v: v >= 0, "must be >= 0"),
        ">=1": (lambda v: v >= 1, "must be >= 1"),
        "(0,1)": (lambda v: 0 < v < 1, "must be between 0 and 1, exclusive"),
        "[0,1]": (lambda v: 0 <= v <= 1, "must be between 0 and 1"),
    }
    if check:
        ok, rule = rules[check]
        if not math.isfinite(value) or not ok(value):
            raise ConfigError([f"{name}: {rule} (got {raw!r})"])
    return value


def _whole(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number (got {raw!r})") from None


def _share(raw: str) -> float:
    text = raw.strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"expected a share such as 0.8 or 80% (got {raw!r})") from None


def _pct(p: float) -> str:
    return "n/a" if math.isnan(p) else f"{100 * p:.2f}%"


def _secs(s: float) -> str:
    if math.isinf(s):
        return "inf (unstable: load >= agents)"
    return "n/a" if math.isnan(s) else f"{s:.1f}s"


def register(app: typer.Typer) -> None:
    @app.command()
    @user_errors
    def erlang(
        rate: Annotated[str, typer.Option(help="arrival rate, e.g. '19.5/min', '1170/h'")],
        handle: Annotated[str, typer.Option(help="mean handle time (AHT), e.g. '5min'")],
        patience: Annotated[
            str | None,
            typer.Option(help="mean patience, exponential (Erlang A); omit: nobody abandons (Erlang C)"),
        ] = None,
        agents: Annotated[str | None, typer.Option(help="agents: show the KPIs at this staffing")] = None,
        target: Annotated[
            str | None,
            typer.Option(
                help=f"service-level target, e.g. 0.8: show the agents needed (default {DEFAULT_TARGET})"
            ),
        ] = None,
        within: Annotated[str, typer.Option(help="service-level threshold, e.g. '20s'")] = "20s",
        definition: Annotated[
            Literal["offered", "answered", "offered_excl_short", "answered_or_abandoned"],
            typer.Option(help="service-level definition"),
        ] = "offered",
        short_abandon: Annotated[
            str, typer.Option(help="abandons quicker than this are left out by offered_excl_short")
        ] = "5s",
        abandon_cap: Annotated[
            str | None, typer.Option(help="with --target: largest acceptable P(abandon), e.g. 0.05")
        ] = None,
        lines: Annotated[
            str | None, typer.Option(help="trunk lines: show the Erlang B blocking at load rate x handle")
        ] = None,
    ) -> None:
        """Erlang B, C and A: service level, ASA, abandonment, occupancy; agents for a target."""
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from ccsim import analytic
        from ccsim.config.errors import ConfigError
        from ccsim.units import format_duration, parse_duration, parse_rate

        def duration(v: str) -> float:  # '300' could be seconds or minutes: the unit is required
            return parse_duration(v, require_unit=True)

        lam = _option("--rate", rate, lambda v: parse_rate(v, require_unit=True), ">0")
        aht = _option("--handle", handle, duration, ">0")
        pat = None if patience is None else _option("--patience", patience, duration, ">0")
        t = _option("--within", within, duration, ">=0")
        short = _option("--short-abandon", short_abandon, duration, ">=0")
        n = None if agents is None else _option("--agents", agents, _whole, ">=1")
        sl_target = None if target is None else _option("--target", target, _share, "(0,1)")
        cap = None if abandon_cap is None else _option("--abandon-cap", abandon_cap, _share, "[0,1]")
        n_lines = None if lines is None else _option("--lines", lines, _whole, ">=1")
        if definition not in analytic.DEFINITIONS:
            choices = ", ".join(analytic.DEFINITIONS)
            raise ConfigError([f"--definition: must be one of {choices} (got {definition!r})"])
        if n is not None and sl_target is not None:
            raise ConfigError(["--agents, --target: give one of them, not both"])
        if n is None and sl_target is None and n_lines is None:
            sl_target = DEFAULT_TARGET

        load = lam * aht
        offered = escape(f"{load:.4g} Erlangs ({rate} x {handle})")
        console = Console()
        try:
            if n is not None or sl_target is not None:
                if n is None:
                    n = analytic.agents_for_service_level(
                        lam, aht, t, sl_target or DEFAULT_TARGET, pat, definition, cap, short
                    )
                m = analytic.queue_metrics(lam, aht, n, t, pat, definition, short)
                table = Table(title=m.model, show_header=False, title_justify="left")
                table.add_column("KPI")
                table.add_column("value", justify="right")
                table.add_row("offered load", offered)
                if pat is not None:
                    table.add_row("mean patience", format_duration(pat))
                if sl_target is not None:
                    goal = f"{_pct(sl_target)} within {format_duration(t)}" + (
                        "" if cap is None else f", abandon <= {_pct(cap)}"
                    )
                    table.add_row("agents needed", f"[bold]{n}[/bold] (target {goal})")
                else:
                    table.add_row("agents", str(n))
                table.add_row(
                    f"service level ({definition}, within {format_duration(t)})", _pct(m.service_level)
                )
                table.add_row("ASA (answered)", _secs(m.asa))
                table.add_row("mean wait (all)", _secs(m.mean_wait))
                table.add_row("P(wait > 0)", _pct(m.p_wait))
                table.add_row("P(abandon)", _pct(m.p_abandon))
                table.add_row("occupancy", _pct(m.occupancy))
                console.print(table)
            if n_lines is not None:
                b = analytic.erlang_b(n_lines, load)
                table = Table(title="Erlang B (M/M/N/N loss)", show_header=False, title_justify="left")
                table.add_column("KPI")
                table.add_column("value", justify="right")
                table.add_row("offered load", offered)
                table.add_row("lines", str(n_lines))
                table.add_row("blocking", _pct(b))
                table.add_row("lines for 1% blocking", str(analytic.lines_for_blocking(load, 0.01)))
                console.print(table)
        except ValueError as exc:  # a limit of the formulas, e.g. a target never reached
            name, _, message = str(exc).partition(": ")
            raise ConfigError([f"--{name.replace('_', '-')}: {message}"]) from None
        if n is not None:
            laws = "exponential handle times" + (" and patience" if pat is not None else "")
            console.print(f"Poisson arrivals, {laws}; steady state.", style="dim")
        if n_lines is not None:
            console.print(
                "Erlang B: Poisson arrivals, any handle-time law with this mean; a line is held for "
                "the handle time only (a contact that finds all lines busy is lost).",
                style="dim",
            )
