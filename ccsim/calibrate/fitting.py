"""Fits of durations: handle times (lognormal, gamma or empirical) and patience with censoring.

Handle times are fitted by maximum likelihood as lognormal and as gamma; the one with the smaller
AIC wins, unless the data reject it clearly, in which case the observed values are resampled
(``empirical``). *Clearly* means the Kolmogorov-Smirnov distance between the data and the fitted
curve is both above the test's 1% critical value (``1.63 / sqrt(n)``) and above ``ks_max``
(default 0.05, a difference a planner would see in a histogram).

Patience is never observed for served contacts: a contact answered after waiting ``w`` would have
waited *at least* ``w``, so it is a right-censored observation of patience; an abandoned contact
shows its patience exactly. The Kaplan-Meier estimate uses both without assuming a shape;
exponential and lognormal curves are fitted by maximum likelihood with the censored ones
entering through their survival function, and the smaller AIC wins. The library does the
estimating: ``scipy.stats.ecdf`` of ``scipy.stats.CensoredData`` gives the Kaplan-Meier curve,
``rv_continuous.fit`` the maximum-likelihood curves (censored data included); the exponential's
maximum-likelihood mean is closed-form (total time at risk / abandonments).

Standard errors of means and coefficients of variation come from the observed information
(the Hessian of the log-likelihood, ``scipy.differentiate.hessian``) by the delta method
(``scipy.differentiate.jacobian``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, Required, TypedDict

import numpy as np
import pandas as pd

KS_MAX = 0.05
EMPIRICAL_POINTS = 100
MIN_PARAMETRIC = 10  # fewer observations: an exponential with the sample mean
AIC_MARGIN = 2.0  # patience: lognormal only if its AIC beats the exponential's by more than this
ZERO_EVENT_S = 0.5  # an abandonment logged at 0 s (whole seconds) is taken as half a second


class Frozen(Protocol):
    """What calibration reads of a frozen scipy distribution (``scipy.stats.lognorm(...)``)."""

    def logpdf(self, x: np.ndarray) -> np.ndarray: ...

    def logsf(self, x: np.ndarray) -> np.ndarray: ...

    def cdf(self, x: np.ndarray) -> np.ndarray: ...

    def mean(self) -> float: ...

    def std(self) -> float: ...


class DistSpec(TypedDict, total=False):
    """A fitted distribution as written in a scenario (``ccsim.config`` reads it back)."""

    dist: Required[str]
    mean: str  # seconds with a unit
    cv: float
    unit: str  # empirical: the unit of ``values``
    values: list[float]
    at: list[str]  # survival: the times (seconds with a unit) ...
    survival: list[float]  # ... and the share still waiting at each


# a function of theta: one value, or one per theta of an array of them (theta along axis 0)
OfTheta = Callable[[np.ndarray], float | np.ndarray]


@dataclass
class Fit:
    """A fitted duration: family, mean and cv (with standard errors) and how it was chosen."""

    family: str  # lognormal, gamma, exponential, empirical, none
    mean: float
    cv: float
    n: int
    mean_se: float = math.nan
    cv_se: float = math.nan
    events: int = 0  # patience: abandonments (the rest of n are censored)
    aic: dict[str, float] = field(default_factory=dict)
    ks: float = math.nan  # distance of the chosen parametric curve (handle times)
    values: list[float] = field(default_factory=list)  # empirical: equal-count bin means
    km: pd.DataFrame | None = None  # patience: Kaplan-Meier table
    dropped: int = 0  # values left out (zero handle times)
    longest: float = math.nan  # patience: the longest wait observed (beyond it, the curve is extrapolated)

    def spec(self) -> DistSpec | None:
        """The distribution as written in a scenario (durations in seconds with a unit)."""
        if self.family == "none":
            return None
        if self.family == "exponential":
            return {"dist": "exponential", "mean": seconds(self.mean)}
        if self.family == "empirical":
            return {"dist": "empirical", "unit": "s", "values": [round(v, 1) for v in self.values]}
        return {"dist": self.family, "mean": seconds(self.mean), "cv": round(self.cv, 3)}

    def describe(self) -> str:
        """One line on where the numbers came from, for the scenario's comments."""
        if self.family == "none":
            return f"no abandonment among {self.n:,} contacts: patience left out (never abandons)"
        parts = []
        if self.km is not None:
            parts.append(
                f"censored MLE from {self.events:,} abandoned and {self.n - self.events:,} "
                "served (censored) contacts"
            )
        else:
            parts.append(f"MLE from {self.n:,} contacts")
        parts.append(f"mean {self.mean:.1f}s ± {1.96 * self.mean_se:.1f}, cv {self.cv:.2f}")
        if self.aic:
            parts.append("AIC " + ", ".join(f"{k} {v:,.1f}" for k, v in sorted(self.aic.items(), key=_v)))
        if math.isfinite(self.ks):
            parts.append(f"KS distance {self.ks:.3f}")
        if self.family == "empirical":
            parts.append(f"empirical: {len(self.values)} equal-count bin means resampled")
        if self.dropped:
            parts.append(f"{self.dropped:,} zero values left out")
        if self.km is not None and len(self.km):
            med = km_quantile(self.km, 0.5)
            parts.append("Kaplan-Meier median " + (f"{med:.0f}s" if math.isfinite(med) else "not reached"))
        if math.isfinite(self.longest):
            parts.append(f"waits observed up to {self.longest:.0f}s, the curve beyond is extrapolated")
        return "; ".join(parts)


