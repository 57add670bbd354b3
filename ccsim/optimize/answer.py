"""The frontier's answer in plain words, from one row of ``FrontierResult.optimum``: the band of
service levels to aim for, what lies below and above it, and how sure the statement is. The
terminal (``ccsim frontier``) and the frontier page say the same sentences."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ccsim.optimize.frontiers import FrontierResult


def _pct(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{100 * v:.0f}%"


def _money(v: float, currency: str) -> str:
    return f"{v:,.0f} {currency}".strip()


def span_text(low: float, high: float) -> str:
    """A band of service levels as text, e.g. "80–86%" ("84%" when both ends round alike)."""
    lo, hi = _pct(low), _pct(high)
    return lo if lo == hi else f"{lo[:-1]}–{hi}"


def band_text(row: pd.Series | Mapping[str, float]) -> str:
    """The band of an ``optimum`` row as text, e.g. "80–86%"."""
    return span_text(float(row["band_low"]), float(row["band_high"]))


def band_sentences(row: pd.Series, result: FrontierResult) -> list[str]:
    """What to aim for, why not less or more, and the confidence (see the module docstring)."""
    cur, period = result.currency, result.period
    conf = f"{100 * result.confidence:.0f}%"
    low, high = float(row["band_low"]), float(row["band_high"])
    points = result.points[result.points["choice"] == row["choice"]]
    out = [f"Aim for {band_text(row)} {result.measure}."]
    below = bool((points["service_level"] < low - 1e-9).any())
    above = bool((points["service_level"] > high + 1e-9).any())
    sides = []
    if below:
        sides.append(f"below {_pct(low)} you lose more in customers than you save in agents")
    if above:
        sides.append(f"above {_pct(high)} you pay more than it saves")
    if sides:
        text = "; ".join(sides)
        out.append(text[0].upper() + text[1:] + ".")
    spread = float(row["band_spread"])
    indifference = _money(float(row["indifference"]), cur)
    if bool(row["resolved"]) and spread <= 0:
        out.append(
            f"Every other level costs more than {indifference} {period} above it ({conf}); "
            "the band is this one point."
        )
    elif bool(row["resolved"]):
        out.append(
            f"Inside the band the total cost differs by less than {_money(spread, cur)} {period} ({conf})."
        )
    else:
        reps = int(row["replications"])
        out.append(
            f"Inside the band the total cost may differ by up to {_money(spread, cur)} {period} ({conf}): "
            f"{reps} replications did not narrow it to twice {indifference}; more replications would "
            "(--max-eval-replications)."
        )
    if bool(row["at_edge"]):
        out.append(
            "The band reaches the lowest or highest target tried, so it may extend beyond: widen the targets."
        )
    return out
