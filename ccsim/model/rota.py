"""The agents on duty of one replication: the rostered agents less the absent, those on a break
and those in a block (training, meetings).

The roster is cut into *stints*: one agent of a group on duty without a gap within one day. A
group with shifts has one stint per agent and shift and day. A group staffed by ``count`` or
``staffing`` has anonymous agents: agent ``j`` (counted from 0) is on duty while the staffing is
above ``j`` (the last to come is the first to go), and its stints are cut at midnight. Then:

- **Absence** (``absence``): each day, every rostered agent is absent for the whole day with the
  day's absence rate: the configured rate, or with a ``correlation`` a draw of a beta
  distribution with that mean (beta-binomial). An agent present may leave early
  (``leave_early``), at a time uniform over its first to last stint of the day. The draws come
  from streams named by the group, the day and the shift (``absence:GROUP:DAY:SHIFT``), one row
  of uniforms per agent: a scenario with other routing sees the same absences, and one with
  more agents sees the same absences for the agents both have.
- **Breaks** (``breaks``): every stint takes each break once: ``after`` a time from the start of
  its shift, the starts of a shift's agents spread evenly over ``spread``, or within a clock
  ``window``, the starts of the agents on duty then spread evenly over it. The schedule is set
  in advance for the rostered agents: an absent agent's slot stays empty, a break after an
  agent left early is not taken.
- **Blocks** (``blocks``): ``agents`` of the group leave the phones from ``start`` for
  ``length`` every day (as many as are on duty, if fewer).

The result per group is a step function of the agents to have on duty, which
``workforce.Workforce`` follows as it follows a plan's staffing: an agent due to go on a break
finishes the contact in hand first, so the break starts late and is shortened (it ends on
time). It also gives the pieces of the schedule (rostered, absent and off-phone agents over
time) for the agents table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsim.model.plan import Plan
from ccsim.model.rotaplan import RotaPlan
from ccsim.model.sampling import stream
from ccsim.model.timeline import DAY, Clock, Step

PIECE = [
    ("group", np.int32),
    ("start", float),
    ("end", float),
    ("rostered", float),
    ("absent", float),
    ("off", float),
]
Key = tuple[int, int, int]  # day, shift (0 without shifts), agent


@dataclass(frozen=True)
class Stint:
    """One agent on the roster without a gap within a day."""

    day: int  # the day of its shift's start (clock day, 0 = the first measured day)
    roster: int  # its shift's index (0 without shifts)
    label: int  # the agent within its shift (or group)
    start: float  # simulated time
    end: float
    origin: float  # the start of its shift (before clipping to the run)

    @property
    def key(self) -> Key:
        return (self.day, self.roster, self.label)


class Rota:
    """The agents on duty per group of one replication (``steps``) and the schedule's pieces."""

    def __init__(self, plan: Plan, seed: int, replication: int) -> None:
        self.on = any(g.rota is not None for g in plan.groups)
        self.steps = [g.staffing for g in plan.groups]
        self.pieces: NDArray[np.void] | None = None
        if not self.on:
            return
        parts = []
        for gi, g in enumerate(plan.groups):
            if g.rota is None:
                parts.append(_plain_pieces(gi, g.staffing, plan.horizon))
                continue
            times, level = _schedule(g.rota, g.staffing, plan.clock, plan.horizon, seed, replication)
            target = np.maximum(level[:, 0] - level[:, 1] - level[:, 2], 0.0)
            self.steps[gi] = Step(times, target)
            parts.append(
                _pieces(gi, times, level[:, 0], level[:, 1], level[:, 0] - level[:, 1] - target, plan.horizon)
            )
        self.pieces = np.concatenate(parts)


def _day_range(clock: Clock, horizon: float) -> range:
    first = int(np.floor((clock.start - clock.warmup) / DAY)) - 1
    last = int(np.ceil((clock.start + horizon) / DAY)) + 1
    return range(first, last + 1)


def _sim_time(clock: Clock, day: int, tod: float) -> float:
    """Simulated time of clock time ``tod`` on day ``day``."""
    return day * DAY + tod - clock.start + clock.warmup


def stints(rp: RotaPlan, staffing: Step, clock: Clock, horizon: float) -> list[Stint]:
    """The roster's stints over ``[0, horizon)``."""
    if rp.shifts is None:
        return _step_stints(staffing, clock, horizon)
    out = []
    for day in _day_range(clock, horizon):
        for r, (start, length, count) in enumerate(rp.shifts):
            a = _sim_time(clock, day, start)
            b = a + length
            if b <= 0 or a >= horizon:
                continue
            out += [Stint(day, r, j, max(a, 0.0), min(b, horizon), a) for j in range(count)]
    return out


def _step_stints(staffing: Step, clock: Clock, horizon: float) -> list[Stint]:
    """Anonymous agents: agent j is on duty while the staffing is above j; cut at midnight."""
    mids = {m for d in _day_range(clock, horizon) if 0 < (m := _sim_time(clock, d, 0.0)) < horizon}
    bounds = sorted({0.0, *mids, *(t for t, _ in staffing.changes() if t < horizon)})
    since: list[float] = []  # per agent on duty: when its stint started
    out: list[Stint] = []

    def close(keep: int, t: float) -> None:
        while len(since) > keep:
            s = since.pop()
            if t > s:
                day = int(np.floor((clock.start + s - clock.warmup) / DAY))
                out.append(Stint(day, 0, len(since), s, t, s))

    for t in bounds:
        level = max(round(staffing.at(t)), 0)
        close(0 if t in mids else level, t)
        since += [t] * (level - len(since))
    close(0, horizon)
    return out


