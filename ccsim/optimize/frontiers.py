"""The service-level frontier: what each level of service costs and what it saves.

For each service choice (the scenario as configured, and each ``[frontier.choices]`` entry) and
each service-level target: optimise the staffing for that target, simulate the plan with an
independent seed (the same for every point, so points differ by their staffing, not by noise),
and account its money: total cost = staffing + telephony + partner + self-service + callbacks
+ lost value (lost revenue and churned lifetime value). Around the cheapest point the targets
are bisected until neighbouring plans differ by at most one agent per period, so the optimum
is not hidden between two grid points. Marginal costs compare neighbouring points: the change
in cost per point (0.01) of service level achieved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccsim.config.loader import Scenario
from ccsim.metrics import t_half_width
from ccsim.optimize.staffing import StaffingPlan, optimize_staffing

CASES = {"low": "total_cost_low", "central": "total_cost", "high": "total_cost_high"}
COLUMNS = [
    "staffing",
    "telephony",
    "partner",
    "self_service",
    "callback",
    "service_cost",
    "lost_revenue",
    "lost_lifetime_value",
    "lost_value",
    "total_cost",
    "total_cost_low",
    "total_cost_high",
]


@dataclass
class FrontierResult:
    """``points``: one row per choice and target (money means per replication, achieved service
    level, risk); ``plans``: the staffing plan of each point; ``optimum``: the cheapest point
    of each choice under a low, central and high customer value (``at_edge``: it is the lowest
    or highest target tried, so the true optimum may lie beyond); ``marginal``: cost per extra
    point of service level between neighbouring points."""

    points: pd.DataFrame
    plans: dict[tuple[str, float], StaffingPlan] = field(repr=False)
    optimum: pd.DataFrame
    marginal: pd.DataFrame
    channels: list[str]
    currency: str


def _evaluate(plan: StaffingPlan, channels: list[str], replications: int, seed: int) -> dict[str, Any]:
    import ccsim
    from ccsim.economics.targets import risk

    results = ccsim.simulate(plan.scenario, replications=replications, seed=seed, contacts=False)
    money = results.money
    row: dict[str, Any] = {c: money.kpi(c)[0] for c in COLUMNS}
    row["total_cost_ci95"] = money.kpi("total_cost")[1]
    row.update({k: money.kpi(k)[0] for k in ("csat", "ces", "nps", "retention_rate", "cost_per_contact")})
    iv = results.intervals
    part = iv[iv["channel"].astype(str).isin(channels)]
    by_rep = part.groupby("replication")[["sl_numerator", "sl_denominator"]].sum()
    sl = (by_rep["sl_numerator"] / by_rep["sl_denominator"]).to_numpy()
    row["service_level"] = float(np.nanmean(sl))
    row["service_level_ci95"] = t_half_width(sl)
    ab = part.groupby("replication")[["abandoned", "served"]].sum()
    row["abandon_rate"] = float(np.nanmean(ab["abandoned"] / (ab["abandoned"] + ab["served"])))
    targets = {c: ch.service_level.target for c, ch in plan.scenario.channels.items() if ch.service_level}
    r = risk(results, targets)
    r = r[r["channel"].isin(channels)]
    row["p_interval"] = float(r["p_interval"].mean())
    row["p_day"] = float(r["p_day"].mean())
    row["agent_hours"] = (
        float(sum(plan.staffing[g].sum() for g in plan.problem.groups)) * plan.problem.period_s / 3600
    )
    return row


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
    refine: int = 4,
    max_simulations: int = 60,
    confidence: float = 0.75,
    progress: Callable[[str], None] | None = None,
) -> FrontierResult:
    """The frontier of ``scenario``. ``targets``, ``channels`` and ``choices`` default to the
    scenario's ``[frontier]`` table; ``groups`` staffed default to those serving the channels
    (the others keep their configured staffing); ``replications`` and ``seed`` are the optimisation's,
    ``eval_replications`` those of the independent evaluation (seed + 1) of every point;
    ``refine`` bisections of the targets around each choice's cheapest point."""
    import ccsim

    spec = scenario.config.frontier
    targets = sorted(set(targets or spec.targets))
    channels = (
        channels
        or spec.channels
        or [c for c, ch in scenario.channels.items() if ch.service_level is not None and ch.realtime]
    )
    if groups is None:
        groups = [g for g, a in scenario.agents.items() if any(c in a.channels for c in channels)]
    all_choices = {"as_configured": {}, **(choices if choices is not None else spec.choices)}
    seed = scenario.scenario.seed if seed is None else seed
    reps = replications or max(scenario.scenario.replications, 20)
    eval_reps = eval_replications or reps
    rows: list[dict[str, Any]] = []
    plans: dict[tuple[str, float], StaffingPlan] = {}
    for name, overrides in all_choices.items():
        scn = scenario.with_overrides(overrides) if overrides else scenario
        pilot = ccsim.simulate(scn, replications=reps, seed=seed, contacts=False)
        done: dict[float, dict[str, Any]] = {}

        def point(
            t: float,
            start: Any,
            scn: Scenario = scn,
            pilot: Any = pilot,
            name: str = name,
            done: dict[float, dict[str, Any]] = done,
        ) -> None:
            if progress:
                progress(f"{name}: target {t:.3f}")
            plan = optimize_staffing(
                scn,
                groups=groups,
                targets={c: t for c in channels},
                replications=reps,
                seed=seed,
                start=start,
                max_simulations=max_simulations,
                confidence=confidence,
                require_feasible=False,
                verify=False,
                pilot=pilot,
            )
            plans[(name, t)] = plan
            done[t] = {
                "choice": name,
                "target": t,
                "feasible": plan.feasible,
                **_evaluate(plan, channels, eval_reps, seed + 1),
            }

        start = None
        for t in targets:
            point(t, start)
            start = plans[(name, t)].as_arrays()
        for _ in range(refine):
            ts = sorted(done)
            best = min(range(len(ts)), key=lambda i: done[ts[i]]["total_cost"])
            added = False
            for a, b in ((best - 1, best), (best, best + 1)):
                if a < 0 or b >= len(ts) or ts[b] - ts[a] < 2e-3:
                    continue
                pa, pb = plans[(name, ts[a])].as_arrays(), plans[(name, ts[b])].as_arrays()
                if max(int(np.abs(pa[g] - pb[g]).max()) for g in pa) > 1:
                    point(round((ts[a] + ts[b]) / 2, 4), pa)
                    added = True
            if not added:
                break
        rows += [done[t] for t in sorted(done)]
    points = pd.DataFrame(rows)
    return FrontierResult(
        points, plans, _optimum(points), _marginal(points), channels, scenario.config.costs.currency
    )


