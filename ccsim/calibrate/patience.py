"""Patience chosen by out-of-sample accuracy: the law, the time-of-day profile and the routing rule.

Patience is right-censored (``ccsim.calibrate.fitting``): an abandoned contact shows its patience,
an answered one only that its patience exceeded its wait. Each candidate is fitted on the earlier
days of the calibration log and scored on the later ones by the **held-out log-likelihood per
contact** (abandoned: log density at the wait; answered: log survival at the wait), then the
winner is refitted on all the days. Scoring the later days of the log is how the calibrated
scenario will be used: to predict a period after the one it was fitted on.

- **The law**: exponential, lognormal and gamma by censored maximum likelihood, and the
  Kaplan-Meier curve itself as a ``survival`` law: a constant hazard between knots at the
  quantiles of the abandonment times (events / time at risk in each piece, the maximum-likelihood
  piecewise-exponential curve, which follows Kaplan-Meier), the last piece's hazard continuing
  beyond the last knot (an exponential tail past the waits observed).
- **Patience by time of day**: the chosen law's shape with one scale factor per band of hours
  (6 h, 3 h or 1 h bands from 00:00), each factor the censored maximum-likelihood one of the
  band's contacts (bands with fewer than ``MIN_BAND_EVENTS`` abandonments keep 1), or none.
- **The routing rule** (``routing_test``): within each interval with contacts of both segments
  waiting, the difference of their mean waits; its mean over the intervals with a 95% interval
  says whether the segment with the documented head start waits less (keep the head start),
  alike (first come first served) or longer (the other segment is served ahead: a head start
  of the mean difference).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccsim.calibrate import fitting as F
from ccsim.units import format_duration

LAWS = ("exponential", "lognormal", "gamma", "survival")
PIECES = 16  # survival law: pieces between knots at the abandonment-time quantiles
MIN_PIECE_EVENTS = 25  # fewer abandonments per piece: fewer pieces
BANDS_H = (0, 6, 3, 1)  # time-of-day bands tried, hours (0: no profile)
MIN_BAND_EVENTS = 20
HELD_OUT = 1 / 3  # the later share of the calibration days that scores the candidates
DAY_S = 86_400.0


@dataclass
class Law:
    """A fitted patience law: a scipy distribution (``frozen``) or a survival curve."""

    name: str
    frozen: F.Frozen | None = None
    knots: np.ndarray = field(default_factory=lambda: np.empty(0))  # survival: 0 and the knots
    hazard: np.ndarray = field(default_factory=lambda: np.empty(0))  # survival: per piece, s^-1

    def _cum(self, x: np.ndarray) -> np.ndarray:
        k = np.minimum(np.searchsorted(self.knots, x, side="right") - 1, len(self.hazard) - 1)
        widths = np.diff(self.knots)
        start = np.concatenate([[0.0], np.cumsum(self.hazard[:-1] * widths[: len(self.hazard) - 1])])
        return start[k] + self.hazard[k] * (x - self.knots[k])

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        if self.frozen is not None:
            return np.asarray(self.frozen.logpdf(x), dtype=float)
        k = np.minimum(np.searchsorted(self.knots, x, side="right") - 1, len(self.hazard) - 1)
        return np.log(np.maximum(self.hazard[k], 1e-300)) - self._cum(x)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        if self.frozen is not None:
            return np.asarray(self.frozen.logsf(x), dtype=float)
        return -self._cum(x)

    @property
    def mean(self) -> float:
        if self.frozen is not None:
            return float(self.frozen.mean())
        s = np.exp(-self._cum(self.knots))
        h = self.hazard
        return float(np.sum((s[:-1] - s[1:]) / h[: len(s) - 1]) + s[-1] / h[-1])

    def spec(self) -> F.DistSpec:
        """The law as written in a scenario."""
        if self.frozen is None:
            at = self.knots[1:]
            return {
                "dist": "survival",
                "at": [f"{round(float(t), 1):g}s" for t in at],
                "survival": [round(float(v), 5) for v in np.exp(-self._cum(at))],
            }
        cv = float(self.frozen.std() / self.frozen.mean())
        if self.name == "exponential":
            return {"dist": "exponential", "mean": F.seconds(self.mean)}
        return {"dist": self.name, "mean": F.seconds(self.mean), "cv": round(cv, 3)}


def _events(w: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Abandonment times (a zero logged as half a second) and censoring times (answered at once
    tells nothing)."""
    c = w[~a]
    return np.maximum(w[a], F.ZERO_EVENT_S), c[c > 0]


