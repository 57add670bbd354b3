"""A frontier point's evaluation, replication by replication: money, service level achieved and
risk of each replication of the evaluation seed, so that points can be compared in pairs
(``ccsim.optimize.band``) and more replications added to the points that need them.

Replications are always a prefix ``0 .. n - 1`` of the evaluation seed: ``extend`` adds
``n .. m - 1``, which are the same replications whatever else was simulated before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import ccsim.api as api
from ccsim.confidence import t_half_width
from ccsim.economics.targets import risk_by_replication
from ccsim.scenario import Scenario

MONEY_COLUMNS = [
    "staffing",
    "telephony",
    "partner",
    "self_service",
    "callback",
    "scope_communication",
    "service_cost",
    "lost_revenue",
    "lost_lifetime_value",
    "lost_value",
    "total_cost",
    "total_cost_low",
    "total_cost_high",
]
EXPERIENCE = ["csat", "ces", "nps", "retention_rate", "cost_per_contact"]
# per-segment sums a money-only re-accounting needs (``ccsim.optimize.sensitivities``)
SEGMENT_SUMS = ["lost_revenue", "lost_lifetime_value", "churn_risk", "lost"]


def replicate(
    scenario: Scenario,
    channels: list[str],
    indices: list[int],
    seed: int,
    workers: int | None = None,
    executor: Any = None,
) -> pd.DataFrame:
    """One row per replication (of ``indices``): money, the service level achieved and the
    abandonment on ``channels`` (pooled over their intervals), and the share of intervals and
    of days that meet the target (``p_interval``, ``p_day``, averaged over ``channels``)."""
    results = api.simulate(
        scenario, replications=indices, seed=seed, contacts=False, workers=workers, executor=executor
    )
    money = results.money.per_replication
    whole = money[money["group_by"] == "all"].set_index("replication")
    out = whole[MONEY_COLUMNS + EXPERIENCE].copy()
    seg = money[money["group_by"] == "segment"]
    for col in SEGMENT_SUMS:
        wide = seg.pivot_table(index="replication", columns="group", values=col, aggfunc="sum")
        for s in wide.columns:
            out[f"{col}@{s}"] = wide[s]
    iv = results.intervals
    part = iv[iv["channel"].astype(str).isin(channels)]
    sums = part.groupby("replication")[["sl_numerator", "sl_denominator", "abandoned", "served"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["service_level"] = sums["sl_numerator"] / sums["sl_denominator"].where(sums["sl_denominator"] > 0)
        answered = sums["abandoned"] + sums["served"]
        out["abandon_rate"] = sums["abandoned"] / answered.where(answered > 0)
    targets = {c: ch.service_level.target for c, ch in scenario.channels.items() if ch.service_level}
    r = risk_by_replication(results, {c: t for c, t in targets.items() if c in channels})
    out = out.join(r, how="left")
    ag = results.agents
    if "rostered_s" in ag.columns:  # a rota: the plan is of rostered agents; these are on duty
        per_rep = ag.groupby("replication")[["staffed_s", "absent_s", "off_phone_s"]].sum() / 3600.0
        out["on_duty_hours"] = per_rep["staffed_s"]
        out["absent_hours"] = per_rep["absent_s"]
        out["off_phone_hours"] = per_rep["off_phone_s"]
    return out.reset_index().rename(columns={"index": "replication"})


@dataclass
class Samples:
    """The replications of one point so far (a prefix of the evaluation seed's)."""

    scenario: Scenario
    channels: list[str]
    seed: int
    agent_hours: float
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n(self) -> int:
        return len(self.frame)

    def extend(self, to: int, workers: int | None = None, executor: Any = None) -> int:
        """Simulate replications ``n .. to - 1``; the number added."""
        if to <= self.n:
            return 0
        more = replicate(self.scenario, self.channels, list(range(self.n, to)), self.seed, workers, executor)
        added = to - self.n
        self.frame = more if self.frame.empty else pd.concat([self.frame, more], ignore_index=True)
        return added

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float)

    def row(self) -> dict[str, Any]:
        """Means over the replications so far, with the half-widths a planner compares."""
        f = self.frame
        row: dict[str, Any] = {c: float(np.nanmean(f[c])) for c in [*MONEY_COLUMNS, *EXPERIENCE]}
        row["total_cost_ci95"] = t_half_width(self.column("total_cost"))
        sl = self.column("service_level")
        row["service_level"] = float(np.nanmean(sl)) if np.isfinite(sl).any() else math.nan
        row["service_level_ci95"] = t_half_width(sl)
        row["abandon_rate"] = float(np.nanmean(f["abandon_rate"]))
        row["p_interval"] = float(np.nanmean(f["p_interval"]))
        row["p_day"] = float(np.nanmean(f["p_day"]))
        row["agent_hours"] = self.agent_hours
        for c in ("on_duty_hours", "absent_hours", "off_phone_hours"):  # with a rota
            if c in f.columns:
                row[c] = float(np.nanmean(f[c]))
        row["replications"] = self.n
        return row