def _v(item: tuple[str, float]) -> float:
    return item[1]


def seconds(value: float) -> str:
    return f"{value:.1f}s"


# --------------------------------------------------------------------------- information
# the Hessian's first step and order: the values agree with a converged Richardson
# extrapolation to about 1e-8 relative, at some 50 log-likelihood evaluations per entry
HESSIAN = {"initial_step": 1e-2, "order": 4, "maxiter": 2}


def _columns(f: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], np.ndarray]:
    """``f`` of one theta applied to each theta of an array (theta along axis 0), as scipy's
    differentiation wants it."""

    def g(x: np.ndarray) -> np.ndarray:
        return np.apply_along_axis(f, 0, x)

    return g


def _delta_se(g: OfTheta, theta: np.ndarray, cov: np.ndarray) -> float:
    from scipy import differentiate  # scipy's heavy modules load when a fit is made

    grad = differentiate.jacobian(g, theta).df
    var = float(grad @ cov @ grad)
    return math.sqrt(var) if var > 0 else math.nan


def _errors(
    negll: Callable[[np.ndarray], float], theta: np.ndarray, mean: OfTheta, cv: OfTheta
) -> tuple[float, float]:
    from scipy import differentiate

    info = differentiate.hessian(_columns(negll), theta, **HESSIAN).ddf
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    return _delta_se(mean, theta, cov), _delta_se(cv, theta, cov)


# --------------------------------------------------------------------------- families
# theta: lognormal (mu, log sigma); gamma (log shape, log scale); exponential (log mean).
# The mean and cv functions take theta along axis 0, so they also take an array of thetas.


def _ln_mean(t: np.ndarray) -> float | np.ndarray:
    return np.exp(t[0] + np.exp(2 * t[1]) / 2)


def _ln_cv(t: np.ndarray) -> float | np.ndarray:
    return np.sqrt(np.expm1(np.exp(2 * t[1])))


def _ga_mean(t: np.ndarray) -> float | np.ndarray:
    return np.exp(t[0] + t[1])


def _ga_cv(t: np.ndarray) -> float | np.ndarray:
    return np.exp(-t[0] / 2)


def _ex_mean(t: np.ndarray) -> float | np.ndarray:
    return np.exp(t[0])


def _one(t: np.ndarray) -> float | np.ndarray:
    return np.ones_like(t[0])


