"""Which assumption decides the answer: the frontier's band under each soft assumption's low and
high value.

The frontier (``ccsim.optimize.frontiers``) answers with a band of service levels at a given set
of prices, customer values and response curves, most of which are estimates. Each assumption of
``[sensitivity]`` is moved to its low and to its high value, one at a time, and the band is found
again on the same points:

- **Money assumptions** (lifetime value and lost revenue of each segment, the churn curves, the
  agents' cost) are *re-accounted*: total cost is linear in each of them, and every point keeps,
  per replication, the sums they multiply (staffing, each segment's lost lifetime value, lost
  revenue and churn), so no contact is simulated again. Scaling the churn curves multiplies each
  contact's churn probability, which is exact while no probability would exceed 1.
- **CSAT and NPS curves** are reported, not priced: they cannot move the band, and their row says so.
- **Operational assumptions** (demand volume, handle time, patience) *re-simulate* the frontier's
  plans on the same replications of the same seed (common random numbers; no new optimisation).

At each setting the total cost quoted is that of the cheapest point of the band found there, with
its 95% half-width over the replications. The cheapest point at the low value and the one at the
high value may be different plans; both are evaluated on the same replications of the same seed,
so their **change** (high minus low) is taken replication by replication over the replications
both have, and its half-width is that of the paired differences. It is the change in what the
answer costs, moving from one cheapest plan to the other, conditional on which plans were
cheapest.

A global design over the money assumptions (SALib: Morris elementary effects by default, Sobol
indices on request) adds how much each one moves the cheapest service level and the total cost
when all of them vary together; it is cheap because every sample is a re-accounting.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccsim.confidence import t_half_width
from ccsim.model.plan import scaled_plan
from ccsim.optimize.answer import span_text
from ccsim.optimize.band import screen
from ccsim.optimize.evaluation import replicate
from ccsim.optimize.frontiers import FrontierResult, frontier
from ccsim.optimize.indifference import Indifference, parse_indifference
from ccsim.scenario import Scenario

OPERATIONS = ("demand", "handle", "patience")


@dataclass(frozen=True)
class Factor:
    """One soft assumption: ``name`` (``lifetime_value:vip``, ``demand``, ...), what it means,
    whether it is re-accounted (``money``), re-simulated (``operation``) or not priced
    (``unpriced``), and its low and high multipliers."""

    name: str
    label: str
    kind: str
    low: float
    high: float


@dataclass
class SensitivityResult:
    """``table``: one row per factor (sensitivity.csv); ``base``: the band as priced; ``global_``:
    the global design's indices per money factor (empty without money factors); ``frontier``:
    the frontier the factors were applied to."""

    table: pd.DataFrame
    base: dict[str, float]  # band_low, band_high, best, total_cost and total_cost_ci95
    global_: pd.DataFrame
    frontier: FrontierResult
    design: str

    @property
    def headline(self) -> str:
        """One sentence naming the assumption that moves the answer most."""
        return headline(self.table, self.base, self.frontier.measure, self.frontier.currency)


def factors(scenario: Scenario) -> list[Factor]:
    """The soft assumptions of ``scenario`` with their ranges from ``[sensitivity]``."""
    spec = scenario.config.sensitivity
    value = scenario.config.value
    out = []
    for s, v in value.segments.items():
        if v.lifetime_value > 0:
            r = spec.lifetime_value
            out.append(Factor(f"lifetime_value:{s}", f"customer value ({s})", "money", r.low, r.high))
    for s, v in value.segments.items():
        if v.lost_per_contact > 0 or any(t.lost_per_contact > 0 for t in value.contact_types.values()):
            r = spec.lost_revenue
            out.append(Factor(f"lost_revenue:{s}", f"lost revenue ({s})", "money", r.low, r.high))
    money = [
        ("churn", "churn response", spec.churn),
        ("agent_cost", "agents' cost", spec.agent_cost),
    ]
    out += [Factor(n, label, "money", r.low, r.high) for n, label, r in money]
    out.append(
        Factor(
            "experience",
            "CSAT and NPS curves",
            "unpriced",
            spec.experience.low,
            spec.experience.high,
        )
    )
    ops = [
        ("demand", "demand volume", spec.demand),
        ("handle", "handle time", spec.handle),
        ("patience", "customers' patience", spec.patience),
    ]
    out += [Factor(n, label, "operation", r.low, r.high) for n, label, r in ops]
    return out


def reaccount(frame: pd.DataFrame, moves: dict[str, float], column: str = "total_cost") -> np.ndarray:
    """Per-replication total cost of a point with money factors moved (name -> multiplier)."""
    total = frame[column].to_numpy(dtype=float).copy()
    for name, f in moves.items():
        if f == 1.0:
            continue
        if name == "agent_cost":
            total += (f - 1.0) * frame["staffing"].to_numpy(dtype=float)
        elif name == "churn":
            total += (f - 1.0) * frame["lost_lifetime_value"].to_numpy(dtype=float)
        elif name.startswith("lifetime_value:"):
            total += (f - 1.0) * _segment(frame, "lost_lifetime_value", name.split(":", 1)[1])
        elif name.startswith("lost_revenue:"):
            total += (f - 1.0) * _segment(frame, "lost_revenue", name.split(":", 1)[1])
        elif name != "experience":
            raise ValueError(f"{name!r} is not a money factor")
    return total


def _segment(frame: pd.DataFrame, column: str, segment: str) -> np.ndarray:
    key = f"{column}@{segment}"
    return frame[key].fillna(0.0).to_numpy(dtype=float) if key in frame else np.zeros(len(frame))


@dataclass(frozen=True)
class Setting:
    """The band found at one setting of the assumptions (achieved service levels), the service
    level of its cheapest point (``best``) and that point's total cost per replication."""

    band_low: float
    band_high: float
    best: float
    costs: np.ndarray

    @property
    def total_cost(self) -> float:
        return float(np.mean(self.costs))

    def as_dict(self) -> dict[str, float]:
        """The band and the cheapest point's total cost with its 95% half-width."""
        return {
            "band_low": self.band_low,
            "band_high": self.band_high,
            "best": self.best,
            "total_cost": self.total_cost,
            "total_cost_ci95": t_half_width(self.costs),
        }


