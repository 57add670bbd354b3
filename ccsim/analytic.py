"""Closed-form queueing results for contact centres: Erlang B, C and A, priority, staffing.

Pure functions on floats (numpy and scipy only). Units throughout: rates per second, times in
seconds; the offered load ``a = rate * handle`` is in Erlangs. Exponential handle times and,
for Erlang A, exponential patience are assumed; arrivals are Poisson.

Sources (derivations summarised in ``docs/explanation/analytic.md``): Erlang (1917); Cooper,
*Introduction to Queueing Theory* (1981) and Gross, Shortle, Thompson & Harris, *Fundamentals of
Queueing Theory* for Erlang B and C; Palm (1943), Garnett, Mandelbaum & Reiman (MSOM 2002) and
Mandelbaum & Zeltyn, "Service engineering in action: the Palm/Erlang-A queue" (2007) for
Erlang A; Cobham (Operations Research 1954) for priorities; Halfin & Whitt (Operations Research
1981) for square-root staffing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

DEFINITIONS = ("offered", "answered", "offered_excl_short", "answered_or_abandoned")
"""Service-level definitions, as in a channel's ``service_level.definition``."""

_MAX_AGENTS = 1_000_000
_MAX_TERMS = 4_000_000


# --------------------------------------------------------------------------- argument checks


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be a finite number {rule} (got {value!r})")
    return v


def _count(name: str, value: int, low: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"{name}: must be an integer >= {low} (got {value!r})")
    return int(value)


def _definition(definition: str) -> str:
    if definition not in DEFINITIONS:
        raise ValueError(f"definition: must be one of {', '.join(DEFINITIONS)} (got {definition!r})")
    return definition


# --------------------------------------------------------------------------- Erlang B and C


