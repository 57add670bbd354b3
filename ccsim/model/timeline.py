"""Piecewise-constant schedules over simulated time: demand rates, staffing, opening hours.

Simulated time starts at 0 with the warm-up; the measured time is ``[warmup, warmup + duration)``.
A per-interval list that spans at most one day is a daily pattern: it starts at
``scenario.start`` every day and is zero for the rest of the day. A longer list covers the run
from its start. During the warm-up the first interval's value applies. After the measured time
(the drain) daily patterns go on repeating, so that agents come back to finish a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ccsim.config.errors import ConfigError
from ccsim.config.schema import AgentGroup, Demand, Hours, ProfileFile, ScenarioSection
from ccsim.units import column_unit, rate_unit

DAY = 86400.0
Floats = NDArray[np.float64]  # times, rates, values
Ints = NDArray[np.int32]  # indices


@dataclass(frozen=True)
class Step:
    """A step function: ``values[k]`` holds on ``[times[k], times[k+1])`` (last one forever)."""

    times: Floats
    values: Floats

    def at(self, t: float) -> float:
        k = int(np.searchsorted(self.times, t, side="right")) - 1
        return float(self.values[max(k, 0)])

    def changes(self) -> list[tuple[float, float]]:
        """(time, value) where the value changes, the first at time 0."""
        out: list[tuple[float, float]] = []
        for t, v in zip(self.times.tolist(), self.values.tolist(), strict=True):
            if not out or v != out[-1][1]:
                out.append((t, v))
        return out


def read_profile(spec: ProfileFile, base_dir: Path, path: str) -> list[float]:
    file = (base_dir / spec.file).resolve()
    if not file.exists():
        raise ConfigError([f"{path}.file: file not found: {spec.file!r} (looked in {file})"])
    import pandas as pd

    frame = pd.read_csv(file)
    col = spec.column or str(frame.columns[0])
    if col not in frame.columns:
        cols = ", ".join(map(str, frame.columns))
        raise ConfigError([f"{path}.column: {col!r} is not a column of {spec.file!r} ({cols})"])
    try:
        values = frame[col].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ConfigError([f"{path}: {spec.file!r} column {col!r} must hold numbers (got text)"]) from None
    if not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError([f"{path}: {spec.file!r} column {col!r} must hold finite numbers >= 0"])
    return values.tolist()


def csv_rate_unit(spec: ProfileFile, base_dir: Path, path: str) -> float:
    """The factor to per second of a CSV column of rates: its ``unit``, or its name's."""
    column = spec.column or _first_column(base_dir / spec.file)
    named = column_unit(column, "rate")
    if spec.unit is not None:
        try:
            factor = rate_unit(spec.unit)
        except ValueError as exc:
            raise ConfigError([f"{path}.unit: {exc}"]) from None
        if named is not None and abs(named - factor) > 1e-12 * factor:
            raise ConfigError([f"{path}.unit: {spec.unit!r} contradicts the column name {column!r}"])
        return factor
    if named is None:
        raise ConfigError(
            [
                f"{path}: the unit of the rates in column {column!r} of {spec.file!r} is not said: "
                "add unit = '/h' (or '/min', '/30min'), or name the column with it, e.g. "
                "'calls_per_hour'"
            ]
        )
    return named


def _first_column(file: Path) -> str:
    if not file.exists():
        return ""  # read_profile says the file is missing
    with file.open(encoding="utf-8", errors="replace") as fh:
        return fh.readline().split(",")[0].strip().strip('"')


def no_unit(spec: ProfileFile, path: str, what: str) -> None:
    if spec.unit is not None:
        raise ConfigError([f"{path}.unit: this column holds {what}, which have no unit (got {spec.unit!r})"])