def _band(
    costs: dict[float, np.ndarray], levels: dict[float, float], alpha: float, indifference: Indifference
) -> Setting:
    cheapest = min(float(np.mean(v)) for v in costs.values())
    band = screen(costs, alpha, indifference.of(cheapest))
    kept = [levels[t] for t, k in band.in_band.items() if k]
    return Setting(float(np.nanmin(kept)), float(np.nanmax(kept)), levels[band.best], costs[band.best])


def _money_band(
    fr: FrontierResult, moves: dict[str, float], alpha: float, indifference: Indifference
) -> Setting:
    costs = {t: reaccount(f, moves) for (_, t), f in fr.samples.items()}
    levels = {t: float(np.nanmean(f["service_level"])) for (_, t), f in fr.samples.items()}
    return _band(costs, levels, alpha, indifference)


def _simulated_band(
    fr: FrontierResult,
    factor: Factor,
    level: float,
    seed: int,
    alpha: float,
    indifference: Indifference,
    where: tuple[int | None, Any],
) -> Setting:
    """Every distinct plan of the frontier re-simulated with ``factor`` at ``level``, on the first
    replications its evaluation used (same seed: common random numbers)."""
    costs: dict[float, np.ndarray] = {}
    levels: dict[float, float] = {}
    done: dict[tuple[int, ...], pd.DataFrame] = {}
    for (_, t), frame in fr.samples.items():
        plan = fr.plans[(fr.points["choice"].iloc[0], t)]
        arrays = plan.as_arrays()
        key = tuple(int(v) for g in plan.problem.groups for v in arrays[g])
        if key not in done:
            done[key] = replicate(
                moved(plan.scenario, factor.name, level), fr.channels, list(range(len(frame))), seed, *where
            )
        costs[t] = done[key]["total_cost"].to_numpy(dtype=float)
        levels[t] = float(np.nanmean(done[key]["service_level"]))
    return _band(costs, levels, alpha, indifference)


def moved(scenario: Scenario, name: str, level: float) -> Scenario:
    """``scenario`` with an operational factor at ``level`` (its plan scaled; see ``scaled_plan``)."""
    if name not in OPERATIONS:
        raise ValueError(f"{name!r} is not an operational factor ({', '.join(OPERATIONS)})")
    out = copy.copy(scenario)
    out.plan = scaled_plan(scenario.plan, **{name: level})
    return out