FAMILIES: dict[str, tuple[int, OfTheta, OfTheta]] = {
    "lognormal": (2, _ln_mean, _ln_cv),
    "gamma": (2, _ga_mean, _ga_cv),
    "exponential": (1, _ex_mean, _one),
}


def frozen(family: str, t: np.ndarray) -> Frozen:
    from scipy import stats

    if family == "lognormal":
        return stats.lognorm(np.exp(t[1]), scale=np.exp(t[0]))
    if family == "gamma":
        return stats.gamma(np.exp(t[0]), scale=np.exp(t[1]))
    return stats.expon(scale=np.exp(t[0]))


def _negll(family: str, events: np.ndarray, censored: np.ndarray) -> Callable[[np.ndarray], float]:
    def f(t: np.ndarray) -> float:
        d = frozen(family, t)
        v = -float(np.sum(d.logpdf(events)))
        if len(censored):
            v -= float(np.sum(d.logsf(censored)))
        return v if math.isfinite(v) else 1e300

    return f


def _tight(func: Callable, x0: np.ndarray, args: tuple = (), disp: int = 0) -> np.ndarray:
    """The optimiser ``rv_continuous.fit`` uses for censored data: Nelder-Mead, as its default
    ``optimize.fmin``, but to 1e-10 rather than 1e-4 so that the fitted values do not depend on
    where the search started."""
    from scipy import optimize

    options = {"xatol": 1e-10, "fatol": 1e-10, "maxiter": 10_000}
    return np.asarray(optimize.minimize(func, x0, args=args, method="Nelder-Mead", options=options).x)


def _mle(family: str, events: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum-likelihood theta and the log-likelihood. Without censoring scipy's fits with the
    location at 0 are closed-form (lognormal) or a root of the score (gamma)."""
    from scipy import stats

    negll = _negll(family, events, censored)
    if family == "exponential":
        total = events.sum() + censored.sum()
        theta = np.array([math.log(total / len(events))])
        return theta, -negll(theta)
    data = stats.CensoredData(uncensored=events, right=censored) if len(censored) else events
    if family == "lognormal":
        sigma, _, scale = stats.lognorm.fit(data, floc=0, optimizer=_tight)
        theta = np.array([math.log(scale), math.log(sigma)])
    else:
        shape, _, scale = stats.gamma.fit(data, floc=0, optimizer=_tight)
        theta = np.array([math.log(shape), math.log(scale)])
    return theta, -negll(theta)


# --------------------------------------------------------------------------- handle times


def fit_handle(values: np.ndarray, ks_max: float = KS_MAX, points: int = EMPIRICAL_POINTS) -> Fit:
    """Fit handle (or wrap-up) times in seconds; see the module notes for the choice."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    dropped = int(np.sum(x <= 0))
    x = x[x > 0]
    n = len(x)
    if n == 0:
        raise ValueError("no positive durations to fit")
    if n < MIN_PARAMETRIC:
        m = float(x.mean())
        return Fit("exponential", m, 1.0, n, mean_se=m / math.sqrt(n), dropped=dropped)
    fits: dict[str, tuple[np.ndarray, float]] = {f: _mle(f, x, np.empty(0)) for f in ("lognormal", "gamma")}
    aic = {f: 2 * FAMILIES[f][0] - 2 * ll for f, (_, ll) in fits.items()}
    best = min(aic, key=lambda f: aic[f])
    theta = fits[best][0]
    ks = float(stats.kstest(x, frozen(best, theta).cdf).statistic)
    if ks > max(ks_max, 1.63 / math.sqrt(n)) and n >= 2 * points:
        order = np.sort(x)
        bins = np.array_split(order, points)
        m, sd = float(x.mean()), float(x.std(ddof=1))
        return Fit(
            "empirical",
            m,
            sd / m,
            n,
            mean_se=sd / math.sqrt(n),
            aic=aic,
            ks=ks,
            values=[float(b.mean()) for b in bins],
            dropped=dropped,
        )
    _, mean_f, cv_f = FAMILIES[best]
    mean_se, cv_se = _errors(_negll(best, x, np.empty(0)), theta, mean_f, cv_f)
    return Fit(
        best, float(mean_f(theta)), float(cv_f(theta)), n, mean_se, cv_se, aic=aic, ks=ks, dropped=dropped
    )


# --------------------------------------------------------------------------- patience


def kaplan_meier(times: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """The Kaplan-Meier survival curve (``scipy.stats.ecdf`` of the right-censored sample): one
    row per distinct event time.

    Columns ``time_s``, ``at_risk``, ``events`` and ``survival`` (the share still willing to
    wait just after ``time_s``) with Greenwood's standard error ``se``. A contact censored at
    the same time as an event counts as still at risk at that time.
    """
    from scipy import stats

    t = np.asarray(times, dtype=float)
    e = np.asarray(event, dtype=bool)
    uniq = np.unique(t[e])
    if not len(uniq):
        return pd.DataFrame(columns=["time_s", "at_risk", "events", "survival", "se"])
    surv = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e])).sf.evaluate(uniq)
    at_risk = len(t) - np.searchsorted(np.sort(t), uniq, side="left")
    te = np.sort(t[e])
    events = np.searchsorted(te, uniq, side="right") - np.searchsorted(te, uniq, side="left")
    # Greenwood's sum; where everyone left at risk abandons (survival 0) the term is held finite
    green = np.cumsum(events / (at_risk * np.maximum(at_risk - events, 1)))
    return pd.DataFrame(
        {"time_s": uniq, "at_risk": at_risk, "events": events, "survival": surv, "se": surv * np.sqrt(green)}
    )