def _log_erlang_b(n: int, a: float) -> float:
    """log B(n, a) by Erlang's recursion; switches to logs where B would underflow."""
    if a == 0:
        return 0.0 if n == 0 else -math.inf
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
        if b < 1e-250:
            break
    else:
        return math.log(b)
    # continue with -log B(j) = log(1 + (j / a) / B(j-1)), z > 0 here
    log_b, log_a = math.log(b), math.log(a)
    for j in range(k + 1, n + 1):
        z = math.log(j) - log_a - log_b
        log_b = -(z + math.log1p(math.exp(-z)))
    return log_b


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of the M/M/n/n loss system (Erlang B) with offered load ``a``.

    Uses the numerically stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``
    (Cooper 1981); fine for ``n`` in the tens of thousands.
    """
    n = _count("n", n, 0)
    a = _positive("a", a, allow_zero=True)
    return math.exp(_log_erlang_b(n, a))


def erlang_c(n: int, a: float) -> float:
    """P(wait > 0) in M/M/n (Erlang C): ``C = n B / (n - a (1 - B))``; 1 when ``a >= n``."""
    n = _count("n", n, 1)
    a = _positive("a", a, allow_zero=True)
    if a >= n:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1.0 - b))


def lines_for_blocking(a: float, target: float) -> int:
    """Smallest number of lines ``n`` with Erlang B ``B(n, a) <= target``."""
    a = _positive("a", a, allow_zero=True)
    if not 0 < target <= 1:
        raise ValueError(f"target: must be in (0, 1] (got {target!r})")
    n, b = 0, 1.0
    while b > target:
        n += 1
        b = a * b / (n + a * b)
    return n


# --------------------------------------------------------------------------- Erlang A series


@dataclass(frozen=True)
class _Palm:
    """Law of the number waiting seen by an arrival in M/M/n+M, as a series in ``j``.

    With ``x = n mu / theta`` and ``y = lambda / theta`` the birth-death chain gives
    ``pi(n + j) = pi(n) y^j / prod_{k=1..j} (x + k)``; the series is cut where the remaining
    terms are below ``e^-37`` of the largest one.
    """

    x: float
    y: float
    theta: float
    log_pi_n: float
    p_below: float  # P(fewer than n in system): answered at once
    j: np.ndarray
    log_den: np.ndarray  # log prod_{k=1..j} (x + k)
    w: np.ndarray  # P(arrival finds n + j in system)


def _palm(rate: float, handle: float, agents: int, patience: float) -> _Palm:
    from scipy.special import logsumexp  # scipy.special loads in a quarter second: when first used

    theta = 1.0 / patience
    x, y = agents * patience / handle, rate * patience
    size = max(0.0, y - x) + 11.0 * math.sqrt(y) + 40.0
    if y < x + 1:
        size = min(size, 40.0 / math.log((x + 1) / y) + 40.0)
    size = int(size) + 1
    while True:
        if size > _MAX_TERMS:
            raise ValueError(
                f"patience: queue too long for the Erlang A series (rate x patience = {y:.3g}, "
                f"more than {_MAX_TERMS} terms)"
            )
        j = np.arange(size + 1, dtype=float)
        log_den = np.concatenate(([0.0], np.cumsum(np.log(x + j[1:]))))
        log_g = j * math.log(y) - log_den
        r = y / (x + size + 1)
        if r < 1 and log_g[-1] + math.log(r / (1 - r)) < log_g.max() - 37.0:
            break
        size = int(size * 1.5) + 100
    log_a = float(logsumexp(log_g))  # log A(x, y), A = sum_j y^j / prod (x + k)
    log_b = _log_erlang_b(agents, rate * handle)
    with np.errstate(divide="ignore"):
        log_rest = float(np.log1p(-math.exp(log_b))) - log_b  # log((1 - B) / B)
    log_pi_n = -float(np.logaddexp(log_rest, log_a))
    w = np.exp(log_pi_n + log_g)
    return _Palm(x, y, theta, log_pi_n, math.exp(log_pi_n + log_rest), j, log_den, w)


def _palm_tails(p: _Palm, t: float) -> tuple[float, float]:
    """(P(answered and wait > t), P(abandoned and wait > t)) for an arrival in M/M/n+M.

    A tagged arrival finding ``j`` waiting moves up at rate ``n mu + i theta`` while ``i`` are
    ahead and leaves at rate ``theta``. Solving these forward equations from the initial law
    ``w`` gives, still waiting with ``i`` ahead at time ``t``, the defective law
    ``q_i(t) = pi(n) exp(-(n mu + theta) t + y (1 - e^{-theta t})) u^i / prod_{k<=i} (x + k)``
    with ``u = y e^{-theta t}``. From there it is answered with probability ``x / (x + i + 1)``
    and abandons with probability ``(i + 1) / (x + i + 1)``.
    """
    if t <= 0:
        q = p.w
    elif math.isinf(t):
        return 0.0, 0.0
    else:
        th = p.theta * t
        log_e = -(p.x + 1.0) * th - p.y * math.expm1(-th)
        q = np.exp(p.log_pi_n + log_e + p.j * (math.log(p.y) - th) - p.log_den)
    d = p.x + p.j + 1.0
    return float(np.sum(q * (p.x / d))), float(np.sum(q * ((p.j + 1.0) / d)))


# --------------------------------------------------------------------------- results


def _within(
    rate: float,
    handle: float,
    agents: int,
    patience: float | None,
    t: float,
    palm: _Palm | None = None,
) -> tuple[float, float]:
    """(P(answered and wait <= t), P(abandoned and wait <= t))."""
    a = rate * handle
    if patience is None:
        if a >= agents:
            return 0.0, 0.0
        c = erlang_c(agents, a)
        return 1.0 - c * math.exp(-(agents - a) * t / handle), 0.0
    p = _palm(rate, handle, agents, patience) if palm is None else palm
    ans_late, ab_late = _palm_tails(p, t)
    ans_all, ab_all = _palm_tails(p, 0.0)
    # differences of sums: clip the rounding (about 1e-12) that can leave [0, 1]
    return min(max(p.p_below + ans_all - ans_late, 0.0), 1.0), max(ab_all - ab_late, 0.0)


def _service_level(definition: str, ans_t: float, ab_t: float, p_abandon: float, ab_short: float) -> float:
    if definition == "offered":
        sl = ans_t
    elif definition == "answered":
        sl = ans_t / (1.0 - p_abandon) if p_abandon < 1 else math.nan
    elif definition == "offered_excl_short":
        sl = ans_t / (1.0 - ab_short) if ab_short < 1 else math.nan
    else:
        sl = ans_t + ab_t
    return min(sl, 1.0)


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state KPIs of one Erlang C or Erlang A queue; probabilities are per arrival.

    ``service_level`` follows ``definition`` at threshold ``within`` (see ``DEFINITIONS``);
    ``service_level_for`` evaluates any other definition or threshold.
    """

    model: str  # "Erlang C (M/M/n)" or "Erlang A (M/M/n+M)"
    rate: float  # arrivals per second
    handle: float  # mean handle time, s
    agents: int
    patience: float | None  # mean patience, s; None: nobody abandons
    within: float  # service-level threshold, s
    definition: str
    short_abandon: float  # s, for "offered_excl_short"
    load: float  # offered load, Erlangs
    p_wait: float  # P(wait > 0)
    p_abandon: float
    mean_wait: float  # all arrivals, s
    asa: float  # answered contacts, s
    mean_queue: float  # mean number waiting (Little: rate * mean_wait)
    answered_within: float  # P(answered and wait <= within)
    abandoned_within: float  # P(abandoned and wait <= within)
    service_level: float
    occupancy: float  # served load / agents

    @property
    def stable(self) -> bool:
        """False for an Erlang C queue with ``load >= agents`` (waits grow without bound)."""
        return self.patience is not None or self.load < self.agents

    @property
    def mean_wait_abandoned(self) -> float:
        """Mean wait of the contacts that abandon (nan without abandonment)."""
        if self.p_abandon <= 0:
            return math.nan
        return (self.mean_wait - self.asa * (1.0 - self.p_abandon)) / self.p_abandon

    def p_answered_within(self, t: float) -> float:
        """P(answered and wait <= t)."""
        return _within(self.rate, self.handle, self.agents, self.patience, t)[0]

    def p_abandoned_within(self, t: float) -> float:
        """P(abandoned and wait <= t); equal to P(abandoned and wait < t)."""
        return _within(self.rate, self.handle, self.agents, self.patience, t)[1]

    def service_level_for(
        self, definition: str, within: float | None = None, short_abandon: float | None = None
    ) -> float:
        """Service level under ``definition`` at ``within`` (default: this result's threshold)."""
        _definition(definition)
        t = self.within if within is None else _positive("within", within, allow_zero=True)
        s = self.short_abandon if short_abandon is None else short_abandon
        ans_t, ab_t = _within(self.rate, self.handle, self.agents, self.patience, t)
        ab_short = self.p_abandoned_within(s) if definition == "offered_excl_short" else 0.0
        return _service_level(definition, ans_t, ab_t, self.p_abandon, ab_short)


