"""Options several commands share, defined once: each command's signature uses these aliases
(an option of one command only is an alias at the top of its module)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ccsim.config.errors import ConfigError
from ccsim.units import parse_duration


def out_option(help: str) -> Any:
    """``--out``/``-o`` with the command's own help (what it writes, and its default)."""
    return typer.Option("--out", "-o", help=help)


# the scenario and what changes it (read by ccsim.cli.loader.load_scenario)
ConfigPath = Annotated[Path, typer.Argument(metavar="CONFIG", help="scenario TOML file")]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="PATH=VALUE", help="override a config value: PATH=VALUE (repeatable)"),
]
Prices = Annotated[
    Path | None,
    typer.Option(help="a prices file: costs, value, experience, frontier, sensitivity, agent costs"),
]

# the simulation
Seed = Annotated[int | None, typer.Option(help="root seed (default: the config's)")]
Replications = Annotated[
    int | None, typer.Option("--replications", "-r", min=1, help="replications (default: the config's)")
]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="local worker processes (default: one per core)")
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="run the replications on a Dask cluster: the scheduler's address, tcp://HOST:PORT"
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="print only errors: no progress bar, no tables")]

# the staffing optimiser and the frontier (optimize, frontier, sensitivity)
Confidence = Annotated[
    float, typer.Option(min=0.01, max=0.99, help="confidence that a period meets its target")
]
PlanReplications = Annotated[
    int | None,
    typer.Option(
        "--replications",
        "-r",
        min=2,
        help="replications per candidate plan (default: the config's, at least 10)",
    ),
]
Targets = Annotated[
    str | None, typer.Option(help="service-level targets, e.g. 0.6,0.7,0.8,0.9 (default: [frontier])")
]
EvalReplications = Annotated[
    int | None,
    typer.Option(
        min=2, help="first replications of each point's evaluation (default: the config's, at least 20)"
    ),
]
MaxEvalReplications = Annotated[
    int | None,
    typer.Option(min=2, help="most replications a point of the band gets (default: 4x --eval-replications)"),
]
BandConfidence = Annotated[
    float, typer.Option(min=0.5, max=0.999, help="confidence of the band of service levels")
]
Indifference = Annotated[
    str,
    typer.Option(
        help="cost difference that does not matter: an amount in the scenario's currency per "
        "replication (e.g. '300 EUR') or a share of the cheapest total cost (e.g. 1%); a bare "
        "number is refused"
    ),
]

# call logs (calibrate, backtest)
LOG_HELP = "call log: ccsim CSV/Parquet (see docs/howto/calibrate.md) or an Anonymous Bank .txt file"
LOG_FORMATS = ("auto", "ccsim", "anonymous_bank")
PROXIES = ("distinct", "presence")
LogFormat = Annotated[
    Literal["auto", "ccsim", "anonymous_bank"], typer.Option("--format", help="the log's format")
]
Proxy = Annotated[
    Literal["distinct", "presence"],
    typer.Option(help="staffing proxy: distinct (agents serving) or presence (spans on duty)"),
]
Gap = Annotated[str, typer.Option(help="presence proxy: longest gap between services inside a span on duty")]
First = Annotated[str | None, typer.Option("--from", help="first day to use, YYYY-MM-DD")]
Last = Annotated[str | None, typer.Option("--to", help="last day to use, YYYY-MM-DD")]


def seconds(value: str, option: str) -> float:
    """A duration option with its unit (``30min``), > 0, in seconds."""
    try:
        v = parse_duration(value, require_unit=True)
    except ValueError as exc:
        raise ConfigError([f"{option}: {exc}"]) from None
    if v <= 0:
        raise ConfigError([f"{option}: must be > 0 (got {value!r})"])
    return v


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError([f"{option}: must be one of {', '.join(allowed)} (got {value!r})"])
    return value


def target_list(text: str | None) -> list[float] | None:
    """The shares of ``--targets`` (``0.6,0.7,0.8``), each in (0, 1); ``None`` when not given."""
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


def where(workers: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """``workers`` and ``executor`` for ``ccsim.simulate`` from the two options (one at most)."""
    if workers is not None and scheduler is not None:
        raise ConfigError(["give --workers or --scheduler, not both"])
    return workers, scheduler
