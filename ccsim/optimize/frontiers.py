"""The service-level frontier: what each level of service costs and what it saves, and the band
of service levels that cannot be told apart from the cheapest.

For each service choice (the scenario as configured, and each ``[frontier.choices]`` entry) and
each service-level target: optimise the staffing for that target (every candidate plan of one
search simulated on the same replications, the search warm-started from the neighbouring
target's plan), then evaluate the plan on the replications of an independent seed (seed + 1),
the same replications for every point, so points differ by their staffing, not by noise. Total
cost = staffing + telephony + partner + self-service + callbacks + lost value (lost revenue and
churned lifetime value). Around the cheapest point the targets are bisected until neighbouring
plans differ by at most one agent per period, so the optimum is not hidden between grid points.

The answer is a **band**, not a point (``ccsim.optimize.band``): the points whose total cost is not
shown to be more than ``indifference`` above another's, by paired comparisons with multiplicity
controlled. Replications are added to the points of the band until each is shown to cost at most
twice ``indifference`` more than the cheapest (the band is *resolved*) or the evaluation budget
(``max_eval_replications``) is spent. The band is stated in achieved service level.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ccsim.api as api
from ccsim.config.errors import ConfigError
from ccsim.economics.accounting import group_rates
from ccsim.optimize.band import Band, screen
from ccsim.optimize.evaluation import Samples
from ccsim.optimize.indifference import Indifference, parse_indifference
from ccsim.optimize.search import Memory, Staffing
from ccsim.optimize.staffing import StaffingPlan, optimize_staffing
from ccsim.scenario import Scenario

CASES = {"low": "total_cost_low", "central": "total_cost", "high": "total_cost_high"}
MIN_GAP = 0.05  # targets this close or closer are not bisected
Key = tuple[str, float]


@dataclass
class FrontierResult:
    """``points``: one row per choice and target (money means per replication, achieved service
    level with its half-width, risk, ``in_band`` and the paired difference to the cheapest point,
    ``vs_best`` ± ``vs_best_ci95``); ``plans``: the staffing plan of each point; ``optimum``: per
    choice and low, central and high customer value, the cheapest point and the band
    (``band_low``, ``band_high``: achieved service level; ``band_spread``: the most a point of the
    band may cost above the cheapest; ``resolved``; ``at_edge``: the band reaches the lowest or
    highest target tried, so it may extend beyond); ``marginal``: cost per extra point of service
    level between neighbouring points; ``samples``: each point's replications (money, service
    level, per-segment sums), which ``ccsim.optimize.sensitivities`` re-accounts."""

    points: pd.DataFrame
    plans: dict[Key, StaffingPlan] = field(repr=False)
    optimum: pd.DataFrame
    marginal: pd.DataFrame
    channels: list[str]
    currency: str
    confidence: float = 0.95
    samples: dict[Key, pd.DataFrame] = field(default_factory=dict, repr=False)
    period: str = "a replication"
    measure: str = "service level"  # what the service level counts, e.g. "answered within 20 s on phone"


def measure_text(scenario: Scenario, channels: list[str]) -> str:
    """What the frontier's service level counts, in words: "answered within 20 s on phone"."""
    parts = []
    for c in channels:
        sl = scenario.channels[c].service_level
        if sl is None:
            continue
        w = float(sl.within)
        within = f"{w:g} s" if w < 120 else (f"{w / 60:g} min" if w < 7200 else f"{w / 3600:g} h")
        parts.append((within, c))
    withins = {w for w, _ in parts}
    if len(withins) == 1:
        return f"answered within {parts[0][0]} on {', '.join(c for _, c in parts)}"
    return "; ".join(f"answered within {w} on {c}" for w, c in parts) or "service level"


def require_prices(scenario: Scenario, groups: list[str]) -> None:
    """A frontier weighs service cost against lost customer value: refuse a scenario that has
    either at zero (every point would cost 0, or less service would always be cheapest)."""
    cfg = scenario.config
    cost, _ = group_rates(cfg)
    problems = []
    if not any(cost.get(g, 0.0) > 0 for g in groups):
        problems.append(
            f"agents.{groups[0] if groups else 'NAME'}.cost_per_hour: the agents whose staffing the "
            "frontier varies cost nothing (set cost_per_hour, or costs.agent_cost_per_hour)"
        )
    value = cfg.value
    valued = any(
        (v.lifetime_value or 0) > 0 or (v.lost_per_contact or 0) > 0 for v in value.segments.values()
    ) or any((v.lost_per_contact or 0) > 0 for v in value.contact_types.values())
    if not valued:
        problems.append(
            "value: customers are worth nothing, so less service is always cheapest (set "
            "value.segments.NAME.lifetime_value or lost_per_contact)"
        )
    if problems:
        raise ConfigError(
            [*problems, "the frontier needs prices: give them in the scenario or with --prices FILE"]
        )