def _checked(
    rate: float, handle: float, agents: int, within: float, short_abandon: float, definition: str
) -> tuple[float, float, int, float, float]:
    _definition(definition)
    return (
        _positive("rate", rate),
        _positive("handle", handle),
        _count("agents", agents, 1),
        _positive("within", within, allow_zero=True),
        _positive("short_abandon", short_abandon, allow_zero=True),
    )


def erlang_c_metrics(
    rate: float,
    handle: float,
    agents: int,
    within: float = 20.0,
    definition: str = "offered",
    short_abandon: float = 5.0,
) -> QueueMetrics:
    """KPIs of M/M/n (Erlang C): nobody abandons, so every definition gives the same SL.

    ``P(W > t) = C exp(-(n mu - lambda) t)``, ``ASA = C / (n mu - lambda)`` (Cooper 1981;
    Gross et al., M/M/c). With ``a >= n`` the queue is unstable: ``p_wait`` 1,
    service level 0, waits ``inf``, occupancy 1.
    """
    rate, handle, agents, within, short_abandon = _checked(
        rate, handle, agents, within, short_abandon, definition
    )
    a = rate * handle
    if a >= agents:
        wait, sl, occ, c = math.inf, 0.0, 1.0, 1.0
    else:
        c = erlang_c(agents, a)
        wait = c * handle / (agents - a)
        sl, occ = _within(rate, handle, agents, None, within)[0], a / agents
    return QueueMetrics(
        model="Erlang C (M/M/n)", rate=rate, handle=handle, agents=agents, patience=None,
        within=within, definition=definition, short_abandon=short_abandon, load=a, p_wait=c,
        p_abandon=0.0, mean_wait=wait, asa=wait, mean_queue=rate * wait, answered_within=sl,
        abandoned_within=0.0, service_level=sl, occupancy=occ,
    )  # fmt: skip