def _optimum(points: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for choice, part in points.groupby("choice", sort=False):
        for case, column in CASES.items():
            best = part.loc[part[column].idxmin()]
            edge = best["target"] in (part["target"].min(), part["target"].max())
            rows.append(
                {
                    "choice": choice,
                    "value_case": case,
                    "target": best["target"],
                    "service_level": best["service_level"],
                    "total_cost": best[column],
                    "service_cost": best["service_cost"],
                    "agent_hours": best["agent_hours"],
                    "at_edge": bool(edge),
                }
            )
    out = pd.DataFrame(rows)
    central = out[out["value_case"] == "central"]
    out["best_choice"] = out["choice"] == central.loc[central["total_cost"].idxmin(), "choice"]
    return out


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
    """Write the frontier's tables (frontier.csv, optimum.csv, marginal.csv) and frontier.json
    (channels, currency, and ``facts`` such as the scenario's name, the command and the seed),
    which ``load_frontier`` and the frontier page read back."""
    import json

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    result.points.to_csv(out / "frontier.csv", index=False)
    result.optimum.to_csv(out / "optimum.csv", index=False)
    result.marginal.to_csv(out / "marginal.csv", index=False)
    info = {**(facts or {}), "channels": result.channels, "currency": result.currency}
    (out / "frontier.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return out


def load_frontier(folder: str | Path) -> FrontierResult:
    """A frontier written by ``ccsim frontier`` (or ``save_frontier``), without its plans: enough
    to draw its figures again (``ccsim.report.money``)."""
    import json

    src = Path(folder)
    facts = json.loads((src / "frontier.json").read_text())
    return FrontierResult(
        pd.read_csv(src / "frontier.csv"),
        {},
        pd.read_csv(src / "optimum.csv"),
        pd.read_csv(src / "marginal.csv"),
        list(facts["channels"]),
        str(facts["currency"]),
    )
