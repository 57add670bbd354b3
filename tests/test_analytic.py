"""ccsim.analytic against independent brute force.

The reference is built from scratch here: the generator matrix of the truncated birth-death
chain (solved for its stationary law), the absorbing chain of one tagged arrival (its
transient law from a matrix exponential, its expected times from linear solves), exact
rational arithmetic, and the Poisson law of M/M/inf. None of it uses the product forms or
the series of the module under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ccsim import analytic as an

REL = 1e-9


# --------------------------------------------------------------------------- brute force


def stationary(rate: float, mu: float, n: int, theta: float, cap: int) -> np.ndarray:
    """Stationary law of the birth-death chain on 0..cap (M/M/n+M; theta=0: M/M/n; cap=n: loss)."""
    k = np.arange(cap + 1)
    q = np.zeros((cap + 1, cap + 1))
    q[k[:-1], k[:-1] + 1] = rate
    q[k[1:], k[1:] - 1] = np.minimum(k[1:], n) * mu + np.maximum(k[1:] - n, 0) * theta
    q[k, k] = -q.sum(axis=1)
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(cap + 1)
    rhs[-1] = 1.0
    pi = np.linalg.solve(lhs, rhs)
    assert cap == n or pi[-1] < 1e-12, "truncation too short"  # 1e-14: the solver's noise
    return pi


class Tagged:
    """One arrival's absorbing chain: phases 0..m (contacts ahead), then served or abandoned."""

    def __init__(self, rate: float, handle: float, n: int, patience: float | None, cap: int):
        mu, theta = 1.0 / handle, (0.0 if patience is None else 1.0 / patience)
        self.pi = stationary(rate, mu, n, theta, cap)
        m = cap - n  # phases 0..m-1 (an arrival finding cap is lost; mass < 1e-15)
        self.start = np.concatenate((self.pi[n:cap], [self.pi[:n].sum(), 0.0]))
        g = np.zeros((m + 2, m + 2))  # index m: served, m + 1: abandoned
        i = np.arange(m)
        g[i[1:], i[1:] - 1] = n * mu + i[1:] * theta
        g[0, m] = n * mu
        g[i, m + 1] = theta
        g[i, i] = -g[i].sum(axis=1)
        self.g, self.m = g, m
        self.rate, self.theta, self.n = rate, theta, n

    def absorbed(self, t: float) -> tuple[float, float]:
        """(P(served by t), P(abandoned by t)) by the matrix exponential."""
        p = scipy.sparse.linalg.expm_multiply(scipy.sparse.csc_matrix(self.g.T) * t, self.start)
        return float(p[self.m]), float(p[self.m + 1])

    def moments(self) -> tuple[float, float, float]:
        """(P(abandon), E[wait], E[wait; served]) from the fundamental matrix."""
        gt = -self.g[: self.m, : self.m]
        occupation = np.linalg.solve(gt.T, self.start[: self.m])  # expected time per phase
        served_from = np.linalg.solve(gt, self.g[: self.m, self.m])  # P(served | phase)
        p_ab = float(occupation @ self.g[: self.m, self.m + 1])
        return p_ab, float(occupation.sum()), float(occupation @ served_from)


def assert_close(got: float, want: float, rel: float = REL, abs_: float = 1e-14) -> None:
    assert got == pytest.approx(want, rel=rel, abs=abs_)


# --------------------------------------------------------------------------- Erlang B and C


@pytest.mark.parametrize(("n", "a"), [(1, 0.5), (5, 3.0), (30, 25.0), (100, 97.5), (200, 240.0)])
def test_erlang_b_matches_loss_chain(n: int, a: float) -> None:
    pi = stationary(a, 1.0, n, 0.0, n)
    assert_close(an.erlang_b(n, a), pi[-1])


def test_erlang_b_exact_small_cases_and_edges() -> None:
    a = Fraction(7, 2)
    for n in range(8):
        terms = [a**k / math.factorial(k) for k in range(n + 1)]
        assert_close(an.erlang_b(n, 3.5), float(terms[-1] / sum(terms)), rel=1e-13)
    assert an.erlang_b(0, 2.0) == 1.0
    assert an.erlang_b(3, 0.0) == 0.0


