"""Confidence intervals of means over independent replications (Student t): the one helper
behind every ± a planner reads.

Every figure compared across runs is a mean over independent replications with the half-width
of its 95% confidence interval, ``t(0.975, n - 1) * s / sqrt(n)`` (``s`` the sample standard
deviation). ``t_half_width`` takes one sample (NaNs dropped); ``t_half_widths`` takes counts and
standard deviations of many at once (the groups of a table), ``t_quantile`` the quantile
itself (one-sided tests take ``1 - alpha``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

LEVEL = 0.95  # the confidence of every interval shown


def t_quantile(df: ArrayLike, p: float) -> np.ndarray:
    """The Student-t quantile at ``p`` with ``df`` degrees of freedom (elementwise)."""
    # scipy.special loads in a quarter second: imported when first used, so that the command
    # line starts quickly (lighter than scipy.stats)
    from scipy.special import stdtrit

    return np.asarray(stdtrit(df, p))


def t_half_widths(n: ArrayLike, sd: ArrayLike) -> np.ndarray:
    """Half-widths of the 95% intervals of means of ``n`` values with standard deviations ``sd``
    (elementwise); NaN where ``n < 2``."""
    count = np.asarray(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(np.maximum(count - 1, 1), 0.5 + LEVEL / 2)
        return np.where(count >= 2, t * np.asarray(sd) / np.sqrt(count), np.nan)


def t_half_width(values: np.ndarray) -> float:
    """Half-width of the 95% interval of the mean of independent replications (NaNs dropped);
    NaN with fewer than two values."""
    v = values[~np.isnan(values)]
    if len(v) < 2:
        return math.nan
    return float(t_half_widths(len(v), v.std(ddof=1)))