def sensitivity(
    scenario: Scenario,
    *,
    result: FrontierResult | None = None,
    alpha: float = 0.05,
    indifference: float | str | Indifference = "1%",
    design: str | None = None,
    workers: int | None = None,
    executor: Any = None,
    progress: Callable[[str], None] | None = None,
    **frontier_args: Any,
) -> SensitivityResult:
    """Move each soft assumption of ``scenario`` to its low and high value and find the band again
    (see the module docstring). ``result``: a frontier of ``scenario`` already computed (without
    service choices); otherwise one is computed with ``frontier_args`` (``targets``,
    ``replications``, ``eval_replications``, ...). ``workers`` or ``executor`` run the
    replications as for ``ccsim.simulate``. ``design``: "morris" or "sobol" (default:
    ``[sensitivity].design``). ``indifference`` as for ``frontier``: text with its unit ("300
    EUR", "1%") or a Python number, an amount in the scenario's currency per replication."""
    say = progress or (lambda _m: None)
    amount = parse_indifference(indifference, scenario.config.costs.currency)
    if result is None:
        result = frontier(
            scenario,
            choices={},
            alpha=alpha,
            indifference=amount,
            workers=workers,
            executor=executor,
            progress=progress,
            **frontier_args,
        )
    elif not result.samples or not result.plans:
        raise ValueError(
            "sensitivity needs a frontier with its plans and samples (not one read from a folder)"
        )
    if result.points["choice"].nunique() != 1:
        raise ValueError("sensitivity: give a frontier of one service choice (frontier(..., choices={}))")
    seed = _evaluation_seed(result)
    base = _money_band(result, {}, alpha, amount)
    rows = []
    for f in factors(scenario):
        say(f"sensitivity: {f.label} x{f.low:g} and x{f.high:g}")
        at: dict[str, Setting] = {}
        for side, level in (("low", f.low), ("high", f.high)):
            if f.kind == "operation":
                at[side] = _simulated_band(result, f, level, seed, alpha, amount, (workers, executor))
            else:
                at[side] = _money_band(result, {f.name: level}, alpha, amount)
        rows.append(_row(f, at, base))
    table = pd.DataFrame(rows)
    table = _ranked(table)
    design = design or scenario.config.sensitivity.design
    if design not in ("morris", "sobol"):
        raise ValueError(f"design must be 'morris' or 'sobol' (got {design!r})")
    indices = global_design(result, scenario, alpha, amount, design)
    return SensitivityResult(table, base.as_dict(), indices, result, design)


def _evaluation_seed(result: FrontierResult) -> int:
    plan = next(iter(result.plans.values()))
    return int(plan.seed) + 1


def _row(f: Factor, at: dict[str, Setting], base: Setting) -> dict[str, Any]:
    """The factor's row. The costs at low and at high and their change are over the evaluation
    replications both settings have (their cheapest points may have had different numbers), so
    that the change is the high cost less the low one; each side against the cost as priced
    likewise over the replications it shares with it."""
    lo, hi = at["low"], at["high"]
    n = min(len(lo.costs), len(hi.costs))
    low, high = np.asarray(lo.costs[:n], dtype=float), np.asarray(hi.costs[:n], dtype=float)
    change, change_ci95 = paired_change(low, high)
    low_vs_base, low_vs_base_ci95 = paired_change(base.costs, lo.costs)
    high_vs_base, high_vs_base_ci95 = paired_change(base.costs, hi.costs)
    return {
        "factor": f.name,
        "label": f.label,
        "kind": f.kind,
        "low": f.low,
        "high": f.high,
        "band_low_at_low": lo.band_low,
        "band_high_at_low": lo.band_high,
        "band_low_at_high": hi.band_low,
        "band_high_at_high": hi.band_high,
        "best_at_low": lo.best,
        "best_at_high": hi.best,
        "total_cost_at_low": float(np.mean(low)),
        "total_cost_at_low_ci95": t_half_width(low),
        "total_cost_at_high": float(np.mean(high)),
        "total_cost_at_high_ci95": t_half_width(high),
        "total_cost_change": change,
        "total_cost_change_ci95": change_ci95,
        "total_cost_at_low_vs_base": low_vs_base,
        "total_cost_at_low_vs_base_ci95": low_vs_base_ci95,
        "total_cost_at_high_vs_base": high_vs_base,
        "total_cost_at_high_vs_base_ci95": high_vs_base_ci95,
    }


