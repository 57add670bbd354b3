"""The censored fits done by scipy give the numbers of the hand-written estimators they replaced.

``ccsim.calibrate.fitting`` takes the Kaplan-Meier curve from ``scipy.stats.ecdf``, the
maximum-likelihood curves from ``rv_continuous.fit`` (``scipy.stats.CensoredData`` for patience)
and the observed information from ``scipy.differentiate.hessian``. The references below are the
estimators ccsim carried before, written out by hand; on a censored sample with ties they must
agree to the optimiser's and the finite differences' precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from ccsim.calibrate.fitting import FAMILIES, fit_handle, fit_patience, kaplan_meier


def reference_kaplan_meier(t: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier by hand: at each distinct event time the share surviving it, those censored
    at that time still at risk; Greenwood's variance."""
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq = np.unique(t[e])
    at_risk = len(t) - np.searchsorted(t, uniq, side="left")
    te = t[e]
    events = np.searchsorted(te, uniq, side="right") - np.searchsorted(te, uniq, side="left")
    surv = np.cumprod(1.0 - events / at_risk)
    green = np.cumsum(events / (at_risk * np.maximum(at_risk - events, 1)))
    return pd.DataFrame(
        {"time_s": uniq, "at_risk": at_risk, "events": events, "survival": surv, "se": surv * np.sqrt(green)}
    )


def lognormal_negll(events: np.ndarray, censored: np.ndarray) -> Callable[[np.ndarray], float]:
    def f(theta: np.ndarray) -> float:
        d = stats.lognorm(math.exp(theta[1]), scale=math.exp(theta[0]))
        return -float(np.sum(d.logpdf(events)) + np.sum(d.logsf(censored)))

    return f


def reference_lognormal(events: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """(mu, log sigma) by Nelder-Mead then BFGS on the censored log-likelihood."""
    f = lognormal_negll(events, censored)
    lx = np.log(events)
    x0 = np.array([lx.mean(), math.log(lx.std())])
    opts = {"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000}
    res = optimize.minimize(f, x0, method="Nelder-Mead", options=opts)
    return np.asarray(optimize.minimize(f, res.x, method="BFGS").x)


def reference_hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central differences with a step of 1e-4 relative."""
    k = len(x)
    h = 1e-4 * np.maximum(1.0, np.abs(x))
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            out[i, j] = out[j, i] = v
    return out


def delta_se(g: Callable[[np.ndarray], float], theta: np.ndarray, cov: np.ndarray) -> float:
    h = 1e-6 * np.maximum(1.0, np.abs(theta))
    grad = np.array([(g(theta + e) - g(theta - e)) / (2 * e[i]) for i, e in enumerate(np.diag(h))])
    return math.sqrt(float(grad @ cov @ grad))


@pytest.fixture(scope="module")
def censored() -> tuple[np.ndarray, np.ndarray]:
    """Waits in whole seconds (ties, some censored at an event's time): lognormal patience
    (median 150 s, sigma 0.8) against exponential waits for an answer (mean 120 s)."""
    rng = np.random.default_rng(3)
    patience = rng.lognormal(5.0, 0.8, 3000)
    answer = rng.exponential(120.0, 3000)
    abandoned = patience < answer
    return np.round(np.where(abandoned, patience, answer)), abandoned


def test_kaplan_meier_from_scipy_is_the_hand_written_one(censored: tuple[np.ndarray, np.ndarray]) -> None:
    waits, abandoned = censored
    got = kaplan_meier(waits, abandoned)
    want = reference_kaplan_meier(waits, abandoned)
    assert len(got) > 100 and (want["at_risk"] > want["events"]).any()
    tied = set(waits[abandoned]) & set(waits[~abandoned])
    assert len(tied) > 50  # censored at an event's time: they count as at risk there
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    # everyone left at risk abandons: survival 0, Greenwood's term held finite as before
    ends = kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([True, False, True]))
    pd.testing.assert_frame_equal(
        ends, reference_kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([True, False, True]))
    )
    assert ends["survival"].tolist() == [pytest.approx(2 / 3), 0.0] and ends["se"].iloc[-1] == 0.0


def test_censored_lognormal_fit_from_scipy_is_the_hand_written_one(
    censored: tuple[np.ndarray, np.ndarray],
) -> None:
    waits, abandoned = censored
    fit = fit_patience(waits, abandoned)
    assert fit.family == "lognormal" and fit.events == int(abandoned.sum())
    events = np.maximum(waits[abandoned], 0.5)
    right = waits[~abandoned]
    right = right[right > 0]
    theta = reference_lognormal(events, right)
    _, mean_f, cv_f = FAMILIES["lognormal"]
    assert fit.mean == pytest.approx(float(mean_f(theta)), rel=1e-6)
    assert fit.cv == pytest.approx(float(cv_f(theta)), rel=1e-6)
    assert fit.aic["lognormal"] == pytest.approx(4 + 2 * lognormal_negll(events, right)(theta), rel=1e-10)
    cov = np.linalg.inv(reference_hessian(lognormal_negll(events, right), theta))
    assert fit.mean_se == pytest.approx(delta_se(lambda t: float(mean_f(t)), theta, cov), rel=1e-4)
    assert fit.cv_se == pytest.approx(delta_se(lambda t: float(cv_f(t)), theta, cov), rel=1e-4)
    # and the truth lies within the errors: mean exp(5 + 0.32), cv sqrt(exp(0.64) - 1)
    assert fit.mean == pytest.approx(math.exp(5.32), abs=4 * fit.mean_se)
    assert fit.cv == pytest.approx(math.sqrt(math.expm1(0.64)), abs=4 * fit.cv_se)


@pytest.mark.parametrize(("family", "draw"), [("gamma", (2.0, 100.0)), ("lognormal", (5.0, 0.5))])
def test_uncensored_fits_are_scipys_closed_forms(family: str, draw: tuple[float, float]) -> None:
    rng = np.random.default_rng(8)
    x = rng.gamma(*draw, 4000) if family == "gamma" else rng.lognormal(*draw, 4000)
    fit = fit_handle(x)
    assert fit.family == family
    if family == "gamma":
        shape, _, scale = stats.gamma.fit(x, floc=0)
        assert fit.mean == pytest.approx(shape * scale, rel=1e-12)
        assert fit.cv == pytest.approx(1 / math.sqrt(shape), rel=1e-12)
    else:
        lx = np.log(x)
        assert fit.mean == pytest.approx(math.exp(lx.mean() + lx.var() / 2), rel=1e-12)
        assert fit.cv == pytest.approx(math.sqrt(math.expm1(lx.var())), rel=1e-12)
