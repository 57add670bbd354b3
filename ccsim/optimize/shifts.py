"""Shifts that cover a staffing plan at least cost: an integer program (``scipy.optimize.milp``).

For each group, choose how many agents start each allowed shift (start time x length) so that
every period has at least the plan's agents on duty, at the least paid hours (a group's agents
all cost the same per hour, so least paid hours is least cost). A shift covers a period when it
spans the whole period; shifts repeat daily, so a shift may run past midnight into the next
day's first periods. Allowed starts and lengths default to those of the group's configured
shifts, else every period start and 8 hours. Starts are in the group's local time (its site's
clock, as its configured shifts are), and the periods are matched in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccsim.economics.accounting import group_rates
from ccsim.optimize.problem import with_staffing
from ccsim.optimize.staffing import StaffingPlan
from ccsim.scenario import Scenario
from ccsim.units import format_duration, parse_clock, parse_duration

DAY = 86400.0


@dataclass
class ShiftPlan:
    """Shifts per group covering a plan: ``shifts`` (group, start, length, count),
    ``coverage`` (period, group, required, on duty), paid hours and cost per day."""

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    paid_hours: float
    cost: float
    scenario: Scenario  # the scenario staffed by these shifts

    def config_lines(self) -> str:
        """TOML for the scenario file: each group's ``shifts`` under its table header; they
        replace the group's ``count``, ``staffing`` or ``shifts``."""
        blocks = []
        for g, part in self.shifts.groupby("group", sort=False):
            items = ",\n".join(
                f'  {{ start = "{r.start}", length = "{r.length}", count = {int(r.count)} }}'
                for r in part.itertuples(index=False)
            )
            blocks.append(f"[agents.{g}]\nshifts = [\n{items},\n]")
        return "\n\n".join(blocks)


def _templates(
    scenario: Scenario,
    group: str,
    period_s: float,
    n_periods: int,
    starts: list[str] | None,
    lengths: list[str] | None,
) -> list[tuple[float, float]]:
    """(start of day in s, length in s) of each allowed shift, in the group's local time (its
    site's: shifts are written in it)."""
    configured = scenario.agents[group].shifts or []
    if starts is not None:
        s = [float(parse_clock(x)) for x in starts]
    elif configured:
        s = sorted({sh.start for sh in configured})
    else:
        day0 = scenario.scenario.start + site_offset(scenario, group)
        s = sorted({(day0 + k * period_s) % DAY for k in range(n_periods)})
    if lengths is not None:
        ls = [float(parse_duration(x)) for x in lengths]
    elif configured:
        ls = sorted({sh.length for sh in configured})
    else:
        ls = [8 * 3600.0]
    return [(a, b) for a in s for b in ls]


def site_offset(scenario: Scenario, group: str) -> float:
    """The group's local clock minus the scenario's (its site's ``offset``; 0 without sites)."""
    for site in scenario.config.sites.values():
        if group in site.groups:
            return float(site.offset)
    return 0.0


def _covers(start: float, length: float, p0: float, p1: float) -> bool:
    """Does a daily shift [start, start + length) cover the clock span [p0, p1) of a day?"""
    for shift in (-DAY, 0.0, DAY):
        a = start + shift
        if a <= p0 + 1e-6 and p1 <= a + length + 1e-6:
            return True
    return False


def shifts_for(
    plan: StaffingPlan,
    starts: list[str] | None = None,
    lengths: list[str] | None = None,
) -> ShiftPlan:
    """Least-cost shifts covering ``plan`` (a ``StaffingPlan``). ``starts`` ("HH:MM") and
    ``lengths`` ("8h") restrict the shifts allowed (default: see the module docstring)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    problem = plan.problem
    scenario = problem.scenario
    if problem.n_periods * problem.period_s > DAY + 1e-6:
        raise ValueError("shifts repeat daily: the plan must cover at most one day")
    cost_h, shrink = group_rates(scenario.config)
    day0 = scenario.scenario.start
    rows, cover_rows = [], []
    overrides: dict[str, Any] = {}
    paid = cost = 0.0
    for g in problem.groups:
        need = plan.staffing[g].to_numpy(dtype=float)
        temps = _templates(scenario, g, problem.period_s, problem.n_periods, starts, lengths)
        local0 = day0 + site_offset(scenario, g)  # the periods in the group's local time
        spans = [
            ((local0 + k * problem.period_s) % DAY, (local0 + k * problem.period_s) % DAY + problem.period_s)
            for k in range(problem.n_periods)
        ]
        a = np.array([[_covers(s, L, p0, p1) for s, L in temps] for p0, p1 in spans], dtype=float)
        uncovered = (a.sum(axis=1) == 0) & (need > 0)
        if uncovered.any():
            k = int(np.argmax(uncovered))
            raise ValueError(f"agents.{g}: no allowed shift covers period {k} ({plan.staffing['start'][k]})")
        hours = np.array([L / 3600.0 for _, L in temps])
        res = milp(
            c=hours,
            constraints=LinearConstraint(a, lb=need, ub=np.inf),
            integrality=np.ones(len(temps)),
            bounds=Bounds(0, np.inf),
        )
        if not res.success:
            raise RuntimeError(f"agents.{g}: the shift program failed: {res.message}")
        x = np.round(res.x).astype(int)
        chosen = []
        for (s, L), count in zip(temps, x, strict=True):
            if count > 0:
                start = f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}"
                rows.append({"group": g, "start": start, "length": format_duration(L), "count": int(count)})
                chosen.append({"start": start, "length": format_duration(L), "count": int(count)})
        on_duty = a @ x
        for k in range(problem.n_periods):
            cover_rows.append(
                {
                    "period": k,
                    "start": plan.staffing["start"][k],
                    "group": g,
                    "required": int(need[k]),
                    "on_duty": int(on_duty[k]),
                }
            )
        group_hours = float(hours @ x) / (1.0 - shrink[g])
        paid += group_hours
        cost += group_hours * cost_h[g]
        table = dict(scenario.raw["agents"][g])
        for key in ("count", "staffing", "shifts"):
            table.pop(key, None)
        table["shifts"] = chosen
        overrides[f"agents.{g}"] = table
    staffed = with_staffing(scenario, {}).with_overrides(overrides)
    return ShiftPlan(pd.DataFrame(rows), pd.DataFrame(cover_rows), paid, cost, staffed)