def paired_change(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """Mean of ``after - before`` replication by replication over the replications both have
    (a prefix of the evaluation seed's: common random numbers), and its 95% half-width."""
    n = min(len(before), len(after))
    d = np.asarray(after[:n], dtype=float) - np.asarray(before[:n], dtype=float)
    return float(np.mean(d)), t_half_width(d)


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The factors, the one that moves the answer most first: by ``swing`` (how far the band's
    middle moves between low and high), then by the part of the change in total cost that its
    interval establishes (|change| less its half-width, at least 0), then by the change."""
    mid_low = (table["band_low_at_low"] + table["band_high_at_low"]) / 2
    mid_high = (table["band_low_at_high"] + table["band_high_at_high"]) / 2
    change = table["total_cost_change"].abs()
    keys = pd.DataFrame(
        {
            "swing": (mid_high - mid_low).abs(),
            "shown": (change - table["total_cost_change_ci95"].fillna(0.0)).clip(lower=0.0),
            "change": change,
        }
    )
    order = keys.sort_values(["swing", "shown", "change"], ascending=False, kind="stable").index
    return table.assign(swing=keys["swing"]).loc[order].reset_index(drop=True)


def headline(table: pd.DataFrame, base: dict[str, float], measure: str, currency: str = "") -> str:
    """The assumption that moves the answer most, in one sentence."""
    if table.empty:
        return "No soft assumption to vary."
    top = table.iloc[0]
    now = span_text(base["band_low"], base["band_high"])
    at_low = span_text(top["band_low_at_low"], top["band_high_at_low"])
    at_high = span_text(top["band_low_at_high"], top["band_high_at_high"])
    if at_low == now == at_high:
        return (
            f"No assumption moves the answer: aim for {now} {measure} whichever of them holds; "
            + _cost_clause(top, currency)
        )
    return (
        f"The {top['label']} decides the answer most: at x{top['low']:g} aim for {at_low}, at "
        f"x{top['high']:g} for {at_high} {measure} (as priced: {now})."
    )


def _cost_clause(top: pd.Series, currency: str) -> str:
    """The largest change in total cost with its paired interval, or that it cannot be told
    from zero."""
    change, half = float(top["total_cost_change"]), float(top["total_cost_change_ci95"])
    amount = f"{change:+,.0f} ± {half:,.0f} {currency}".rstrip()
    if math.isfinite(half) and abs(change) > half:
        return f"the {top['label']} moves the total cost most ({amount}, low to high)."
    return (
        f"the largest change in total cost, with the {top['label']} ({amount}, low to high), "
        "cannot be told from zero."
    )


def global_design(
    result: FrontierResult, scenario: Scenario, alpha: float, indifference: Indifference, design: str
) -> pd.DataFrame:
    """SALib's Morris (or Sobol) indices of the money factors for two outputs, the cheapest
    service level and the total cost at it; every sample is a re-accounting."""
    # SALib brings scipy.stats (about half a second): imported when a global design runs
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    money = [f for f in factors(scenario) if f.kind == "money"]
    if not money:
        return pd.DataFrame()
    spec = scenario.config.sensitivity
    bounds = [
        [np.log(f.low), np.log(f.high)] if f.low < f.high else [np.log(f.low), np.log(f.low) + 1e-9]
        for f in money
    ]
    names = [f.name for f in money]
    problem: dict[str, Any] = {"num_vars": len(money), "names": names, "bounds": bounds}
    seed = _evaluation_seed(result)
    if design == "sobol":
        x = sobol_sample.sample(problem, spec.samples, calc_second_order=False, seed=seed)
    else:
        x = morris_sample.sample(problem, spec.samples, num_levels=4, seed=seed)
    answers = [
        _money_band(result, dict(zip(names, np.exp(row), strict=True)), alpha, indifference) for row in x
    ]
    best = np.array([a.best for a in answers])
    cost = np.array([a.total_cost for a in answers])
    out = pd.DataFrame({"factor": names})
    for label, y in (("best", best), ("total_cost", cost)):
        if design == "sobol":
            s = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            out[f"{label}_S1"], out[f"{label}_ST"] = s["S1"], s["ST"]
        else:
            s = morris_analyze.analyze(problem, x, y, num_levels=4, seed=seed)
            out[f"{label}_mu_star"], out[f"{label}_sigma"] = s["mu_star"], s["sigma"]
    return out
