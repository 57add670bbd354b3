"""Arrival rates per weekday and interval, and the day-level busyness factor.

Counts are taken on a grid of the log's days (only days with at least one contact: a day missing
from the log is a gap in the data, not a closed centre) times the intervals of a day. The rate of
weekday ``w`` in interval ``k`` is the mean count over the log's days of that weekday divided by
the interval length. Days differ in level beyond Poisson noise (a busy Monday, a quiet one after
a holiday); ccsim models this as a *busyness factor* ``B`` drawn once a day, with mean 1, that
multiplies every rate of the day. Its coefficient of variation is estimated from the day totals
``T``: around its weekday's mean ``m_w``, ``T / m_w`` has variance ``Var(B) + 1 / m_w`` (the second
term is the Poisson noise), so ``cv(B)^2`` is the pooled variance of ``T / m_w`` minus the pooled
``1 / m_w``, and zero if that is negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DAY = 86400.0
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def per_day(interval: float) -> int:
    k = DAY / interval
    if abs(k - round(k)) > 1e-9:
        raise ValueError(f"the interval ({interval:g}s) must divide a day evenly, e.g. 15min or 30min")
    return round(k)


def grid_index(times: pd.Series, days: list[pd.Timestamp], interval: float) -> tuple[np.ndarray, np.ndarray]:
    """(day row, interval of the day) of each time; day row -1 for times on days not in ``days``."""
    day = times.dt.normalize()
    lookup = {d: i for i, d in enumerate(days)}
    row = day.map(lookup).fillna(-1).astype(int).to_numpy()
    k = ((times - day).dt.total_seconds().to_numpy() // interval).astype(int)
    return row, k


def count_grid(times: pd.Series, days: list[pd.Timestamp], interval: float) -> np.ndarray:
    """Counts per (day, interval of the day)."""
    n_k = per_day(interval)
    row, k = grid_index(times, days, interval)
    ok = row >= 0
    grid = np.zeros((len(days), n_k))
    np.add.at(grid, (row[ok], k[ok]), 1)
    return grid


def pattern_rows(days: list[pd.Timestamp], pattern: str) -> np.ndarray:
    """Which row of the pattern each day belongs to: its weekday (Monday = 0), or 0 if daily."""
    if pattern == "week":
        return np.array([d.weekday() for d in days], dtype=int)
    return np.zeros(len(days), dtype=int)


def choose_pattern(days: list[pd.Timestamp], pattern: str = "auto") -> str:
    """``week`` when every weekday occurs at least twice in the log (with ``auto``), else ``daily``."""
    if pattern in ("week", "daily"):
        return pattern
    if pattern != "auto":
        raise ValueError(f"pattern must be auto, week or daily (got {pattern!r})")
    counts = np.bincount([d.weekday() for d in days], minlength=7)
    return "week" if counts.min() >= 2 else "daily"


def pattern_mean(grid: np.ndarray, rows: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the days of each pattern row (days with no row data: the mean of all days)."""
    out = np.zeros((n_rows, grid.shape[1]))
    n = np.bincount(rows, minlength=n_rows)
    overall = grid.mean(axis=0) if len(grid) else np.zeros(grid.shape[1])
    for r in range(n_rows):
        out[r] = grid[rows == r].mean(axis=0) if n[r] else overall
    return out, n


@dataclass
class Busyness:
    """Day-to-day variation of the level of demand."""

    cv: float  # of the busyness factor, Poisson noise removed
    observed_cv: float  # of day totals around their weekday's mean
    poisson_cv: float  # what Poisson noise alone would give
    days: int
    totals: pd.Series = field(default_factory=pd.Series)  # contacts per day

    def spec(self) -> dict[str, object] | None:
        if not self.cv > 0.005:
            return None
        return {"dist": "gamma", "mean": 1, "cv": round(self.cv, 3)}

    def describe(self) -> str:
        return (
            f"day totals vary around their weekday's mean with cv {self.observed_cv:.3f} over "
            f"{self.days} days; Poisson noise alone gives {self.poisson_cv:.3f}, so the busyness "
            f"factor has cv {self.cv:.3f}"
        )


def fit_busyness(totals: np.ndarray, rows: np.ndarray, days: list[pd.Timestamp]) -> Busyness:
    totals = np.asarray(totals, dtype=float)
    num = noise = dof = 0.0
    for r in np.unique(rows):
        t = totals[rows == r]
        m = t.mean()
        if len(t) < 2 or m <= 0:
            continue
        num += float(np.sum((t / m - 1.0) ** 2))
        noise += (len(t) - 1) / m
        dof += len(t) - 1
    if dof == 0:
        return Busyness(0.0, math.nan, math.nan, len(totals), pd.Series(totals, index=days))
    var, pvar = num / dof, noise / dof
    return Busyness(
        cv=math.sqrt(max(var - pvar, 0.0)),
        observed_cv=math.sqrt(var),
        poisson_cv=math.sqrt(pvar),
        days=len(totals),
        totals=pd.Series(totals, index=days),
    )


def pattern_labels(pattern: str, n_days: np.ndarray, totals: np.ndarray) -> list[str]:
    """One label per pattern row: the weekday, the log days behind it, contacts per day."""
    names = WEEKDAYS if pattern == "week" else ["every day"]
    return [
        f"{names[r]}: mean of {int(n_days[r])} day(s) in the log, {totals[r]:,.0f} contacts a day"
        if n_days[r]
        else f"{names[r]}: not in the log, the mean of all days"
        for r in range(len(names))
    ]
