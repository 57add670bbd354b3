"""What share of a group's planned agents can work in each period of the staffing problem: on
duty under its rota (absence, breaks and blocks taken off, from the pilot run) and while its
site is open (sites with hours). ``Problem.availability`` is their product."""

from __future__ import annotations

import numpy as np

from ccsim.metrics import span_overlap
from ccsim.model.timeline import Step
from ccsim.results import Results
from ccsim.scenario import Scenario


def site_open_shares(
    scenario: Scenario, period_of: np.ndarray, n_periods: int, groups: list[str]
) -> dict[str, np.ndarray]:
    """Per group at a site with hours: the share of each period its site is open (the open
    time of each interval, exactly, pooled over the days of a period)."""
    plan = scenario.plan
    sites, clock = plan.sites, plan.clock
    if sites is None:
        return {}
    names = list(scenario.config.agents)
    starts = clock.warmup + np.arange(clock.n_intervals) * clock.interval
    open_share = [_open_share(step, starts, clock.interval) for step in sites.open]
    out = {}
    for g in groups:
        per_interval = open_share[sites.group_site[names.index(g)]]
        counts = np.maximum(np.bincount(period_of, None, n_periods), 1)
        share = np.bincount(period_of, per_interval, n_periods) / counts
        if (share < 1.0).any():
            out[g] = share
    return out


def _open_share(step: Step, starts: np.ndarray, length: float) -> np.ndarray:
    """The share of each interval [start, start + length) in which ``step`` (1 while open) is
    open: its open pieces' overlap with the intervals."""
    is_open = step.values > 0.5
    ends = np.append(step.times[1:], np.inf)[is_open]
    edges = np.append(starts, starts[-1] + length)
    return span_overlap(step.times[is_open], ends, np.ones(len(ends)), edges) / length


def on_duty_shares(
    pilot: Results, period_of: np.ndarray, n_periods: int, groups: list[str]
) -> dict[str, np.ndarray]:
    """Per group with a rota: its agents on duty (rostered less absent and off the phones) per
    rostered agent and period, pooled over the pilot's replications and days (1 where nobody
    was rostered)."""
    ag = pilot.agents
    if "rostered_s" not in ag.columns:
        return {}
    frame = ag.assign(
        group=ag["agent_group"].astype(str),
        period=period_of[ag["interval"].to_numpy()],
        duty_s=ag["rostered_s"] - ag["absent_s"] - ag["off_phone_s"],
    )
    sums = frame.groupby(["group", "period"])[["duty_s", "rostered_s"]].sum()
    out = {}
    for g in groups:
        part = sums.loc[g].reindex(range(n_periods), fill_value=0.0) if g in sums.index.levels[0] else None
        if part is None:
            continue
        rostered = part["rostered_s"].to_numpy()
        share = np.where(rostered > 0, part["duty_s"].to_numpy() / np.where(rostered > 0, rostered, 1.0), 1.0)
        if (share < 1.0 - 1e-9).any():
            out[g] = np.clip(share, 0.05, 1.0)
    return out