def test_erlang_b_large_n_against_poisson_ratio() -> None:
    # B(n, a) = P(N = n) / P(N <= n) for N ~ Poisson(a)
    for n, a in [(5000, 4900.0), (3000, 3200.0), (2000, 1500.0)]:
        want = math.exp(stats.poisson.logpmf(n, a) - stats.poisson.logcdf(n, a))
        assert_close(an.erlang_b(n, a), want, rel=1e-8)
    # deep in the tail B underflows; its logarithm is still right
    log_want = stats.poisson.logpmf(1000, 100.0) - stats.poisson.logcdf(1000, 100.0)
    assert an._log_erlang_b(1000, 100.0) == pytest.approx(log_want, rel=1e-10)
    assert an.erlang_b(1000, 100.0) == 0.0


def test_lines_for_blocking_is_smallest() -> None:
    for a, target in [(10.0, 0.01), (97.5, 0.001), (0.3, 0.5), (500.0, 0.02)]:
        n = an.lines_for_blocking(a, target)
        assert an.erlang_b(n, a) <= target < an.erlang_b(n - 1, a)
    assert an.lines_for_blocking(5.0, 1.0) == 0


@pytest.mark.parametrize(("rate", "handle", "n"), [(0.1, 5.0, 1), (1 / 60, 180, 4), (0.3, 300, 100)])
def test_erlang_c_matches_chain(rate: float, handle: float, n: int) -> None:
    a = rate * handle
    cap = n + int(math.log(1e-17) / math.log(a / n)) + 10
    pi = stationary(rate, 1.0 / handle, n, 0.0, cap)
    assert_close(an.erlang_c(n, a), pi[n:].sum())
    m = an.erlang_c_metrics(rate, handle, n, within=20.0)
    queue = float(np.maximum(np.arange(cap + 1) - n, 0) @ pi)
    assert_close(m.mean_queue, queue, rel=1e-8)
    assert_close(m.asa, queue / rate, rel=1e-8)  # Little's law
    assert m.mean_wait == m.asa and m.p_abandon == 0.0
    assert_close(m.occupancy, a / n)


def test_erlang_c_waiting_time_law_matches_tagged_chain() -> None:
    rate, handle, n = 0.3, 300.0, 100  # a = 90
    tagged = Tagged(rate, handle, n, None, n + 400)
    m = an.erlang_c_metrics(rate, handle, n, within=20.0)
    for t in (0.0, 5.0, 20.0, 120.0):
        assert_close(m.p_answered_within(t), tagged.absorbed(t)[0], rel=1e-8)
    assert_close(m.service_level, tagged.absorbed(20.0)[0], rel=1e-8)


def test_erlang_c_textbook_by_exact_fractions() -> None:
    # 200 calls an hour, 3-minute handle: a = 10 Erlangs, 13 agents, 20 s threshold
    n, a = 13, Fraction(10)
    top = a**n / math.factorial(n) * n / (n - a)
    c = top / (sum(a**k / math.factorial(k) for k in range(n)) + top)
    m = an.erlang_c_metrics(200 / 3600, 180.0, 13, within=20.0)
    assert_close(m.p_wait, float(c), rel=1e-13)
    assert_close(m.asa, float(c) * 180 / 3, rel=1e-13)
    assert_close(m.service_level, 1 - float(c) * math.exp(-3 * 20 / 180), rel=1e-13)
    assert round(m.service_level, 4) == 0.7956  # printed value in `ccsim erlang`
    # M/M/1 and M/M/2 by hand
    assert_close(an.erlang_c(1, 0.6), 0.6, rel=1e-14)
    assert_close(an.erlang_c(2, 1.5), 1.5**2 / 3.5, rel=1e-14)


def test_erlang_c_unstable_is_reported_not_raised() -> None:
    m = an.erlang_c_metrics(1.0, 100.0, 100, within=20.0)
    assert (m.p_wait, m.service_level, m.occupancy, m.stable) == (1.0, 0.0, 1.0, False)
    assert math.isinf(m.asa) and math.isinf(m.mean_wait)
    assert an.erlang_c(3, 7.0) == 1.0


# --------------------------------------------------------------------------- Erlang A

