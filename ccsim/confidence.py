"""Confidence intervals of means over independent replications (Student t)."""

from __future__ import annotations

import math

import numpy as np


def t_half_width(values: np.ndarray) -> float:
    """95% confidence half-width of the mean of independent replications (Student t); NaN
    values are left out, and fewer than two values give NaN."""
    v = values[~np.isnan(values)]
    if len(v) < 2:
        return math.nan
    from scipy.special import stdtrit  # Student t quantile; lighter to import than scipy.stats

    return float(stdtrit(len(v) - 1, 0.975) * v.std(ddof=1) / math.sqrt(len(v)))
