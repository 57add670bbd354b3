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
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccsim import analytic
from ccsim.cli.common import user_errors
from ccsim.config.errors import ConfigError
from ccsim.units import format_duration, parse_duration, parse_rate

DEFAULT_TARGET = 0.8
Definition = Literal["offered", "answered", "offered_excl_short", "answered_or_abandoned"]

Rate = Annotated[str, typer.Option(help="arrival rate, e.g. '19.5/min', '1170/h'")]
Handle = Annotated[str, typer.Option(help="mean handle time (AHT), e.g. '5min'")]
Patience = Annotated[
    str | None, typer.Option(help="mean patience, exponential (Erlang A); omit: nobody abandons (Erlang C)")
]
Agents = Annotated[str | None, typer.Option(help="agents: show the KPIs at this staffing")]
Target = Annotated[
    str | None,
    typer.Option(help=f"service-level target, e.g. 0.8: show the agents needed (default {DEFAULT_TARGET})"),
]
Within = Annotated[str, typer.Option(help="service-level threshold, e.g. '20s'")]
DefinitionOption = Annotated[Definition, typer.Option(help="service-level definition")]
ShortAbandon = Annotated[
    str, typer.Option(help="abandons quicker than this are left out by offered_excl_short")
]
AbandonCap = Annotated[
    str | None, typer.Option(help="with --target: largest acceptable P(abandon), e.g. 0.05")
]
Lines = Annotated[
    str | None, typer.Option(help="trunk lines: show the Erlang B blocking at load rate x handle")
]


@dataclass
class Question:
    """The options parsed and checked: rates per second, times in seconds."""

    rate: float
    handle: float
    patience: float | None
    within: float
    short_abandon: float
    agents: int | None
    target: float | None
    abandon_cap: float | None
    lines: int | None
    definition: str
    offered: str  # the offered load in words, as the tables show it

    @property
    def load(self) -> float:
        return self.rate * self.handle


def _option(name: str, raw: str, parse: Callable[[str], Any], check: str = "") -> Any:
    """Parse one option; a bad value becomes a ``ConfigError`` naming the option."""
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


@user_errors
def erlang(
    rate: Rate,
    handle: Handle,
    patience: Patience = None,
    agents: Agents = None,
    target: Target = None,
    within: Within = "20s",
    definition: DefinitionOption = "offered",
    short_abandon: ShortAbandon = "5s",
    abandon_cap: AbandonCap = None,
    lines: Lines = None,
) -> None:
    """Erlang B, C and A: service level, ASA, abandonment, occupancy; agents for a target."""
    q = _question(
        rate, handle, patience, agents, target, within, definition, short_abandon, abandon_cap, lines
    )
    console = Console()
    n = q.agents
    try:
        if n is not None or q.target is not None:
            if n is None:
                n = analytic.agents_for_service_level(
                    q.rate, q.handle, q.within, q.target or DEFAULT_TARGET, q.patience, q.definition,
                    q.abandon_cap, q.short_abandon,
                )  # fmt: skip
            console.print(_queue_table(q, n))
        if q.lines is not None:
            console.print(_lines_table(q, q.lines))
    except ValueError as exc:  # a limit of the formulas, e.g. a target never reached
        name, _, message = str(exc).partition(": ")
        raise ConfigError([f"--{name.replace('_', '-')}: {message}"]) from None
    if n is not None:
        laws = "exponential handle times" + (" and patience" if q.patience is not None else "")
        console.print(f"Poisson arrivals, {laws}; steady state.", style="dim")
    if q.lines is not None:
        console.print(
            "Erlang B: Poisson arrivals, any handle-time law with this mean; a line is held for "
            "the handle time only (a contact that finds all lines busy is lost).",
            style="dim",
        )


def _duration(v: str) -> float:
    """A duration of an option: '300' could be seconds or minutes, so the unit is required."""
    return parse_duration(v, require_unit=True)


def _question(
    rate: str,
    handle: str,
    patience: str | None,
    agents: str | None,
    target: str | None,
    within: str,
    definition: str,
    short_abandon: str,
    abandon_cap: str | None,
    lines: str | None,
) -> Question:
    """The options parsed and checked; a bad one is a ``ConfigError`` naming it."""
    lam = _option("--rate", rate, lambda v: parse_rate(v, require_unit=True), ">0")
    aht = _option("--handle", handle, _duration, ">0")
    pat = None if patience is None else _option("--patience", patience, _duration, ">0")
    t = _option("--within", within, _duration, ">=0")
    short = _option("--short-abandon", short_abandon, _duration, ">=0")
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
    offered = escape(f"{lam * aht:.4g} Erlangs ({rate} x {handle})")
    return Question(lam, aht, pat, t, short, n, sl_target, cap, n_lines, definition, offered)


def _kpi_table(title: str) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    return table


def _queue_table(q: Question, n: int) -> Table:
    """The KPIs of the Erlang C or A queue with ``n`` agents (and the target they meet)."""
    m = analytic.queue_metrics(q.rate, q.handle, n, q.within, q.patience, q.definition, q.short_abandon)
    table = _kpi_table(m.model)
    table.add_row("offered load", q.offered)
    if q.patience is not None:
        table.add_row("mean patience", format_duration(q.patience))
    if q.target is not None:
        goal = f"{_pct(q.target)} within {format_duration(q.within)}" + (
            "" if q.abandon_cap is None else f", abandon <= {_pct(q.abandon_cap)}"
        )
        table.add_row("agents needed", f"[bold]{n}[/bold] (target {goal})")
    else:
        table.add_row("agents", str(n))
    table.add_row(
        f"service level ({q.definition}, within {format_duration(q.within)})", _pct(m.service_level)
    )
    table.add_row("ASA (answered)", _secs(m.asa))
    table.add_row("mean wait (all)", _secs(m.mean_wait))
    table.add_row("P(wait > 0)", _pct(m.p_wait))
    table.add_row("P(abandon)", _pct(m.p_abandon))
    table.add_row("occupancy", _pct(m.occupancy))
    return table


def _lines_table(q: Question, lines: int) -> Table:
    """Erlang B: the blocking of ``lines`` trunk lines, and the lines for 1% blocking."""
    table = _kpi_table("Erlang B (M/M/N/N loss)")
    table.add_row("offered load", q.offered)
    table.add_row("lines", str(lines))
    table.add_row("blocking", _pct(analytic.erlang_b(lines, q.load)))
    table.add_row("lines for 1% blocking", str(analytic.lines_for_blocking(q.load, 0.01)))
    return table


def register(app: typer.Typer) -> None:
    app.command()(erlang)