CASES_A = [
    # rate /s, handle s, agents, patience s, cap of the brute-force chain
    (19.5 / 60, 300.0, 100, 180.0, 420),
    (1 / 30, 240.0, 6, 60.0, 80),
    (0.5, 60.0, 20, 600.0, 500),  # overloaded: a = 30 > 20
    (0.02, 100.0, 1, 20.0, 60),
]


@pytest.mark.parametrize(("rate", "handle", "n", "patience", "cap"), CASES_A)
def test_erlang_a_matches_chain(rate: float, handle: float, n: int, patience: float, cap: int) -> None:
    tagged = Tagged(rate, handle, n, patience, cap)
    pi = tagged.pi
    m = an.erlang_a(rate, handle, n, patience, within=20.0)
    queue = float(np.maximum(np.arange(cap + 1) - n, 0) @ pi)
    busy = float(np.minimum(np.arange(cap + 1), n) @ pi)
    assert_close(m.p_wait, pi[n:].sum())
    assert_close(m.p_abandon, queue / patience / rate)  # theta E[Q] / lambda
    assert_close(m.mean_queue, queue)
    assert_close(m.mean_wait, queue / rate)  # Little's law
    assert_close(m.occupancy, busy / n)
    p_ab, mean_wait, wait_served = tagged.moments()
    assert_close(m.p_abandon, p_ab)
    assert_close(m.mean_wait, mean_wait)
    assert_close(m.asa, wait_served / (1 - p_ab))
    assert_close(m.mean_wait_abandoned, (mean_wait - wait_served) / p_ab)


@pytest.mark.parametrize(("rate", "handle", "n", "patience", "cap"), CASES_A)
def test_erlang_a_waiting_time_law_matches_tagged_chain(
    rate: float, handle: float, n: int, patience: float, cap: int
) -> None:
    tagged = Tagged(rate, handle, n, patience, cap)
    m = an.erlang_a(rate, handle, n, patience, within=20.0)
    for t in (0.0, 2.0, 20.0, 90.0, 600.0):
        served, abandoned = tagged.absorbed(t)
        assert_close(m.p_answered_within(t), served, rel=1e-8, abs_=1e-12)
        assert_close(m.p_abandoned_within(t), abandoned, rel=1e-8, abs_=1e-12)


def test_erlang_a_definitions() -> None:
    rate, handle, n, patience, t, short = 19.5 / 60, 300.0, 98, 180.0, 20.0, 5.0
    tagged = Tagged(rate, handle, n, patience, 420)
    served, abandoned = tagged.absorbed(t)
    ab_short = tagged.absorbed(short)[1]
    p_ab = tagged.moments()[0]
    want = {
        "offered": served,
        "answered": served / (1 - p_ab),
        "offered_excl_short": served / (1 - ab_short),
        "answered_or_abandoned": served + abandoned,
    }
    for definition, value in want.items():
        m = an.erlang_a(rate, handle, n, patience, t, definition=definition, short_abandon=short)
        assert m.definition == definition
        assert_close(m.service_level, value, rel=1e-8)
        assert_close(m.answered_within, served, rel=1e-8)
        other = an.erlang_a(rate, handle, n, patience, t)
        assert_close(other.service_level_for(definition, short_abandon=short), value, rel=1e-8)
    with pytest.raises(ValueError, match="definition"):
        an.erlang_a(rate, handle, n, patience, t, definition="within")


def test_erlang_a_patience_equal_to_handle_is_poisson() -> None:
    # theta = mu: every contact present leaves at rate mu, so N ~ Poisson(a) (M/M/inf)
    rate, handle, n = 0.2, 50.0, 8
    a = rate * handle
    m = an.erlang_a(rate, handle, n, handle)
    k = np.arange(200)
    pmf = stats.poisson.pmf(k, a)
    assert_close(m.p_wait, stats.poisson.sf(n - 1, a), rel=1e-12)
    assert_close(m.p_abandon, float(np.maximum(k - n, 0) @ pmf) / a, rel=1e-12)