def survival_law(w: np.ndarray, a: np.ndarray, pieces: int = PIECES) -> Law:
    """The piecewise-constant hazard (see the module notes) of waits ``w``, abandoned ``a``."""
    events, _ = _events(w, a)
    n = max(1, min(pieces, len(events) // MIN_PIECE_EVENTS))
    inner = np.unique(np.quantile(events, np.arange(1, n) / n)) if n > 1 else np.empty(0)
    knots = np.concatenate([[0.0], inner[inner > 0]])
    x = np.where(a, np.maximum(w, F.ZERO_EVENT_S), w)
    edges = np.append(knots, np.inf)
    exposure = np.array([np.clip(x - lo, 0, hi - lo).sum() for lo, hi in itertools.pairwise(edges)])
    piece = np.searchsorted(knots, x[a], side="right") - 1
    count = np.bincount(piece, minlength=len(knots)).astype(float)
    hazard = np.maximum(count, 0.5) / np.maximum(exposure, 1e-9)  # no piece without hazard
    last = knots[-1] + 1.0 / hazard[-1] if len(knots) > 1 else 1.0 / hazard[-1]
    return Law("survival", knots=np.append(knots, last), hazard=hazard)


def fit_law(name: str, w: np.ndarray, a: np.ndarray) -> Law:
    """Law ``name`` fitted to waits ``w`` (``a``: abandoned) by censored maximum likelihood."""
    if name == "survival":
        return survival_law(w, a)
    events, censored = _events(w, a)
    theta, _ = F._mle(name, events, censored)
    return Law(name, frozen=F.frozen(name, theta))


def log_lik(law: Law, w: np.ndarray, a: np.ndarray, scale: np.ndarray | float = 1.0) -> float:
    """Log-likelihood per contact of waits ``w`` under ``law`` times ``scale`` (per contact)."""
    x = np.where(a, np.maximum(w, F.ZERO_EVENT_S), w)
    c = np.broadcast_to(np.asarray(scale, dtype=float), x.shape)
    ll = np.where(a, law.logpdf(x / c) - np.log(c), law.logsf(x / c))
    return float(np.mean(ll)) if len(ll) else math.nan


# --------------------------------------------------------------------------- time of day


def band_factors(law: Law, w: np.ndarray, a: np.ndarray, hour: np.ndarray, width: int) -> np.ndarray:
    """One scale factor per band of ``width`` hours (maximum likelihood with the law's shape)."""
    from scipy import optimize

    n = 24 // width
    band = (hour // width).astype(int)
    out = np.ones(n)
    for b in range(n):
        m = band == b
        if int(a[m].sum()) < MIN_BAND_EVENTS:
            continue
        wb, ab = w[m], a[m]
        res = optimize.minimize_scalar(
            lambda s, wb=wb, ab=ab: -log_lik(law, wb, ab, math.exp(s)), bounds=(-2, 2), method="bounded"
        )
        out[b] = math.exp(float(res.x))
    return out


def profile(factors: np.ndarray, interval: float) -> list[float]:
    """Band factors as one factor per interval of the day from 00:00."""
    n = round(DAY_S / interval)
    hours = np.arange(n) * interval / 3600
    return [round(float(v), 3) for v in factors[(hours // (24 / len(factors))).astype(int)]]


# --------------------------------------------------------------------------- the choice


@dataclass
class Choice:
    """The chosen patience of one segment and the held-out scores behind it."""

    law: Law
    width: int  # hours per band of the time-of-day profile, 0 for none
    factors: np.ndarray
    law_scores: dict[str, float]
    band_scores: dict[int, float]
    events: int
    n: int

    def describe(self) -> str:
        laws = ", ".join(f"{k} {v:.4f}" for k, v in sorted(self.law_scores.items(), key=lambda kv: -kv[1]))
        bands = ", ".join(
            f"{'none' if k == 0 else f'{k}h bands'} {v:.4f}"
            for k, v in sorted(self.band_scores.items(), key=lambda kv: -kv[1])
        )
        text = (
            f"{self.law.name} chosen by held-out log-likelihood per contact (fitted on the first "
            f"{1 - HELD_OUT:.0%} of the days, scored on the rest): {laws}; then refitted on all days "
            f"({self.events:,} abandoned, {self.n - self.events:,} answered = censored)"
            f"; mean {self.law.mean:.0f}s"
        )
        text += f". Time of day, held out: {bands}"
        if self.width:
            text += f"; factors by {self.width}h band from 00:00: " + ", ".join(
                f"{v:.2f}" for v in self.factors
            )
        return text


def waits(frame: pd.DataFrame) -> pd.DataFrame:
    """The answered and abandoned contacts: wait, abandoned, hour of arrival, day."""
    f = frame[frame["outcome"].isin(["served", "abandoned"])]
    return pd.DataFrame(
        {
            "w": f["wait_s"].to_numpy(dtype=float),
            "a": (f["outcome"] == "abandoned").to_numpy(),
            "hour": (f["arrival"].dt.hour + f["arrival"].dt.minute / 60).to_numpy(),
            "day": f["arrival"].dt.normalize().to_numpy(),
        }
    )


def _split(d: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = np.sort(d["day"].unique())
    cut = days[max(1, round(len(days) * (1 - HELD_OUT))) - 1]
    return d[d["day"] <= cut], d[d["day"] > cut]


def _cols(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return d["w"].to_numpy(), d["a"].to_numpy(), d["hour"].to_numpy()


def choose(frame: pd.DataFrame, laws: tuple[str, ...] = LAWS, bands: tuple[int, ...] = BANDS_H) -> Choice:
    """The law and the time-of-day bands of one segment's contacts, by held-out likelihood."""
    d = waits(frame)
    fit_d, test_d = _split(d)
    w, a, h = _cols(fit_d)
    wt, at, ht = _cols(test_d)
    fitted = {name: fit_law(name, w, a) for name in laws}
    law_scores = {name: log_lik(law, wt, at) for name, law in fitted.items()}
    best = max(law_scores, key=lambda k: law_scores[k])
    band_scores = {}
    for width in bands:
        f = band_factors(fitted[best], w, a, h, width) if width else np.ones(1)
        scale = f[(ht // width).astype(int)] if width else 1.0
        band_scores[width] = log_lik(fitted[best], wt, at, scale)
    width = max(band_scores, key=lambda k: band_scores[k])
    w_all, a_all, h_all = _cols(d)
    law = fit_law(best, w_all, a_all)
    factors = band_factors(law, w_all, a_all, h_all, width) if width else np.ones(1)
    return Choice(law, width, factors, law_scores, band_scores, int(a_all.sum()), len(d))


# --------------------------------------------------------------------------- routing


@dataclass
class RoutingTest:
    """Mean wait of a segment minus the others' within the same interval, over the intervals."""

    segment: str
    difference: float  # s
    half_width: float  # 95%, s
    intervals: int
    rule: str  # head_start (documented), fcfs, or reversed

    def describe(self, documented: float) -> str:
        d = f"{self.difference:+.1f}s ± {self.half_width:.1f} over {self.intervals:,} intervals"
        what = {
            "head_start": f"waits support the documented head start of {format_duration(documented)}",
            "fcfs": "no difference the waits can show: first come first served",
            "reversed": "the others are served ahead: a head start of "
            f"{format_duration(round(self.difference))} for them instead",
        }[self.rule]
        return (
            f"routing tested on the waits: {self.segment} minus the others within the same "
            f"interval {d}; {what}"
        )


def routing_test(frame: pd.DataFrame, segment: str, interval: float) -> RoutingTest:
    """The waits of ``segment`` against the others' in the same interval (see the module notes)."""
    f = frame[frame["outcome"].isin(["served", "abandoned"])]
    slot = f["arrival"].dt.floor(f"{int(interval)}s")
    ours = f["segment"] == segment
    means = pd.DataFrame({"slot": slot, "ours": ours, "w": f["wait_s"].astype(float)})
    table = means.groupby(["slot", "ours"])["w"].mean().unstack().dropna()
    if not len(table) or True not in table.columns or False not in table.columns:
        return RoutingTest(segment, math.nan, math.nan, 0, "head_start")
    diff = (table[True] - table[False]).to_numpy()
    mean = float(diff.mean())
    half = 1.96 * float(diff.std(ddof=1)) / math.sqrt(len(diff)) if len(diff) > 1 else math.inf
    rule = "head_start" if mean + half < 0 else ("fcfs" if mean - half <= 0 else "reversed")
    return RoutingTest(segment, mean, half, len(diff), rule)
