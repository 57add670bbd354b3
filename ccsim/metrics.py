"""Finished contacts -> tidy DataFrames and KPIs; confidence intervals across replications.

Columns are defined once, here, and documented in ``docs/reference/results.md``.
Ratios (service level, ASA, abandonment, occupancy) are always recomputed from additive
counts and sums, so any grouping of the tables gives consistent KPIs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ccsim.model.centre import OUTCOMES
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
    "work_s",
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


class Accumulator:
    """The statistics of one replication, accumulated batch by batch as contacts finish.

    Memory stays bounded for long runs: counts per interval x channel x type x segment and busy
    time per group x interval are sums; waits of answered contacts are kept as float32 for the
    percentiles (a few bytes a contact); the per-contact table only when asked for.
    """

    def __init__(self, plan: Plan, rule: SLRule, replication: int, keep_contacts: bool):
        self.plan, self.rule, self.replication, self.keep = plan, rule, replication, keep_contacts
        clock = plan.clock
        self.dims = (clock.n_intervals, len(plan.channels), len(plan.type_names), len(plan.segment_names))
        size = int(np.prod(self.dims))
        self.counts = {name: np.zeros(size) for name in COUNTS}
        self.edges = clock.warmup + np.arange(clock.n_intervals + 1) * clock.interval
        self.edges[-1] = min(self.edges[-1], clock.end)
        self.busy = np.zeros((len(plan.groups), clock.n_intervals))
        self.conc = np.array([ch.concurrency for ch in plan.channels], dtype=float)
        self.waits: list[tuple[np.ndarray, ...]] = []
        self.chunks: list[pd.DataFrame] = []

    def __call__(self, b: dict[str, np.ndarray]) -> None:
        self.add(b)

    def add(self, b: dict[str, np.ndarray]) -> None:
        """Take a batch of finished contacts (columns as produced by the engine)."""
        # busy time of every contact an agent worked on, warm-up arrivals included
        taken = b["agent_group"] >= 0
        start = b["arrival"][taken] + b["wait"][taken]
        end = start + b["talk"][taken] + b["wrap"][taken]
        weight = 1.0 / self.conc[b["channel"][taken]]
        group = b["agent_group"][taken]
        for g in np.unique(group):
            gm = group == g
            self.busy[g] += span_overlap(start[gm], end[gm], weight[gm], self.edges)
        m = b["arrival"] >= self.plan.clock.warmup
        if not m.any():
            return
        b = {k: v[m] for k, v in b.items()}
        ch, ty, sg, outcome, wait = b["channel"], b["ctype"], b["segment"], b["outcome"], b["wait"]
        within, num, den = self.rule.contributions(ch, outcome, wait)
        served = outcome == 0
        n_iv, n_ch, n_ty, n_sg = self.dims
        iv = np.minimum(self.plan.clock.interval_of(b["arrival"]), n_iv - 1)
        key = ((iv * n_ch + ch) * n_ty + ty) * n_sg + sg
        size = len(self.counts["offered"])

        def add(name: str, weights: np.ndarray | None = None) -> None:
            self.counts[name] += np.bincount(key, weights=weights, minlength=size)

        add("offered")
        add("served", served)
        for code, name in enumerate(OUTCOME_COLUMNS):
            if code:
                add(name, outcome == code)
        add("served_within_sl", within)
        add("sl_numerator", num)
        add("sl_denominator", den)
        add("wait_served_s", np.where(served, wait, 0.0))
        add("wait_all_s", np.where(served | (outcome == 1), wait, 0.0))
        add("work_s", np.where(served, b["talk"] + b["wrap"], 0.0))
        self.waits.append(
            (
                wait[served].astype(np.float32),
                ch[served].astype(np.int8),
                ty[served].astype(np.int16),
                sg[served].astype(np.int16),
            )
        )
        if self.keep:
            self.chunks.append(self._contacts(b, within))

    def _contacts(self, b: dict[str, np.ndarray], within: np.ndarray) -> pd.DataFrame:
        plan = self.plan
        group_names = [*plan.group_names, ""]
        group = b["agent_group"]
        return pd.DataFrame(
            {
                "replication": np.full(len(b["cid"]), self.replication, dtype=np.int32),
                "contact_id": b["cid"],
                "channel": pd.Categorical.from_codes(b["channel"], plan.channel_names),
                "contact_type": pd.Categorical.from_codes(b["ctype"], plan.type_names),
                "segment": pd.Categorical.from_codes(b["segment"], plan.segment_names),
                "arrival_s": b["arrival"] - plan.clock.warmup,
                "interval": plan.clock.interval_of(b["arrival"]).astype(np.int32),
                "day": plan.clock.day_of(b["arrival"]).astype(np.int32),
                "wait_s": b["wait"],
                "outcome": pd.Categorical.from_codes(b["outcome"], list(OUTCOME_NAMES)),
                "handle_s": b["talk"],
                "wrap_s": b["wrap"],
                "agent_group": pd.Categorical.from_codes(
                    np.where(group >= 0, group, len(group_names) - 1), group_names
                ),
                "agent_id": b["agent"],
                "within_sl": within,
            }
        )

    def contacts(self) -> pd.DataFrame | None:
        """One row per measured contact, in arrival order (``contact_id`` counts all arrivals)."""
        if not self.keep:
            return None
        if not self.chunks:
            return self._contacts({k: np.zeros(0, dtype=d) for k, d in _EMPTY.items()}, np.zeros(0, bool))
        frame = pd.concat(self.chunks, ignore_index=True)
        self.chunks = []
        return frame.sort_values("contact_id", kind="stable", ignore_index=True)

    def served_waits(self) -> tuple[np.ndarray, ...]:
        """(wait, channel, type, segment) of every measured answered contact."""
        if not self.waits:
            return (np.zeros(0, np.float32), *(np.zeros(0, np.int16) for _ in range(3)))
        return tuple(np.concatenate([w[j] for w in self.waits]) for j in range(4))

    def intervals(self) -> pd.DataFrame:
        """Counts and KPIs per interval x channel x contact type x segment (by arrival interval);
        every combination that demand can produce appears in every interval, zeros included."""
        plan = self.plan
        n_iv, n_ch, n_ty, n_sg = self.dims
        combos = sorted({(s.channel, t, g) for s in plan.streams for t in s.types for g in s.segments})
        cmb = np.array(combos, dtype=np.int64).reshape(-1, 3)
        k_iv = np.repeat(np.arange(n_iv), len(cmb))
        k_ch, k_ty, k_sg = (np.tile(cmb[:, j], n_iv) for j in range(3))
        rows = ((k_iv * n_ch + k_ch) * n_ty + k_ty) * n_sg + k_sg
        out = pd.DataFrame(
            {
                "replication": self.replication,
                "interval": k_iv,
                "start_s": k_iv * plan.clock.interval,
                "channel": pd.Categorical.from_codes(k_ch, plan.channel_names),
                "contact_type": pd.Categorical.from_codes(k_ty, plan.type_names),
                "segment": pd.Categorical.from_codes(k_sg, plan.segment_names),
                **{
                    k: v[rows] if k in FLOAT_COUNTS else v[rows].astype(np.int64)
                    for k, v in self.counts.items()
                },
            }
        )
        add_ratios(out)
        return out

    def agents(self, spans: np.ndarray) -> pd.DataFrame:
        """Staffed and busy time per interval x agent group (a chat weighs 1/concurrency)."""
        plan, clock = self.plan, self.plan.clock
        rows = []
        for g, name in enumerate(plan.group_names):
            sm = spans["group"] == g
            staffed = span_overlap(spans["start"][sm], spans["end"][sm], np.ones(int(sm.sum())), self.edges)
            for k in range(clock.n_intervals):
                rows.append((self.replication, k, k * clock.interval, name, staffed[k], self.busy[g, k]))
        out = pd.DataFrame(
            rows, columns=["replication", "interval", "start_s", "agent_group", "staffed_s", "busy_s"]
        )
        out["agent_group"] = pd.Categorical(out["agent_group"], categories=plan.group_names)
        width = np.diff(self.edges)[out["interval"].to_numpy()]
        out["agents"] = out["staffed_s"] / width
        out["occupancy"] = _ratio(out["busy_s"], out["staffed_s"])
        return out


OUTCOME_NAMES = OUTCOMES  # served, abandoned, blocked, closed, unfinished (codes 0..4)
OUTCOME_COLUMNS = OUTCOME_NAMES  # the count column of each outcome code in the intervals table
FLOAT_COUNTS = {"wait_served_s", "wait_all_s", "work_s"}
_EMPTY = {
    "cid": np.int64,
    "arrival": float,
    "channel": np.int32,
    "ctype": np.int32,
    "segment": np.int32,
    "outcome": np.int8,
    "wait": float,
    "talk": float,
    "wrap": float,
    "agent": np.int32,
    "agent_group": np.int32,
}


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """KPI columns from the additive counts (in place; also returned)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["service_level"] = _ratio(frame["sl_numerator"], frame["sl_denominator"])
        frame["asa_s"] = _ratio(frame["wait_served_s"], frame["served"])
        frame["abandon_rate"] = _ratio(frame["abandoned"], frame["served"] + frame["abandoned"])
        frame["mean_wait_s"] = _ratio(frame["wait_all_s"], frame["served"] + frame["abandoned"])
        frame["aht_s"] = _ratio(frame["work_s"], frame["served"])
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


def t_half_width(values: np.ndarray) -> float:
    """95% confidence half-width of the mean of independent replications (Student t)."""
    v = values[~np.isnan(values)]
    if len(v) < 2:
        return math.nan
    from scipy.special import stdtrit  # Student t quantile; lighter to import than scipy.stats

    return float(stdtrit(len(v) - 1, 0.975) * v.std(ddof=1) / math.sqrt(len(v)))
