"""Offered load per channel and interval against staffed agents (for ``validate`` and warnings).

Offered load (Erlangs) = arrival rate x mean handle time (talk + wrap-up at proficiency 1);
for chat it is divided by the concurrency. Staffed agents of a channel are the agents of
every group that works on it, so groups working on several channels are counted on each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccsim.model.plan import Plan
from ccsim.model.sampling import step_values
from ccsim.scenario import Scenario


def _mean_handle(plan: Plan, channel: int, types: list[int], shares: list[float]) -> float:
    total = 0.0
    for t, w in zip(types, shares, strict=True):
        wrap = plan.wrap[t]
        total += w * (plan.handle[(t, channel)].mean + (wrap.mean if wrap else 0.0))
    return total


def offered_load(scenario: Scenario, plan: Plan) -> pd.DataFrame:
    """One row per interval x channel: rate, AHT, offered load, staffed agents."""
    clock = plan.clock
    starts = clock.warmup + np.arange(clock.n_intervals) * clock.interval
    mids = starts + clock.interval / 2
    busy = plan.busyness.mean if plan.busyness is not None else 1.0
    rows = []
    for c, ch in enumerate(plan.channels):
        rate = np.zeros(clock.n_intervals)
        work = np.zeros(clock.n_intervals)
        for s in plan.streams:
            if s.channel != c:
                continue
            r = step_values(s.rate, mids) * busy * (step_values(ch.open, mids) > 0.5)  # closed: lost
            rate += r
            work += r * _mean_handle(plan, c, s.types, s.type_shares)
        agents = np.zeros(clock.n_intervals)
        for g in plan.groups:
            if c in g.channels:
                agents += step_values(g.staffing, mids)
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = np.where(rate > 0, work / np.where(rate > 0, rate, 1), np.nan)
        for k in range(clock.n_intervals):
            rows.append(
                {
                    "interval": k,
                    "start_s": k * clock.interval,
                    "channel": ch.name,
                    "kind": ch.kind,
                    "rate_per_h": rate[k] * 3600,
                    "aht_s": aht[k],
                    "load_erlangs": work[k] / ch.concurrency,
                    "agents": agents[k],
                }
            )
    return pd.DataFrame(rows)


def overload_warnings(scenario: Scenario, plan: Plan) -> list[str]:
    """Say where offered load is at or above the staffed agents (the run still goes ahead)."""
    frame = offered_load(scenario, plan)
    over = frame[(frame["load_erlangs"] >= frame["agents"]) & (frame["load_erlangs"] > 0)]
    warnings = []
    for ch, part in over.groupby("channel", sort=False):
        worst = part.loc[(part["load_erlangs"] - part["agents"]).idxmax()]
        warnings.append(
            f"channel {ch}: offered load is at or above the staffed agents in {len(part)} of "
            f"{plan.clock.n_intervals} intervals (worst: {plan.clock.label(int(worst['interval']))}, "
            f"{worst['load_erlangs']:.1f} Erlangs for {worst['agents']:.0f} agents); queues grow "
            "there and results depend on patience and the run length"
        )
    return warnings