def test_erlang_a_is_exact_at_scale() -> None:
    # 870 Erlangs on 900 agents, patience = handle: N ~ Poisson(a) as above, far from the small
    # sizes where a truncated sum would still be exact (the speed is measured in
    # experiments/benchmarks/erlang_formula.py, not here)
    rate, handle, n = 2.9, 300.0, 900
    a = rate * handle
    m = an.erlang_a(rate, handle, n, handle, within=20.0)
    k = np.arange(3000)
    pmf = stats.poisson.pmf(k, a)
    assert_close(m.p_wait, stats.poisson.sf(n - 1, a), rel=1e-10)
    assert_close(m.p_abandon, float(np.maximum(k - n, 0) @ pmf) / a, rel=1e-10)
    assert 0.1 < m.p_wait < 0.2 and 0 < m.service_level < 1


# --------------------------------------------------------------------------- priorities


def priority_chain(rates: tuple[float, float], mu: float, n: int, cap: int) -> tuple[float, float]:
    """Mean waits of two non-preemptive classes from the (q1, q2) chain and Little's law."""
    below = n  # states 0..n-1: k busy, nobody waiting; then (q1, q2) with all n busy
    size = below + (cap + 1) ** 2

    def idx(q1: int, q2: int) -> int:
        return below + q1 * (cap + 1) + q2

    rows, cols, vals = [], [], []

    def add(i: int, j: int, r: float) -> None:
        rows.append(i)
        cols.append(j)
        vals.append(r)

    lam = rates[0] + rates[1]
    for k in range(n):
        add(k, k + 1 if k + 1 < n else idx(0, 0), lam)
        if k:
            add(k, k - 1, k * mu)
    for q1 in range(cap + 1):
        for q2 in range(cap + 1):
            s = idx(q1, q2)
            if q1 < cap:
                add(s, idx(q1 + 1, q2), rates[0])
            if q2 < cap:
                add(s, idx(q1, q2 + 1), rates[1])
            done = idx(q1 - 1, q2) if q1 else idx(0, q2 - 1) if q2 else n - 1
            add(s, done, n * mu)
    q = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(size, size)).tolil()
    q.setdiag(-np.asarray(q.sum(axis=1)).ravel())
    lhs = q.T.tolil()
    lhs[size - 1, :] = np.ones(size)
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = scipy.sparse.linalg.spsolve(lhs.tocsc(), rhs)
    grid = pi[below:].reshape(cap + 1, cap + 1)
    assert grid[-1, :].sum() + grid[:, -1].sum() < 1e-13
    q1_mean = float(np.arange(cap + 1) @ grid.sum(axis=1))
    q2_mean = float(np.arange(cap + 1) @ grid.sum(axis=0))
    return q1_mean / rates[0], q2_mean / rates[1]


def test_cobham_matches_two_class_chain() -> None:
    rates, handle, n = (0.01, 0.02), 60.0, 3  # load 1.8 on 3 agents
    got = an.priority_waits(rates, handle, n)
    want = priority_chain(rates, 1 / handle, n, 90)
    assert_close(got[0], want[0], rel=1e-8)
    assert_close(got[1], want[1], rel=1e-8)


def test_cobham_conservation_and_single_class() -> None:
    rates, handle, n = (0.05, 0.1, 0.15), 180.0, 60
    waits = an.priority_waits(rates, handle, n)
    fcfs = an.erlang_c_metrics(sum(rates), handle, n).asa
    assert_close(float(np.dot(rates, waits)) / sum(rates), fcfs, rel=1e-12)
    assert waits[0] < fcfs < waits[2]
    assert_close(an.priority_waits([0.3], handle, n)[0], an.erlang_c_metrics(0.3, handle, n).asa)
    # an overloaded low class waits forever; the classes above it do not
    high, low = an.priority_waits([0.1, 0.4], handle, n)
    assert math.isfinite(high) and math.isinf(low)


# --------------------------------------------------------------------------- staffing


@pytest.mark.parametrize(
    ("patience", "definition", "cap"),
    [(None, "offered", None), (180.0, "offered", None), (180.0, "answered", None),
     (60.0, "offered_excl_short", 0.02), (180.0, "answered_or_abandoned", None)],
)  # fmt: skip
def test_agents_for_service_level_is_smallest(
    patience: float | None, definition: str, cap: float | None
) -> None:
    rate, handle, within, target = 19.5 / 60, 300.0, 20.0, 0.8

    def meets(k: int) -> bool:
        m = an.queue_metrics(rate, handle, k, within, patience, definition)
        return m.service_level >= target and (cap is None or m.p_abandon <= cap)

    n = an.agents_for_service_level(rate, handle, within, target, patience, definition, cap)
    assert meets(n) and not meets(n - 1)


