"""What a back-test gives the model in each interval of the log's period: rates and agents.

Shared by the simulation (``ccsim.calibrate.backtesting.build``) and the Erlang-A baseline
(``ccsim.calibrate.baseline``), so that both models are fed the same numbers. Arrays are
(calendar day, interval of the day) over every calendar day from the log's first to its last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccsim.calibrate import arrivals as A
from ccsim.calibrate import staffing as S
from ccsim.calibrate.calllog import CallLog
from ccsim.model.plan import Plan
from ccsim.model.timeline import Step
from ccsim.scenario import Scenario

DAY = 86400.0


def calendar(days: list[pd.Timestamp]) -> list[pd.Timestamp]:
    """Every calendar day from the first to the last (days missing from a log included)."""
    return list(pd.date_range(days[0], days[-1], freq="D"))


def at_calendar(step: Step, plan: Plan, cal: list[pd.Timestamp], interval: float) -> list[float]:
    """A step function of the scenario read on the calendar (7-day lists start on Monday)."""
    clock = plan.clock
    week = clock.duration >= 7 * DAY - 1e-6
    out = []
    for d in cal:
        for k in range(round(DAY / interval)):
            tod = (k + 0.5) * interval
            offset = (d.weekday() * DAY if week else 0.0) + tod - clock.start
            span = 7 * DAY if week else DAY
            out.append(step.at(clock.warmup + offset % span))
    return out


def proxy_grids(
    log: CallLog, scenario: Scenario, cal: list[pd.Timestamp], interval: float, proxy: str, gap: float
) -> dict[str, np.ndarray]:
    """The log's staffing proxy per team of the scenario (an agent of a team the scenario does
    not have counts in its most skilled team)."""
    groups = list(scenario.agents)
    teams = S.infer_teams(log.demand, teams=True)
    general = max(groups, key=lambda g: (len(scenario.agents[g].proficiency), g == S.GENERAL))
    member = {a: (t if t in groups else general) for a, t in teams.member.items()}
    order = [general, *[g for g in groups if g != general]]
    grids = S.proxy_grid(log.frame, cal, interval, member, order, proxy, gap)
    return {g: grids[g] for g in groups}


def scaled(grids: dict[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    """Agents per team: the proxy times ``scale``, rounded half up."""
    return {g: np.floor(scale * grid + 0.5).astype(int) for g, grid in grids.items()}


def all_teams(agents: dict[str, np.ndarray]) -> np.ndarray:
    """The agents of all teams together in each interval of the calendar."""
    return np.sum(list(agents.values()), axis=0)


def scenario_staffing(scenario: Scenario, cal: list[pd.Timestamp], interval: float) -> dict[str, np.ndarray]:
    """The scenario's own staffing per team laid on the calendar."""
    plan = scenario.plan
    shape = (len(cal), A.per_day(interval))
    return {
        g: np.array([round(v) for v in at_calendar(plan.groups[i].staffing, plan, cal, interval)]).reshape(
            shape
        )
        for i, g in enumerate(scenario.agents)
    }


def observed_rates(log: CallLog, cal: list[pd.Timestamp], interval: float) -> np.ndarray:
    """All channels' arrivals per second: the log's count in each interval over its length."""
    return A.count_grid(log.demand["arrival"], cal, interval) / interval


def scenario_rates(scenario: Scenario, cal: list[pd.Timestamp], interval: float) -> np.ndarray:
    """All streams' mean arrival rate per second (busyness left out) laid on the calendar."""
    plan = scenario.plan
    total = np.zeros(len(cal) * A.per_day(interval))
    for stream in plan.streams:
        total += np.array(at_calendar(stream.rate, plan, cal, interval))
    return total.reshape(len(cal), -1)