def erlang_a(
    rate: float,
    handle: float,
    agents: int,
    patience: float,
    within: float = 20.0,
    definition: str = "offered",
    short_abandon: float = 5.0,
) -> QueueMetrics:
    """KPIs of M/M/n+M (Erlang A, Palm's queue) with exponential patience of mean ``patience``.

    Exact, from the birth-death chain and a tagged-customer argument (Mandelbaum & Zeltyn
    2007; Garnett, Mandelbaum & Reiman 2002). With ``x = n mu / theta``, ``y = lambda / theta``
    and ``A(x, y) = sum_j y^j / prod_{k=1..j} (x + k)`` (a scaled incomplete gamma function):
    ``pi(n) = 1 / ((1 - B) / B + A)``, ``P(W > 0) = pi(n) A``, an arrival finding ``j``
    waiting abandons with probability ``(j + 1) / (x + j + 1)``; mean wait of all arrivals is
    ``P(abandon) * patience``; the ASA uses ``E[T exp(-theta T)]`` of the hypoexponential
    time ``T`` to service. Always stable; occupancy is the served load over ``n``.
    """
    rate, handle, agents, within, short_abandon = _checked(
        rate, handle, agents, within, short_abandon, definition
    )
    patience = _positive("patience", patience)
    p = _palm(rate, handle, agents, patience)
    d = p.x + p.j + 1.0
    p_ab = float(np.sum(p.w * (p.j + 1.0) / d))
    p_ans = 1.0 - p_ab
    harmonic = np.cumsum(1.0 / d)  # sum_{k=1..j+1} 1 / (x + k)
    wait_answered = float(np.sum(p.w * (p.x / d) * harmonic)) * patience
    mean_wait = p_ab * patience
    ans_t, ab_t = _within(rate, handle, agents, patience, within, p)
    ab_short = (
        _within(rate, handle, agents, patience, short_abandon, p)[1]
        if definition == "offered_excl_short"
        else 0.0
    )
    return QueueMetrics(
        model="Erlang A (M/M/n+M)", rate=rate, handle=handle, agents=agents, patience=patience,
        within=within, definition=definition, short_abandon=short_abandon, load=rate * handle,
        p_wait=min(float(np.sum(p.w)), 1.0), p_abandon=p_ab, mean_wait=mean_wait,
        asa=wait_answered / p_ans if p_ans > 0 else math.nan, mean_queue=rate * mean_wait,
        answered_within=ans_t, abandoned_within=ab_t,
        service_level=_service_level(definition, ans_t, ab_t, p_ab, ab_short),
        occupancy=rate * handle * p_ans / agents,
    )  # fmt: skip


def queue_metrics(
    rate: float,
    handle: float,
    agents: int,
    within: float = 20.0,
    patience: float | None = None,
    definition: str = "offered",
    short_abandon: float = 5.0,
) -> QueueMetrics:
    """Erlang C when ``patience`` is None (nobody abandons), else Erlang A."""
    if patience is None:
        return erlang_c_metrics(rate, handle, agents, within, definition, short_abandon)
    return erlang_a(rate, handle, agents, patience, within, definition, short_abandon)


# --------------------------------------------------------------------------- priorities


