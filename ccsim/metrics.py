"""Records -> tidy DataFrames and KPIs; confidence intervals across replications.

Columns are defined once, here, and documented in ``docs/reference/results.md``.
Ratios (service level, ASA, abandonment, occupancy) are always recomputed from additive
counts and sums, so any grouping of the tables gives consistent KPIs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ccsim.engine import Records
from ccsim.model.plan import Plan

SL_TEXT = {
    "offered": "answered within {t} / (answered + abandoned)",
    "answered": "answered within {t} / answered",
    "offered_excl_short": "answered within {t} / (answered + abandoned after {s})",
    "answered_or_abandoned": "(answered + abandoned) within {t} / (answered + abandoned)",
}

# additive columns of the intervals table
COUNTS = [
    "offered",
    "served",
    "abandoned",
    "blocked",
    "closed",
    "unfinished",
    "served_within_sl",
    "sl_numerator",
    "sl_denominator",
    "wait_served_s",
    "wait_all_s",
    "handle_s",
]


class SLRule:
    """The service-level rule of each channel (threshold, definition) as arrays by channel."""

    def __init__(self, scenario_channels: dict, names: Sequence[str]):
        self.within = np.full(len(names), np.nan)
        self.definition: list[str | None] = []
        self.short = np.zeros(len(names))
        self.target = np.full(len(names), np.nan)
        self.text: dict[str, str] = {}
        from ccsim.units import format_duration

        for k, name in enumerate(names):
            sl = scenario_channels[name].service_level
            if sl is None:
                self.definition.append(None)
                continue
            self.within[k] = sl.within
            self.short[k] = sl.short_abandon
            self.target[k] = sl.target
            self.definition.append(sl.definition)
            self.text[name] = SL_TEXT[sl.definition].format(
                t=format_duration(sl.within), s=format_duration(sl.short_abandon)
            )

    def contributions(
        self, channel: np.ndarray, outcome: np.ndarray, wait: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per contact: within threshold (served), SL numerator and denominator (0/1)."""
        t = self.within[channel]
        served = outcome == 0
        aband = outcome == 1
        with np.errstate(invalid="ignore"):
            within = wait <= t
        num = np.zeros(len(channel), dtype=np.int8)
        den = np.zeros(len(channel), dtype=np.int8)
        for k, d in enumerate(self.definition):
            if d is None:
                continue
            m = channel == k
            if d == "offered":
                num[m] = served[m] & within[m]
                den[m] = served[m] | aband[m]
            elif d == "answered":
                num[m] = served[m] & within[m]
                den[m] = served[m]
            elif d == "offered_excl_short":
                num[m] = served[m] & within[m]
                den[m] = served[m] | (aband[m] & (wait[m] >= self.short[k]))
            else:  # answered_or_abandoned
                num[m] = (served[m] | aband[m]) & within[m]
                den[m] = served[m] | aband[m]
        return served & within, num, den


def contacts_frame(plan: Plan, rec: Records, rule: SLRule) -> pd.DataFrame:
    """One row per measured contact (arrived after the warm-up)."""
    c = rec.contacts
    m = rec.measured  # arrivals are sorted: the measured contacts are a slice (views, no copies)
    arrival = c.arrival[m] - plan.clock.warmup
    group = rec.agent_group[m]
    outcome = rec.outcome[m]
    wait = rec.wait[m]
    with np.errstate(invalid="ignore"):
        within = (outcome == 0) & (wait <= rule.within[c.channel[m]])
    group_names = [*plan.group_names, ""]
    return pd.DataFrame(
        {
            "replication": np.full(len(c.arrival[m]), rec.replication, dtype=np.int32),
            "contact_id": np.arange(len(c.arrival[m]), dtype=np.int64),
            "channel": pd.Categorical.from_codes(c.channel[m], plan.channel_names),
            "contact_type": pd.Categorical.from_codes(c.ctype[m], plan.type_names),
            "segment": pd.Categorical.from_codes(c.segment[m], plan.segment_names),
            "arrival_s": arrival,
            "interval": plan.clock.interval_of(c.arrival[m]).astype(np.int32),
            "day": plan.clock.day_of(c.arrival[m]).astype(np.int32),
            "wait_s": wait,
            "outcome": pd.Categorical.from_codes(outcome, list(rec.outcome_names)),
            "handle_s": rec.talk[m],
            "wrap_s": rec.wrap[m],
            "agent_group": pd.Categorical.from_codes(
                np.where(group >= 0, group, len(group_names) - 1), group_names
            ),
            "agent_id": rec.agent[m],
            "within_sl": within,
        }
    )