def test_staffing_known_values_and_scale() -> None:
    # the textbook case above: 13 agents give 79.6 %, so 80 % needs 14
    assert an.agents_for_service_level(200 / 3600, 180.0, 20.0, 0.8) == 14
    n = an.agents_for_service_level(10.0, 300.0, 20.0, 0.9)  # 3000 Erlangs
    assert an.erlang_c_metrics(10.0, 300.0, n).service_level >= 0.9
    assert an.erlang_c_metrics(10.0, 300.0, n - 1).service_level < 0.9
    k = an.agents_for_asa(0.325, 300.0, 15.0)
    assert an.erlang_c_metrics(0.325, 300.0, k).asa <= 15.0 < an.erlang_c_metrics(0.325, 300.0, k - 1).asa
    k = an.agents_for_asa(0.325, 300.0, 5.0, patience=180.0, abandon_cap=0.01)
    m, prev = an.erlang_a(0.325, 300.0, k, 180.0), an.erlang_a(0.325, 300.0, k - 1, 180.0)
    assert m.asa <= 5.0 and m.p_abandon <= 0.01
    assert prev.asa > 5.0 or prev.p_abandon > 0.01
    assert an.sqrt_staffing(100.0, 0.0) == 100
    assert an.sqrt_staffing(100.0, 1.5) == 115
    assert an.sqrt_staffing(97.5, 1.0) == 108
    with pytest.raises(ValueError, match="target"):
        an.agents_for_service_level(0.3, 300.0, 20.0, 1.0)


def test_arguments_are_named_in_errors() -> None:
    with pytest.raises(ValueError, match="rate"):
        an.erlang_a(-1.0, 300.0, 10, 60.0)
    with pytest.raises(ValueError, match="agents"):
        an.erlang_c_metrics(0.1, 300.0, 0)
    with pytest.raises(ValueError, match="patience"):
        an.erlang_a(0.1, 300.0, 10, 0.0)
    with pytest.raises(ValueError, match="n"):
        an.erlang_b(2.5, 1.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

rates = st.floats(0.005, 0.5)
handles = st.floats(10.0, 600.0)
patiences = st.floats(5.0, 1200.0)
thresholds = st.floats(0.0, 300.0)


@settings(max_examples=60, deadline=None)
@given(rates, handles, patiences, thresholds, st.sampled_from(an.DEFINITIONS), st.integers(1, 40))
def test_more_agents_never_hurt(
    rate: float, handle: float, patience: float, t: float, definition: str, n: int
) -> None:
    one = an.erlang_a(rate, handle, n, patience, t, definition)
    two = an.erlang_a(rate, handle, n + 1, patience, t, definition)
    assert two.service_level >= one.service_level - 1e-9
    assert two.p_abandon <= one.p_abandon + 1e-12
    assert two.asa <= one.asa * (1 + 1e-9)
    assert 0 <= one.service_level <= 1 and 0 <= one.p_abandon <= one.p_wait <= 1
    c1, c2 = an.erlang_c_metrics(rate, handle, n, t), an.erlang_c_metrics(rate, handle, n + 1, t)
    assert c2.service_level >= c1.service_level - 1e-12


@settings(max_examples=40, deadline=None)
@given(rates, handles, thresholds, st.floats(0.05, 0.95))
def test_endless_patience_tends_to_erlang_c(rate: float, handle: float, t: float, rho: float) -> None:
    a = rate * handle
    n = max(1, math.ceil(a / rho))
    c = an.erlang_c_metrics(rate, handle, n, t)
    m = an.erlang_a(rate, handle, n, 1e7 * handle, t)
    assert m.p_wait == pytest.approx(c.p_wait, rel=1e-4, abs=1e-12)
    assert m.service_level == pytest.approx(c.service_level, rel=1e-4, abs=1e-12)
    assert m.asa == pytest.approx(c.asa, rel=1e-4, abs=1e-9)
    assert m.p_abandon < 1e-4