def clock_label(t: float) -> str:
    """The clock time of a time of day in seconds (``scenario.start`` + measured time): '09:30'
    ('09:30:20' when it is not on a minute), and 'd2 09:30' from the second day on."""
    day, tod = divmod(round(float(t), 3), DAY)
    label = f"{int(tod // 3600):02d}:{int(tod % 3600 // 60):02d}"
    if tod % 60:
        label += f":{tod % 60:02.0f}"
    return f"d{int(day) + 1} {label}" if day >= 1 else label


class Clock:
    """Maps simulated time to measured time, clock time of day and day index."""

    def __init__(self, sc: ScenarioSection):
        self.warmup = sc.warmup
        self.duration = sc.duration
        self.interval = sc.interval
        self.start = sc.start
        self.end = sc.warmup + sc.duration
        self.n_intervals = int(np.ceil(sc.duration / sc.interval - 1e-9))

    def day_of(self, t: Floats | float) -> NDArray[np.int64]:
        """Day index (0 = the day the measured time starts) of simulated times."""
        return np.floor((self.start + np.asarray(t) - self.warmup) / DAY).astype(int)

    def time_of_day(self, t: Floats | float) -> Floats:
        return np.mod(self.start + np.asarray(t) - self.warmup, DAY)

    def of_day(self, values: Floats, t: Floats | float) -> Floats:
        """``values`` given per interval of the day from 00:00, at the simulated times ``t``."""
        k = (self.time_of_day(t) // self.interval).astype(np.int64)
        return values[np.minimum(k, len(values) - 1)]

    def label(self, interval: int) -> str:
        """The clock time at which a measured interval starts, e.g. '09:30' (see ``clock_label``)."""
        return clock_label(self.start + interval * self.interval)

    def interval_of(self, t: Floats) -> NDArray[np.int64]:
        """Measured interval index of simulated times (may be < 0 or >= n_intervals)."""
        return np.floor((np.asarray(t) - self.warmup) / self.interval).astype(np.int64)

    def pattern(self, values: list[float], path: str, horizon: float) -> Step:
        """A per-interval list as a step function over simulated time ``[0, horizon)``."""
        n = len(values)
        span = n * self.interval
        if n == 0:
            raise ConfigError([f"{path}: the list is empty"])
        # one day or less: a daily pattern, which must cover a run of up to a day (in longer runs
        # it is zero for the rest of each day); longer: it must cover the whole run
        need = self.duration if (self.duration <= DAY or span > DAY + 1e-6) else span
        if span < need - 1e-6:
            raise ConfigError(
                [
                    f"{path}: {n} values of {self.interval:g}s cover {span / 3600:g}h, but the "
                    f"measured time is {need / 3600:g}h long"
                ]
            )
        times = [0.0]
        vals = [float(values[0])]  # warm-up: the first interval's value
        if span > DAY + 1e-6:  # a run-long list
            for k, v in enumerate(values):
                times.append(self.warmup + k * self.interval)
                vals.append(float(v))
        else:  # a daily pattern from scenario.start, zero for the rest of the day
            day = 0
            while self.warmup + day * DAY < horizon:
                base = self.warmup + day * DAY
                for k, v in enumerate(values):
                    times.append(base + k * self.interval)
                    vals.append(float(v))
                if span < DAY - 1e-6:
                    times.append(base + span)
                    vals.append(0.0)
                day += 1
        return Step(np.asarray(times), np.asarray(vals))

    def cut_points(self) -> Floats:
        """Interval and day boundaries inside the measured time (for arrival pieces)."""
        pts = [self.warmup + k * self.interval for k in range(self.n_intervals)]
        first_midnight = self.warmup + (DAY - self.start) % DAY
        t = first_midnight
        while t < self.end:
            pts.append(t)
            t += DAY
        pts.extend([0.0, self.end])
        return np.unique(np.asarray(pts))


def demand_rate(d: Demand, i: int, clock: Clock, base_dir: Path) -> Step:
    """The arrival rate (per second) of a demand stream, before the busyness factor."""
    path = f"demand[{i}]"
    if d.rate is not None:
        return Step(np.array([0.0]), np.array([d.rate]))
    if d.rates is not None:
        if isinstance(d.rates, ProfileFile):  # a CSV column of rates in a unit it names
            values = read_profile(d.rates, base_dir, f"{path}.rates")
            factor = csv_rate_unit(d.rates, base_dir, f"{path}.rates")
            rates = [v * factor for v in values]
        else:
            rates = list(d.rates)
        return clock.pattern(rates, f"{path}.rates", clock.end)
    assert d.volume is not None and d.profile is not None
    if isinstance(d.profile, ProfileFile):
        no_unit(d.profile, f"{path}.profile", "weights")
        weights = read_profile(d.profile, base_dir, f"{path}.profile")
    else:
        weights = list(d.profile)
    total = sum(weights)
    if not 0 < total < np.inf or min(weights) < 0:
        raise ConfigError([f"{path}.profile: weights must be >= 0, not all zero, and add up to a finite sum"])
    if len(weights) * clock.interval > DAY + 1e-6:
        raise ConfigError([f"{path}.profile: a daily profile spans at most one day"])
    rates = [d.volume * w / total / clock.interval for w in weights]
    return clock.pattern(rates, f"{path}.profile", clock.end)


def staffing(group: AgentGroup, name: str, clock: Clock, base_dir: Path, horizon: float) -> Step:
    """Agents present over simulated time (shifts are summed into a step function)."""
    path = f"agents.{name}"
    if group.count is not None:
        return Step(np.array([0.0]), np.array([float(group.count)]))
    if group.staffing is not None:
        if isinstance(group.staffing, ProfileFile):
            no_unit(group.staffing, f"{path}.staffing", "agent counts")
            counts = read_profile(group.staffing, base_dir, f"{path}.staffing")
            if any(c != int(c) for c in counts):
                raise ConfigError([f"{path}.staffing: agent counts must be whole numbers"])
        else:
            counts = [float(c) for c in group.staffing]
        return clock.pattern(counts, f"{path}.staffing", horizon)
    assert group.shifts is not None
    # shifts repeat daily; build +count/-count events over the horizon
    events: dict[float, float] = {}
    first_day = int(np.floor((clock.start - clock.warmup) / DAY)) - 1
    last_day = int(np.ceil((clock.start + horizon) / DAY)) + 1
    for sh in group.shifts:
        for day in range(first_day, last_day + 1):
            a = day * DAY + sh.start - clock.start + clock.warmup  # simulated time
            b = a + sh.length
            if b <= 0 or a >= horizon:
                continue
            events[max(a, 0.0)] = events.get(max(a, 0.0), 0.0) + sh.count
            events[b] = events.get(b, 0.0) - sh.count
    times = np.array(sorted(events)) if events else np.array([0.0])
    level = np.cumsum([events.get(t, 0.0) for t in times])
    if times[0] > 0:
        times = np.concatenate([[0.0], times])
        level = np.concatenate([[0.0], level])
    return Step(times, np.round(level))


def opening(hours: list[Hours] | None, clock: Clock, horizon: float) -> Step:
    """1.0 while the channel is open, 0.0 while closed, over simulated time."""
    if not hours:
        return Step(np.array([0.0]), np.array([1.0]))
    events: list[tuple[float, float]] = []
    first_day = int(np.floor((clock.start - clock.warmup) / DAY)) - 1
    last_day = int(np.ceil((clock.start + horizon) / DAY)) + 1
    for day in range(first_day, last_day + 1):
        for h in hours:
            a = day * DAY + h.open - clock.start + clock.warmup
            length = (h.close - h.open) % DAY or DAY
            events.append((a, 1.0))
            events.append((a + length, -1.0))
    events.sort()
    times, level, cur = [0.0], [0.0], 0.0
    for t, dv in events:
        cur += dv
        if t <= 0:
            level[0] = 1.0 if cur > 0 else 0.0
        else:
            times.append(t)
            level.append(1.0 if cur > 0 else 0.0)
    return Step(np.asarray(times), np.asarray(level))
