"""Fitting the factor on the staffing proxy: one root finder and one rule for both models.

``fit_factor`` takes a model's prediction of the calibration log's own period as a function of
the factor, ``evaluate(scale) -> (service level, abandonment)``, and the observed pair:

- ``fit_on="service_level"`` (default): the factor at which the predicted service level equals
  the observed one (``rising_root``: regula falsi, Illinois, on ``[0.4, 1.2]``);
- ``fit_on="both"``: the factor that minimises the sum of the squared errors of service level
  and abandonment (both as fractions). It lies between the factor that matches service level
  and the one that matches abandonment; both are found, and 9 evenly spaced factors between
  them are tried.

The simulation's fit (``ccsim.calibrate.backtesting.fit_scale``) and the Erlang-A baseline's
(``fit_erlang``) use it alike, so neither model gets a better-fitted scale than the other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FIT_ON = ("service_level", "both")
BRACKET = (0.4, 1.2)
TOL = 0.002
GRID = 9

Evaluate = Callable[[float], tuple[float, float]]


def rising_root(
    err: Callable[[float], float], low: float = 0.4, high: float = 1.2, tol: float = TOL
) -> float:
    """Where the rising function ``err`` of the staffing factor crosses 0: regula falsi (Illinois)
    on ``[low, high]`` until ``|err| <= tol`` or the bracket is under 0.005 wide; clamped to
    the bracket, rounded to 3 decimals."""
    a, b = low, high
    fa, fb = err(a), err(b)
    if fa >= 0:
        return a
    if fb <= 0:
        return b
    side = 0
    c = b
    for _ in range(12):
        c = (a * fb - b * fa) / (fb - fa)
        fc = err(c)
        if abs(fc) <= tol or b - a < 0.005:
            break
        if fc < 0:
            a, fa = c, fc
            if side == -1:
                fb /= 2
            side = -1
        else:
            b, fb = c, fc
            if side == 1:
                fa /= 2
            side = 1
    return round(c, 3)


def fit_factor(
    evaluate: Evaluate,
    observed: tuple[float, float],
    fit_on: str = "service_level",
    bracket: tuple[float, float] = BRACKET,
) -> tuple[float, list[tuple[float, float, float]]]:
    """The factor (see the module notes) and the steps tried as (factor, SL, abandonment)."""
    if fit_on not in FIT_ON:
        raise ValueError(f"fit_on must be one of {', '.join(FIT_ON)} (got {fit_on!r})")
    seen: dict[float, tuple[float, float]] = {}

    def at(scale: float) -> tuple[float, float]:
        if scale not in seen:
            seen[scale] = evaluate(scale)
        return seen[scale]

    sl_obs, ab_obs = observed
    by_sl = rising_root(lambda s: at(s)[0] - sl_obs, *bracket)
    if fit_on == "both":
        by_ab = rising_root(lambda s: ab_obs - at(s)[1], *bracket)
        lo, hi = sorted((by_sl, by_ab))
        trials = sorted({by_sl, by_ab, *np.round(np.linspace(lo, hi, GRID), 4).tolist()})
        loss = [(at(s)[0] - sl_obs) ** 2 + (at(s)[1] - ab_obs) ** 2 for s in trials]
        best = trials[int(np.argmin(loss))]
    else:
        best = by_sl
    return best, [(s, v[0], v[1]) for s, v in seen.items()]
