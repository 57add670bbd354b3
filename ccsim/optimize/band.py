"""The band: the frontier points whose total cost is not shown to be more than an indifference
amount above the cheapest one's.

Every point of a frontier is evaluated on the same replications of the same seed (common random
numbers: replication ``r`` has the same arrivals, customers and decisions whatever the
staffing), so two points' total costs are compared replication by replication: the paired
difference ``D_r = X_ir - X_jr`` carries little of the day-to-day noise both share.

**Screening** (after the subset selection of Nelson, Swann, Goldsman and Song, 2001, with common
random numbers, widened by an indifference amount ``delta``): point ``i`` stays in the band
unless, for some other point ``j``,

    mean(D_ij) - t * S_ij / sqrt(n_ij) > delta

with ``S_ij`` the standard deviation of the paired differences over their ``n_ij`` common
replications and ``t`` the Student-t quantile at ``1 - alpha / (k - 1)`` (Bonferroni over the
``k - 1`` comparisons a point makes): a point leaves the band only when it is shown to cost more
than ``delta`` above another. With ``delta = 0`` the band holds the truly cheapest point with
probability at least ``1 - alpha``; with ``delta > 0`` it also holds every point within
``delta`` of it. ``delta`` is what a manager calls the same money: without it, two plans 0.3%
apart would be told apart by enough replications, although the searches that found them differ
by more than that from seed to seed.

**Resolution.** Against the cheapest point by its mean (``best``), each point has a paired
difference ``vs_best`` and a half-width ``vs_best_ci95`` with the same quantile. A point of the
band whose upper bound ``vs_best + vs_best_ci95`` is at most ``2 delta`` is *equivalent*; a
point of the band that is not yet equivalent is *undecided*. Every point is eventually either
shown to cost more than ``delta`` above another (out) or at most ``2 delta`` above the cheapest
(equivalent), since its true difference is below ``2 delta`` or above ``delta``; the band is
*resolved* when no point is undecided. ``ccsim.optimize.frontiers`` gives the band's points more
replications until it is resolved or the budget is spent.

Replications of a point are always a prefix ``0 .. n - 1`` of the evaluation seed's, so two
points with ``n_i`` and ``n_j`` replications share the first ``min(n_i, n_j)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Band(Generic[K]):
    """The outcome of screening one set of points (see the module docstring)."""

    best: K  # the cheapest point by its mean
    in_band: dict[K, bool]
    vs_best: dict[K, float]  # mean paired difference of total cost against ``best``
    vs_best_ci95: dict[K, float]  # its half-width (simultaneous, 1 - alpha)
    equivalent: dict[K, bool]  # in the band and at most 2 x ``indifference`` above ``best``
    indifference: float
    alpha: float

    @property
    def undecided(self) -> list[K]:
        return [k for k, kept in self.in_band.items() if kept and not self.equivalent[k]]

    @property
    def resolved(self) -> bool:
        return not self.undecided

    @property
    def spread(self) -> float:
        """The most a point of the band may cost above ``best`` (upper bound, 1 - alpha)."""
        bounds = [
            max(self.vs_best[k] + self.vs_best_ci95[k], 0.0) for k, kept in self.in_band.items() if kept
        ]
        return max(bounds) if bounds else 0.0


def quantile(alpha: float, comparisons: int, df: int) -> float:
    """One-sided Student-t quantile at ``1 - alpha / comparisons`` with ``df`` degrees of freedom."""
    from scipy.special import stdtrit  # scipy.special loads in a quarter second: when first used

    if df < 1:
        return math.inf
    return float(stdtrit(df, 1.0 - alpha / max(comparisons, 1)))


def paired(
    x: np.ndarray, y: np.ndarray, t: float | None, alpha: float, comparisons: int
) -> tuple[float, float]:
    """Mean and half-width of ``x - y`` over the replications both have (a prefix of each);
    ``t`` the quantile, or None to take it for ``comparisons`` comparisons at ``alpha``."""
    n = min(len(x), len(y))
    d = np.asarray(x[:n], dtype=float) - np.asarray(y[:n], dtype=float)
    if n == 0:
        return math.nan, math.inf
    mean = float(d.mean())
    if n < 2:
        return mean, math.inf
    q = quantile(alpha, comparisons, n - 1) if t is None else t
    sd = float(d.std(ddof=1))
    return mean, (q * sd / math.sqrt(n) if sd > 0 else 0.0)


def screen(samples: Mapping[K, np.ndarray], alpha: float = 0.05, indifference: float = 0.0) -> Band[K]:
    """Screen points given their per-replication total costs (each a prefix of the same
    replications): the band, the cheapest point, and each point's paired difference to it."""
    if not samples:
        raise ValueError("screen: no points")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (got {alpha!r})")
    keys = list(samples)
    k = len(keys)
    most = max(len(samples[key]) for key in keys)
    means = {key: float(np.mean(samples[key])) for key in keys}
    best = min((key for key in keys if len(samples[key]) == most), key=lambda key: means[key])
    comparisons = max(k - 1, 1)
    in_band: dict[K, bool] = {}
    for i in keys:
        kept = True
        for j in keys:
            if j == i:
                continue
            mean, half = paired(samples[i], samples[j], None, alpha, comparisons)
            if mean - half > indifference:  # shown to cost more than the indifference above j
                kept = False
                break
        in_band[i] = kept
    in_band[best] = True  # the cheapest by its mean is never screened out by itself
    vs_best: dict[K, float] = {}
    vs_ci: dict[K, float] = {}
    equivalent: dict[K, bool] = {}
    for key in keys:
        mean, half = (
            (0.0, 0.0) if key == best else paired(samples[key], samples[best], None, alpha, comparisons)
        )
        vs_best[key], vs_ci[key] = mean, half
        equivalent[key] = in_band[key] and mean + half <= 2.0 * indifference
    return Band(best, in_band, vs_best, vs_ci, equivalent, float(indifference), float(alpha))
