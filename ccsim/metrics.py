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
    m = c.arrival >= plan.clock.warmup
    arrival = c.arrival[m] - plan.clock.warmup
    group = rec.agent_group[m]
    outcome = rec.outcome[m]
    wait = rec.wait[m]
    within, _, _ = rule.contributions(c.channel[m], outcome, wait)
    group_names = [*plan.group_names, ""]
    return pd.DataFrame(
        {
            "replication": np.full(int(m.sum()), rec.replication, dtype=np.int32),
            "contact_id": np.arange(int(m.sum()), dtype=np.int64),
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
    """Counts and KPIs per interval x channel x contact type x segment (by arrival interval)."""
    c = rec.contacts
    m = c.arrival >= plan.clock.warmup
    ch, ty, sg = c.channel[m], c.ctype[m], c.segment[m]
    outcome, wait = rec.outcome[m], rec.wait[m]
    within, num, den = rule.contributions(ch, outcome, wait)
    served = outcome == 0
    iv = np.minimum(plan.clock.interval_of(c.arrival[m]), plan.clock.n_intervals - 1)
    frame = pd.DataFrame(
        {
            "interval": iv,
            "channel": ch,
            "contact_type": ty,
            "segment": sg,
            "offered": 1,
            "served": served.astype(np.int64),
            "abandoned": (outcome == 1).astype(np.int64),
            "blocked": (outcome == 2).astype(np.int64),
            "closed": (outcome == 3).astype(np.int64),
            "unfinished": (outcome == 4).astype(np.int64),
            "served_within_sl": within.astype(np.int64),
            "sl_numerator": num.astype(np.int64),
            "sl_denominator": den.astype(np.int64),
            "wait_served_s": np.where(served, wait, 0.0),
            "wait_all_s": np.where(served | (outcome == 1), wait, 0.0),
            "handle_s": np.where(served, rec.talk[m] + rec.wrap[m], 0.0),
        }
    )
    keys = ["interval", "channel", "contact_type", "segment"]
    out = frame.groupby(keys, sort=True).sum().reset_index()
    # every combination that demand can produce appears in every interval, zeros included
    combos = sorted({(s.channel, t, g) for s in plan.streams for t in s.types for g in s.segments})
    full = pd.MultiIndex.from_tuples(
        [(k, *cmb) for k in range(plan.clock.n_intervals) for cmb in combos], names=keys
    )
    out = out.set_index(keys).reindex(full, fill_value=0).reset_index()
    out["channel"] = pd.Categorical.from_codes(out["channel"], plan.channel_names)
    out["contact_type"] = pd.Categorical.from_codes(out["contact_type"], plan.type_names)
    out["segment"] = pd.Categorical.from_codes(out["segment"], plan.segment_names)
    out.insert(0, "replication", rec.replication)
    out.insert(2, "start_s", out["interval"] * plan.clock.interval)
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
    """Sum over spans of weight x overlap with each bin [edges[k], edges[k+1])."""
    if len(starts) == 0:
        return np.zeros(len(edges) - 1)

    def integral(x: np.ndarray) -> np.ndarray:
        # sum of w * clip(x - s, 0, e - s) for every x, via sorted cumulative sums
        order_s = np.argsort(starts)
        s_sorted, ws = starts[order_s], weights[order_s]
        cs = np.concatenate([[0.0], np.cumsum(ws)])
        csx = np.concatenate([[0.0], np.cumsum(ws * s_sorted)])
        order_e = np.argsort(ends)
        e_sorted, we = ends[order_e], weights[order_e]
        ce = np.concatenate([[0.0], np.cumsum(we)])
        cex = np.concatenate([[0.0], np.cumsum(we * e_sorted)])
        ks = np.searchsorted(s_sorted, x, side="right")
        ke = np.searchsorted(e_sorted, x, side="right")
        # started before x: w (x - s); ended before x: minus w (x - e)
        return (x * cs[ks] - csx[ks]) - (x * ce[ke] - cex[ke])

    return np.diff(integral(edges))


def agents_frame(plan: Plan, rec: Records) -> pd.DataFrame:
    """Staffed and busy time per interval x agent group (chats weigh 1/concurrency)."""
    clock = plan.clock
    edges = clock.warmup + np.arange(clock.n_intervals + 1) * clock.interval
    edges[-1] = min(edges[-1], clock.end)
    c = rec.contacts
    served = (rec.agent_group >= 0) & ~np.isnan(rec.talk)
    start = c.arrival + np.nan_to_num(rec.wait)
    end = start + np.nan_to_num(rec.talk) + np.nan_to_num(rec.wrap)
    conc = np.array([ch.concurrency for ch in plan.channels], dtype=float)
    rows = []
    for g, name in enumerate(plan.group_names):
        sm = rec.spans["group"] == g
        staffed = span_overlap(rec.spans["start"][sm], rec.spans["end"][sm], np.ones(int(sm.sum())), edges)
        bm = served & (rec.agent_group == g)
        busy = span_overlap(start[bm], end[bm], 1.0 / conc[c.channel[bm]], edges)
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
    from scipy.stats import t

    return float(t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