def priority_waits(rates: Sequence[float], handle: float, agents: int) -> tuple[float, ...]:
    """Mean wait per class in M/M/n with non-preemptive priorities (Cobham 1954).

    ``rates`` are per class, highest priority first; all classes share one exponential handle
    time. ``W_k = W_0 / ((1 - s_{k-1}) (1 - s_k))`` with ``s_k`` the load of classes 1..k over
    ``n`` and ``W_0 = C(n, a) * handle / n`` the mean time until an agent frees. A class with
    ``s_k >= 1`` waits ``inf``; classes above it keep finite waits (then ``C = 1``).
    """
    handle = _positive("handle", handle)
    agents = _count("agents", agents, 1)
    loads = [_positive(f"rates[{i}]", r, allow_zero=True) * handle for i, r in enumerate(rates)]
    w0 = erlang_c(agents, sum(loads)) * handle / agents
    out: list[float] = []
    before = 0.0
    for load in loads:
        after = before + load / agents
        out.append(w0 / ((1.0 - before) * (1.0 - after)) if after < 1 else math.inf)
        before = after
    return tuple(out)


# --------------------------------------------------------------------------- staffing


def sqrt_staffing(a: float, beta: float) -> int:
    """Square-root staffing ``n = ceil(a + beta sqrt(a))`` (Halfin & Whitt 1981), at least 0."""
    a = _positive("a", a, allow_zero=True)
    return max(0, math.ceil(a + beta * math.sqrt(a) - 1e-9))


def _smallest(ok: Callable[[int], bool], start: int, low: int) -> int:
    """Smallest ``n >= low`` with ``ok(n)``, for ``ok`` false then true as ``n`` grows."""
    hi = max(start, low)
    lo = low - 1  # treated as failing
    if ok(hi):
        step = 1
        while hi - step >= low:
            if not ok(hi - step):
                lo = hi - step
                break
            hi, step = hi - step, step * 2
    else:
        lo, step = hi, 1
        while not ok(lo + step):
            lo, step = lo + step, step * 2
            if lo > _MAX_AGENTS:
                raise ValueError(f"target: not reached with up to {_MAX_AGENTS} agents")
        hi = lo + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _staffing_checks(
    rate: float, handle: float, patience: float | None, abandon_cap: float | None
) -> tuple[float, int]:
    a = _positive("rate", rate) * _positive("handle", handle)
    if abandon_cap is not None and not 0 <= abandon_cap <= 1:
        raise ValueError(f"abandon_cap: must be in [0, 1] (got {abandon_cap!r})")
    if patience is not None:
        _positive("patience", patience)
        if abandon_cap == 0:
            raise ValueError("abandon_cap: 0 cannot be met when contacts abandon (patience is set)")
    return a, (math.floor(a) + 1 if patience is None else 1)


def agents_for_service_level(
    rate: float,
    handle: float,
    within: float,
    target: float,
    patience: float | None = None,
    definition: str = "offered",
    abandon_cap: float | None = None,
    short_abandon: float = 5.0,
) -> int:
    """Smallest number of agents whose service level reaches ``target``.

    Erlang C when ``patience`` is None, else Erlang A; with ``abandon_cap`` the abandonment
    probability must also stay at or below it. The search brackets and bisects, relying on the
    service level rising and abandonment falling with each added agent.
    """
    if not 0 < target < 1:
        raise ValueError(f"target: must be in (0, 1) (got {target!r})")
    a, low = _staffing_checks(rate, handle, patience, abandon_cap)

    def ok(n: int) -> bool:
        m = queue_metrics(rate, handle, n, within, patience, definition, short_abandon)
        cap_ok = abandon_cap is None or m.p_abandon <= abandon_cap
        return m.service_level >= target and cap_ok

    return _smallest(ok, sqrt_staffing(a, 1.0), low)


def agents_for_asa(
    rate: float,
    handle: float,
    target: float,
    patience: float | None = None,
    abandon_cap: float | None = None,
) -> int:
    """Smallest number of agents whose ASA (mean wait of answered contacts) is <= ``target`` s.

    Erlang C when ``patience`` is None, else Erlang A (optionally also ``p_abandon <=
    abandon_cap``).
    """
    target = _positive("target", target)
    a, low = _staffing_checks(rate, handle, patience, abandon_cap)

    def ok(n: int) -> bool:
        m = queue_metrics(rate, handle, n, 0.0, patience)
        return m.asa <= target and (abandon_cap is None or m.p_abandon <= abandon_cap)

    return _smallest(ok, sqrt_staffing(a, 1.0), low)