def intervals_frame(plan: Plan, rec: Records, rule: SLRule) -> pd.DataFrame:
    """Counts and KPIs per interval x channel x contact type x segment (by arrival interval).

    Built with ``np.bincount`` over a combined key, so memory stays a few arrays of the
    number of contacts, not a frame of them.
    """
    c = rec.contacts
    m = rec.measured  # arrivals are sorted: the measured contacts are a slice (views, no copies)
    ch, ty, sg = c.channel[m], c.ctype[m], c.segment[m]
    outcome, wait = rec.outcome[m], rec.wait[m]
    within, num, den = rule.contributions(ch, outcome, wait)
    served = outcome == 0
    n_iv, n_ch, n_ty, n_sg = (
        plan.clock.n_intervals,
        len(plan.channels),
        len(plan.type_names),
        len(plan.segment_names),
    )
    iv = np.minimum(plan.clock.interval_of(c.arrival[m]), n_iv - 1)
    key = ((iv * n_ch + ch) * n_ty + ty) * n_sg + sg
    size = n_iv * n_ch * n_ty * n_sg

    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=size)

    columns: dict[str, np.ndarray] = {
        "offered": total(),
        "served": total(served),
        "abandoned": total(outcome == 1),
        "blocked": total(outcome == 2),
        "closed": total(outcome == 3),
        "unfinished": total(outcome == 4),
        "served_within_sl": total(within),
        "sl_numerator": total(num),
        "sl_denominator": total(den),
    }
    columns = {k: v.astype(np.int64) for k, v in columns.items()}
    columns["wait_served_s"] = total(np.where(served, wait, 0.0))
    columns["wait_all_s"] = total(np.where(served | (outcome == 1), wait, 0.0))
    columns["handle_s"] = total(np.where(served, rec.talk[m] + rec.wrap[m], 0.0))
    # keep every combination that demand can produce, in every interval, zeros included
    combos = sorted({(s.channel, t, g) for s in plan.streams for t in s.types for g in s.segments})
    cmb = np.array(combos, dtype=np.int64).reshape(-1, 3)
    k_iv = np.repeat(np.arange(n_iv), len(cmb))
    k_ch, k_ty, k_sg = (np.tile(cmb[:, j], n_iv) for j in range(3))
    rows = ((k_iv * n_ch + k_ch) * n_ty + k_ty) * n_sg + k_sg
    out = pd.DataFrame(
        {
            "replication": rec.replication,
            "interval": k_iv,
            "start_s": k_iv * plan.clock.interval,
            "channel": pd.Categorical.from_codes(k_ch, plan.channel_names),
            "contact_type": pd.Categorical.from_codes(k_ty, plan.type_names),
            "segment": pd.Categorical.from_codes(k_sg, plan.segment_names),
            **{k: v[rows] for k, v in columns.items()},
        }
    )
    add_ratios(out)
    return out


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """KPI columns from the additive counts (in place; also returned)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["service_level"] = _ratio(frame["sl_numerator"], frame["sl_denominator"])
        frame["asa_s"] = _ratio(frame["wait_served_s"], frame["served"])
        frame["abandon_rate"] = _ratio(frame["abandoned"], frame["served"] + frame["abandoned"])
        frame["mean_wait_s"] = _ratio(frame["wait_all_s"], frame["served"] + frame["abandoned"])
        frame["aht_s"] = _ratio(frame["handle_s"], frame["served"])
        frame["block_rate"] = _ratio(frame["blocked"], frame["offered"] - frame["closed"])
    return frame


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a / b.where(b > 0)).astype(float)


def span_overlap(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Sum over spans ``[start, end)`` of weight x overlap with each bin ``[edges[k], edges[k+1])``."""
    chunk = 1 << 17  # bounded temporaries for millions of spans
    if len(starts) > chunk:
        return sum(
            (
                span_overlap(starts[i : i + chunk], ends[i : i + chunk], weights[i : i + chunk], edges)
                for i in range(0, len(starts), chunk)
            ),
            np.zeros(len(edges) - 1),
        )
    nbins = len(edges) - 1
    s = np.clip(starts, edges[0], edges[-1])
    e = np.clip(ends, edges[0], edges[-1])
    keep = e > s
    s, e, w = s[keep], e[keep], weights[keep]
    out = np.zeros(nbins)
    k0 = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, nbins - 1)
    k1 = np.clip(np.searchsorted(edges, e, side="left") - 1, 0, nbins - 1)
    d = 0
    while len(s):  # spans reaching d bins past their first: few beyond d = 1
        k = k0 + d
        overlap = np.minimum(e, edges[k + 1]) - np.maximum(s, edges[k])
        out += np.bincount(k, weights=w * np.maximum(overlap, 0.0), minlength=nbins)
        more = k1 > k
        s, e, w, k0, k1 = s[more], e[more], w[more], k0[more], k1[more]
        d += 1
    return out


def agents_frame(plan: Plan, rec: Records) -> pd.DataFrame:
    """Staffed and busy time per interval x agent group (chats weigh 1/concurrency)."""
    clock = plan.clock
    edges = clock.warmup + np.arange(clock.n_intervals + 1) * clock.interval
    edges[-1] = min(edges[-1], clock.end)
    c = rec.contacts
    taken = np.flatnonzero(rec.agent_group >= 0)  # contacts an agent worked on
    group = rec.agent_group[taken]
    start = c.arrival[taken] + rec.wait[taken]
    end = start + rec.talk[taken] + rec.wrap[taken]
    conc = np.array([ch.concurrency for ch in plan.channels], dtype=float)
    weight = 1.0 / conc[c.channel[taken]]
    rows = []
    for g, name in enumerate(plan.group_names):
        sm = rec.spans["group"] == g
        staffed = span_overlap(rec.spans["start"][sm], rec.spans["end"][sm], np.ones(int(sm.sum())), edges)
        bm = group == g
        busy = span_overlap(start[bm], end[bm], weight[bm], edges)
        for k in range(clock.n_intervals):
            rows.append((rec.replication, k, k * clock.interval, name, staffed[k], busy[k]))
    out = pd.DataFrame(
        rows, columns=["replication", "interval", "start_s", "agent_group", "staffed_s", "busy_s"]
    )
    out["agent_group"] = pd.Categorical(out["agent_group"], categories=plan.group_names)
    width = np.diff(edges)[out["interval"].to_numpy()]
    out["agents"] = out["staffed_s"] / width
    out["occupancy"] = _ratio(out["busy_s"], out["staffed_s"])
    return out


def t_half_width(values: np.ndarray) -> float:
    """95% confidence half-width of the mean of independent replications (Student t)."""
    v = values[~np.isnan(values)]
    if len(v) < 2:
        return math.nan
    from scipy.special import stdtrit  # Student t quantile; lighter to import than scipy.stats

    return float(stdtrit(len(v) - 1, 0.975) * v.std(ddof=1) / math.sqrt(len(v)))