@dataclass
class _Settings:
    """What every point of one frontier shares."""

    channels: list[str]
    groups: list[str]
    seed: int
    replications: int
    eval_replications: int
    max_eval_replications: int
    refine: int
    max_simulations: int
    confidence: float
    alpha: float
    indifference: Indifference
    workers: int | None
    executor: Any
    progress: Callable[[str], None] | None

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)


class _Choice:
    """The points of one service choice: their plans and their evaluation replications. Targets
    whose optimised plans are the same share one evaluation."""

    def __init__(self, name: str, scenario: Scenario, s: _Settings):
        self.name, self.scenario, self.s = name, scenario, s
        self.plans: dict[float, StaffingPlan] = {}
        self.samples: dict[float, Samples] = {}
        self._by_plan: dict[tuple[int, ...], Samples] = {}
        self.memory: Memory = {}  # what each plan simulated achieved, shared by the targets' searches
        self.pilot = api.simulate(
            scenario,
            replications=s.replications,
            seed=s.seed,
            contacts=False,
            workers=s.workers,
            executor=s.executor,
        )

    def point(self, target: float, start: Staffing | None) -> None:
        """Optimise the plan for ``target`` (from ``start``, a neighbour's plan; a search without
        one gets twice the budget) and evaluate it."""
        s = self.s
        s.say(f"{self.name}: target {target:.3f}")
        plan = optimize_staffing(
            self.scenario,
            groups=s.groups,
            targets={c: target for c in s.channels},
            replications=s.replications,
            seed=s.seed,
            start=start,
            max_simulations=s.max_simulations if start is not None else 2 * s.max_simulations,
            confidence=s.confidence,
            require_feasible=False,
            verify=False,
            pilot=self.pilot,
            workers=s.workers,
            executor=s.executor,
            memory=self.memory,
            progress=(lambda m: s.say(f"  {m}")) if s.progress else None,
        )
        self.plans[target] = plan
        arrays = plan.as_arrays()
        key = tuple(int(v) for g in plan.problem.groups for v in arrays[g])
        if key not in self._by_plan:
            hours = (
                float(sum(plan.staffing[g].sum() for g in plan.problem.groups)) * plan.problem.period_s / 3600
            )
            self._by_plan[key] = Samples(plan.scenario, s.channels, s.seed + 1, hours)
        self.samples[target] = self._by_plan[key]
        self.samples[target].extend(s.eval_replications, s.workers, s.executor)

    def cheapest(self) -> int:
        ts = sorted(self.samples)
        return min(range(len(ts)), key=lambda i: float(np.mean(self.samples[ts[i]].column("total_cost"))))

    def search(self, targets: list[float]) -> None:
        """Optimise every target (each search starts from its neighbour's plan), then bisect
        around the cheapest point."""
        start = None
        for t in targets:
            self.point(t, start)
            start = self.plans[t].as_arrays()
        for _ in range(self.s.refine):
            ts = sorted(self.samples)
            best = self.cheapest()
            added = False
            for a, b in ((best - 1, best), (best, best + 1)):
                if a < 0 or b >= len(ts) or ts[b] - ts[a] <= MIN_GAP + 1e-9:
                    continue
                pa, pb = self.plans[ts[a]].as_arrays(), self.plans[ts[b]].as_arrays()
                if max(int(np.abs(pa[g] - pb[g]).max()) for g in pa) > 1:
                    self.point(round((ts[a] + ts[b]) / 2, 4), pa)
                    added = True
            if not added:
                break

    def band(self, column: str = "total_cost") -> Band[float]:
        costs = {t: smp.column(column) for t, smp in self.samples.items()}
        cheapest = float(np.mean(costs[min(costs, key=lambda t: float(np.mean(costs[t])))]))
        return screen(costs, self.s.alpha, self.s.indifference.of(cheapest))

    def resolve(self) -> Band[float]:
        """Add replications to the band's points until the band is resolved or the budget spent."""
        s = self.s
        step = max(2, s.eval_replications // 2)
        while True:
            band = self.band()
            kept = {id(self.samples[t]): self.samples[t] for t, k in band.in_band.items() if k}
            most = max(smp.n for smp in kept.values())
            if band.resolved or most >= s.max_eval_replications:
                return band
            to = min(most + step, s.max_eval_replications)
            s.say(
                f"{self.name}: {len(band.undecided)} point(s) of the band undecided; "
                f"{len(kept)} plan(s) to {to} replications"
            )
            for smp in kept.values():
                smp.extend(to, s.workers, s.executor)


def frontier(
    scenario: Scenario,
    *,
    targets: list[float] | None = None,
    channels: list[str] | None = None,
    groups: list[str] | None = None,
    choices: dict[str, dict[str, Any]] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    eval_replications: int | None = None,
    max_eval_replications: int | None = None,
    refine: int = 2,
    max_simulations: int = 8,
    confidence: float = 0.75,
    alpha: float = 0.05,
    indifference: float | str | Indifference = "1%",
    workers: int | None = None,
    executor: Any = None,
    progress: Callable[[str], None] | None = None,
) -> FrontierResult:
    """The frontier of ``scenario`` and its band. ``targets``, ``channels`` and ``choices``
    default to the scenario's ``[frontier]`` table; ``groups`` staffed default to those serving
    the channels (the others keep their configured staffing); ``replications`` (default: the
    scenario's, at least 10) and ``seed`` are the optimisation's; ``max_simulations`` its budget
    per target (twice that for the first target of a choice, which starts cold);
    ``eval_replications`` the first replications of every point's evaluation (seed + 1; default:
    the scenario's, at least 20), ``max_eval_replications`` the most the band's points get
    (default 4x);
    ``refine`` bisections of the targets around each choice's cheapest point; ``alpha``: 1 -
    the confidence of the band; ``indifference``: the cost difference below which two points
    count as equal, text with its unit (an amount in the scenario's currency such as "300 EUR",
    or a share of the cheapest total cost such as "1%"; a bare number in text is refused) or a
    Python number, which is an amount in the scenario's currency per replication;
    ``workers``: processes for the replications, or ``executor``: a Dask scheduler address or
    client (as for ``ccsim.simulate``; the same numbers either way)."""
    spec = scenario.config.frontier
    channels = (
        channels
        or spec.channels
        or [c for c, ch in scenario.channels.items() if ch.service_level is not None and ch.realtime]
    )
    if groups is None:
        groups = [g for g, a in scenario.agents.items() if any(c in a.channels for c in channels)]
    require_prices(scenario, groups)
    amount = parse_indifference(indifference, scenario.config.costs.currency)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (got {alpha!r})")
    reps = replications or max(scenario.scenario.replications, 10)
    eval_reps = eval_replications or max(scenario.scenario.replications, 20)
    s = _Settings(
        channels=channels,
        groups=groups,
        seed=scenario.scenario.seed if seed is None else seed,
        replications=reps,
        eval_replications=eval_reps,
        max_eval_replications=max(max_eval_replications or 4 * eval_reps, eval_reps),
        refine=refine,
        max_simulations=max_simulations,
        confidence=confidence,
        alpha=alpha,
        indifference=amount,
        workers=workers,
        executor=executor,
        progress=progress,
    )
    all_choices = {"as_configured": {}, **(choices if choices is not None else spec.choices)}
    return _frontier_of(scenario, all_choices, sorted(set(targets or spec.targets)), s)


def _frontier_of(
    scenario: Scenario, choices: dict[str, dict[str, Any]], targets: list[float], s: _Settings
) -> FrontierResult:
    """Search, evaluate and screen the ``targets`` of each choice (the scenario with its
    overrides), and gather the points, the optimum per choice and value case, and the margins."""
    rows: list[dict[str, Any]] = []
    optimum: list[dict[str, Any]] = []
    plans: dict[Key, StaffingPlan] = {}
    samples: dict[Key, pd.DataFrame] = {}
    for name, overrides in choices.items():
        choice = _Choice(name, scenario.with_overrides(overrides) if overrides else scenario, s)
        choice.search(targets)
        choice.resolve()
        bands = {case: choice.band(column) for case, column in CASES.items()}
        part = _points(choice, bands["central"])
        rows += part
        optimum += [_optimum_row(name, case, column, bands[case], part) for case, column in CASES.items()]
        plans.update({(name, t): p for t, p in choice.plans.items()})
        samples.update({(name, t): smp.frame for t, smp in choice.samples.items()})
    points = pd.DataFrame(rows)
    best = pd.DataFrame(optimum)
    central = best[best["value_case"] == "central"]
    best["best_choice"] = best["choice"] == central.loc[central["total_cost"].idxmin(), "choice"]
    return FrontierResult(
        points,
        plans,
        best,
        _marginal(points),
        s.channels,
        scenario.config.costs.currency,
        1.0 - s.alpha,
        samples,
        _period(scenario),
        measure_text(scenario, s.channels),
    )


def _period(scenario: Scenario) -> str:
    days = scenario.scenario.duration / 86400.0
    if abs(days - 1.0) < 1e-9:
        return "a day"
    if abs(days - round(days)) < 1e-9:
        return f"per {round(days)} days"
    return f"per {scenario.scenario.duration / 3600:g} h"


def _points(choice: _Choice, band: Band[float]) -> list[dict[str, Any]]:
    rows = []
    for t in sorted(choice.samples):
        rows.append(
            {
                "choice": choice.name,
                "target": t,
                "feasible": choice.plans[t].feasible,
                **choice.samples[t].row(),
                "in_band": band.in_band[t],
                "vs_best": band.vs_best[t],
                "vs_best_ci95": band.vs_best_ci95[t],
            }
        )
    return rows


def _optimum_row(
    name: str, case: str, column: str, band: Band[float], points: list[dict[str, Any]]
) -> dict[str, Any]:
    by_target = {p["target"]: p for p in points}
    best = by_target[band.best]
    kept = [by_target[t] for t, k in band.in_band.items() if k]
    lowest, highest = min(by_target), max(by_target)
    sls = [p["service_level"] for p in kept]
    return {
        "choice": name,
        "value_case": case,
        "target": band.best,
        "service_level": best["service_level"],
        "service_level_ci95": best["service_level_ci95"],
        "total_cost": best[column],
        "service_cost": best["service_cost"],
        "agent_hours": best["agent_hours"],
        "band_low": float(np.nanmin(sls)),
        "band_high": float(np.nanmax(sls)),
        "band_targets": ",".join(f"{p['target']:g}" for p in kept),
        "band_spread": band.spread,
        "indifference": band.indifference,
        "resolved": band.resolved,
        "replications": int(max(p["replications"] for p in kept)),
        "at_edge": any(p["target"] in (lowest, highest) for p in kept),
    }


def _marginal(points: pd.DataFrame) -> pd.DataFrame:
    """Between neighbouring points (by achieved service level): change in service cost and in
    total cost per point (0.01) of service level."""
    rows = []
    for choice, part in points.groupby("choice", sort=False):
        part = part.sort_values("service_level")
        for (_, a), (_, b) in zip(part.iloc[:-1].iterrows(), part.iloc[1:].iterrows(), strict=True):
            d = 100 * (b["service_level"] - a["service_level"])
            if d <= 1e-9:
                continue
            rows.append(
                {
                    "choice": choice,
                    "from_service_level": a["service_level"],
                    "to_service_level": b["service_level"],
                    "service_cost_per_point": (b["service_cost"] - a["service_cost"]) / d,
                    "lost_value_per_point": (b["lost_value"] - a["lost_value"]) / d,
                    "total_cost_per_point": (b["total_cost"] - a["total_cost"]) / d,
                }
            )
    return pd.DataFrame(rows)


def save_frontier(result: FrontierResult, folder: str | Path, facts: dict[str, Any] | None = None) -> Path:
    """Write the frontier's tables (frontier.csv, optimum.csv, marginal.csv), each point's
    replications (samples.parquet) and frontier.json (channels, currency, confidence and
    ``facts`` such as the scenario's name, the command and the seed), which ``load_frontier``
    and the frontier page read back."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    result.points.to_csv(out / "frontier.csv", index=False)
    result.optimum.to_csv(out / "optimum.csv", index=False)
    result.marginal.to_csv(out / "marginal.csv", index=False)
    if result.samples:
        frames = [f.assign(choice=c, target=t) for (c, t), f in result.samples.items()]
        pd.concat(frames, ignore_index=True).to_parquet(out / "samples.parquet", index=False)
    info = {
        **(facts or {}),
        "channels": result.channels,
        "currency": result.currency,
        "confidence": result.confidence,
        "period": result.period,
        "measure": result.measure,
    }
    (out / "frontier.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return out


def load_frontier(folder: str | Path) -> FrontierResult:
    """A frontier written by ``ccsim frontier`` (or ``save_frontier``), without its plans: enough
    to draw its figures again (``ccsim.report.money``)."""
    src = Path(folder)
    facts = json.loads((src / "frontier.json").read_text())
    samples: dict[Key, pd.DataFrame] = {}
    if (src / "samples.parquet").exists():
        frame = pd.read_parquet(src / "samples.parquet")
        for (c, t), part in frame.groupby(["choice", "target"], sort=False):
            samples[(str(c), float(t))] = part.drop(columns=["choice", "target"]).reset_index(drop=True)
    return FrontierResult(
        pd.read_csv(src / "frontier.csv"),
        {},
        pd.read_csv(src / "optimum.csv"),
        pd.read_csv(src / "marginal.csv"),
        list(facts["channels"]),
        str(facts["currency"]),
        float(facts.get("confidence", 0.95)),
        samples,
        str(facts.get("period", "a replication")),
        str(facts.get("measure", "service level")),
    )
