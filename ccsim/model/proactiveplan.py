"""The compiled form of proactive contact (``[proactive.NAME]``), by index, for
``proactive.Proactive``: each campaign's groups, its daily windows over simulated time, and the
expected arrivals of the inbound type it prevents (to spread the prevented contacts over the
arrivals of its horizon)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ccsim.config.schema import ScenarioConfig
from ccsim.distributions import Distribution
from ccsim.model.choiceplan import ScopePlan
from ccsim.model.timeline import DAY, Clock, Floats

NO_TYPE = -1


@dataclass(frozen=True)
class Expected:
    """Expected arrivals of one contact type over simulated time: a step rate (per second) with
    its running integral; past the measured time, the mean rate of the measured time."""

    times: Floats  # where the rate changes (the first is 0)
    rates: Floats  # per second, from each time on
    cumulative: Floats  # expected arrivals from 0 to each time
    end: float  # end of the measured time
    after: float  # rate after it

    def between(self, a: float, b: float) -> float:
        """Expected arrivals in [a, b)."""
        return self._upto(b) - self._upto(a)

    def scaled(self, factor: float) -> Expected:
        return Expected(
            self.times, self.rates * factor, self.cumulative * factor, self.end, self.after * factor
        )

    def _upto(self, t: float) -> float:
        inside = min(t, self.end)
        k = int(np.searchsorted(self.times, inside, side="right")) - 1
        total = float(self.cumulative[k] + self.rates[k] * (inside - self.times[k]))
        return total + self.after * max(t - self.end, 0.0)


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign by index."""

    name: str
    daily: int  # outbound contacts per day
    groups: tuple[int, ...]
    handle: Distribution
    windows: tuple[tuple[float, float], ...]  # simulated times, within the measured time
    reserved: int  # agents reserved in the window (0: idle-time work)
    reach: float
    prevents: int  # contact type index, or NO_TYPE
    share: float
    horizon: float
    expected: Expected | None  # arrivals of the prevented type

    def with_demand_scaled(self, factor: float) -> CampaignPlan:
        expected = self.expected.scaled(factor) if self.expected is not None else None
        return replace(self, expected=expected)


def compile_proactive(
    cfg: ScenarioConfig,
    clock: Clock,
    rates: list[tuple[Floats, Floats, dict[int, float]]],
    scope: ScopePlan | None,
) -> tuple[CampaignPlan, ...]:
    """The campaigns by index. ``rates``: per demand stream its rate (times, per-second values)
    and its contact types' shares by index."""
    groups, types = list(cfg.agents), list(cfg.contact_types)
    out = []
    for name, c in cfg.proactive.items():
        t = types.index(c.prevents.contact_type) if c.prevents is not None else NO_TYPE
        expected = _expected(t, rates, clock, scope) if t != NO_TYPE else None
        out.append(
            CampaignPlan(
                name=name,
                daily=c.daily,
                groups=tuple(groups.index(g) for g in c.groups),
                handle=c.handle,
                windows=_windows(c.window, clock),
                reserved=c.agents or 0,
                reach=c.reach,
                prevents=t,
                share=c.prevents.share if c.prevents is not None else 0.0,
                horizon=c.prevents.horizon if c.prevents is not None else 0.0,
                expected=expected,
            )
        )
    return tuple(out)


def _windows(window: tuple[float, float], clock: Clock) -> tuple[tuple[float, float], ...]:
    """The daily window in simulated time, each day's cut to the measured time."""
    out = []
    first = int(np.floor((clock.start - clock.warmup) / DAY)) - 1
    day = first
    while True:
        a = day * DAY + window[0] - clock.start + clock.warmup
        b = a + (window[1] - window[0])
        if a >= clock.end:
            break
        lo, hi = max(a, clock.warmup), min(b, clock.end)
        if hi > lo:
            out.append((lo, hi))
        day += 1
    return tuple(out)


def _expected(
    t: int, rates: list[tuple[Floats, Floats, dict[int, float]]], clock: Clock, scope: ScopePlan | None
) -> Expected:
    """Expected first arrivals of type ``t`` (the communicated scope's reduction taken off)."""
    times = np.unique(np.concatenate([[0.0, clock.end], *(r[0] for r in rates)]))
    times = times[times <= clock.end]
    total = np.zeros(len(times))
    for step_times, values, shares in rates:
        k = np.maximum(np.searchsorted(step_times, times, side="right") - 1, 0)
        total += values[k] * shares.get(t, 0.0)
    if scope is not None and scope.out_of_scope[t]:
        total *= 1.0 - scope.reduction
    widths = np.diff(times, append=times[-1])
    cumulative = np.concatenate([[0.0], np.cumsum(total * widths)[:-1]])
    measured = float(cumulative[-1] - np.interp(clock.warmup, times, cumulative))
    after = measured / clock.duration if clock.duration > 0 else 0.0
    return Expected(times, total, cumulative, clock.end, after)