def km_quantile(km: pd.DataFrame, q: float) -> float:
    """The time by which a share ``q`` would have abandoned (nan if the curve stays above)."""
    hit = km[km["survival"] <= 1 - q]
    return float(hit["time_s"].iloc[0]) if len(hit) else math.nan


def km_at(km: pd.DataFrame, t: float) -> float:
    """Kaplan-Meier survival at time ``t``."""
    before = km[km["time_s"] <= t]
    return float(before["survival"].iloc[-1]) if len(before) else 1.0


def fit_patience(waits: np.ndarray, abandoned: np.ndarray) -> Fit:
    """Patience from waits: ``abandoned`` marks exact observations, the rest are censored."""
    w = np.asarray(waits, dtype=float)
    a = np.asarray(abandoned, dtype=bool)
    ok = np.isfinite(w)
    w, a = w[ok], a[ok]
    n, k = len(w), int(a.sum())
    km = kaplan_meier(w, a)
    if k == 0:
        return Fit("none", math.inf, math.nan, n, km=km)
    events = np.maximum(w[a], ZERO_EVENT_S)
    censored = w[~a]
    censored = censored[censored > 0]  # a contact answered at once tells nothing about patience
    families = ["exponential"] if k < MIN_PARAMETRIC else ["exponential", "lognormal"]
    fits = {f: _mle(f, events, censored) for f in families}
    aic = {f: 2 * FAMILIES[f][0] - 2 * ll for f, (_, ll) in fits.items()}
    # the simpler exponential unless the lognormal is clearly better (AIC lower by more than 2):
    # with heavy censoring the two often fit the observed waits alike and differ only in the tail
    best = "lognormal" if aic.get("lognormal", math.inf) < aic["exponential"] - AIC_MARGIN else "exponential"
    theta = fits[best][0]
    _, mean_f, cv_f = FAMILIES[best]
    if best == "exponential":
        mean_se, cv_se = float(mean_f(theta)) / math.sqrt(k), math.nan
    else:
        mean_se, cv_se = _errors(_negll(best, events, censored), theta, mean_f, cv_f)
    return Fit(
        best,
        float(mean_f(theta)),
        float(cv_f(theta)),
        n,
        mean_se,
        cv_se,
        events=k,
        aic=aic,
        km=km,
        longest=float(w.max()),
    )