def day_rate(rp: RotaPlan, day: int, seed: int, replication: int) -> float:
    """The absence rate of a day: the configured rate, or a beta draw with that mean."""
    a = rp.absence
    assert a is not None
    if a.correlation <= 0 or a.rate <= 0:
        return a.rate
    k = (1.0 - a.correlation) / a.correlation
    rng = stream(seed, replication, f"absence:{rp.group}:{day}")
    return float(rng.beta(a.rate * k, (1.0 - a.rate) * k))


def absences(rp: RotaPlan, roster: list[Stint], seed: int, replication: int) -> dict[Key, float]:
    """Per agent and day that is not on duty all day: the time it stops (-inf: absent)."""
    a = rp.absence
    if a is None:
        return {}
    span: dict[Key, tuple[float, float]] = {}
    size: dict[tuple[int, int], int] = {}
    for s in roster:
        first, last = span.get(s.key, (s.start, s.end))
        span[s.key] = (min(first, s.start), max(last, s.end))
        size[(s.day, s.roster)] = max(size.get((s.day, s.roster), 0), s.label + 1)
    rates: dict[int, float] = {}
    out: dict[Key, float] = {}
    for (day, r), n in sorted(size.items()):
        if day not in rates:
            rates[day] = day_rate(rp, day, seed, replication)
        u = stream(seed, replication, f"absence:{rp.group}:{day}:{r}").random((n, 3))
        for j in range(n):
            if (day, r, j) not in span:
                continue
            first, last = span[(day, r, j)]
            if u[j, 0] < rates[day]:
                out[(day, r, j)] = -math.inf
            elif u[j, 1] < a.leave_early:
                out[(day, r, j)] = first + u[j, 2] * (last - first)
    return out


def breaks(rp: RotaPlan, roster: list[Stint], clock: Clock, horizon: float) -> list[tuple[int, float, float]]:
    """The rostered breaks: (stint index, start, end), staggered across the agents."""
    out: list[tuple[int, float, float]] = []
    for b in rp.breaks:
        if b.after is not None:
            cohorts: dict[tuple[int, int, float], list[int]] = {}
            for i, s in enumerate(roster):
                cohorts.setdefault((s.day, s.roster, s.origin), []).append(i)
            for members in cohorts.values():
                for k, i in enumerate(members):
                    t = roster[i].origin + b.after + b.spread * k / len(members)
                    out.append((i, t, t + b.length))
            continue
        assert b.window is not None
        for day in _day_range(clock, horizon):
            w0, w1 = (_sim_time(clock, day, w) for w in b.window)
            if w1 <= 0 or w0 >= horizon:
                continue
            on = sorted(
                (i for i, s in enumerate(roster) if s.start < w1 and s.end > w0),
                key=lambda i: (roster[i].start, roster[i].roster, roster[i].label),
            )
            for k, i in enumerate(on):
                t = w0 + (k + 0.5) / len(on) * (w1 - w0 - b.length)
                out.append((i, t, t + b.length))
    return out


def _schedule(
    rp: RotaPlan, staffing: Step, clock: Clock, horizon: float, seed: int, replication: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Times and, from each on, the agents rostered, absent and off the phones (breaks and
    blocks, capped at those on duty)."""
    roster = stints(rp, staffing, clock, horizon)
    leave = absences(rp, roster, seed, replication)
    events: list[tuple[float, float, float, float]] = [(0.0, 0.0, 0.0, 0.0)]  # time, rostered, absent, off
    cut = []
    for s in roster:
        stop = min(max(leave.get(s.key, math.inf), s.start), s.end)
        cut.append(stop)
        events += [(s.start, 1.0, 0.0, 0.0), (s.end, -1.0, 0.0, 0.0)]
        if stop < s.end:
            events += [(stop, 0.0, 1.0, 0.0), (s.end, 0.0, -1.0, 0.0)]
    for i, t0, t1 in breaks(rp, roster, clock, horizon):
        a, b = max(t0, roster[i].start), min(t1, cut[i])
        if b > a:
            events += [(a, 0.0, 0.0, 1.0), (b, 0.0, 0.0, -1.0)]
    for block in rp.blocks:
        for day in _day_range(clock, horizon):
            a = _sim_time(clock, day, block.start)
            if a + block.length > 0 and a < horizon:
                events += [(max(a, 0.0), 0.0, 0.0, block.agents), (a + block.length, 0.0, 0.0, -block.agents)]
    e = np.asarray(events, dtype=float)
    times, inverse = np.unique(e[:, 0], return_inverse=True)
    delta = np.zeros((len(times), 3))
    np.add.at(delta, inverse, e[:, 1:])
    return times, np.cumsum(delta, axis=0)


def _pieces(
    g: int,
    times: NDArray[np.float64],
    rostered: NDArray[np.float64],
    absent: NDArray[np.float64],
    off: NDArray[np.float64],
    horizon: float,
) -> NDArray[np.void]:
    ends = np.append(times[1:], max(horizon, times[-1]))
    out = np.zeros(len(times), dtype=PIECE)
    out["group"], out["start"], out["end"] = g, times, ends
    out["rostered"], out["absent"], out["off"] = rostered, absent, off
    return out


def _plain_pieces(g: int, staffing: Step, horizon: float) -> NDArray[np.void]:
    """A group without a rota: rostered as staffed, nobody absent or off the phones."""
    zero = np.zeros(len(staffing.times))
    return _pieces(g, staffing.times, staffing.values, zero, zero, horizon)
