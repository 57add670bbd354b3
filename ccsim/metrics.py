"""Finished contacts -> tidy DataFrames and KPIs; confidence intervals across replications.

Columns are defined once, here, and documented in ``docs/reference/results.md``.
Ratios (service level, ASA, abandonment, occupancy) are always recomputed from additive
counts and sums, so any grouping of the tables gives consistent KPIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ccsim.economics.experience import EXPERIENCE_COUNTS, EXPERIENCE_FLOATS, ExperienceCounts
from ccsim.model.plan import Plan
from ccsim.model.store import (
    ABANDONED,
    COLUMNS,
    DECLINED,
    DEPUTY,
    DTYPES,
    OUTCOMES,
    PARTNER,
    PASSED_THROUGH,
    PERSONAL,
    POOL,
    RESULT_COLUMNS,
    SERVED,
    SERVED_BY,
)
from ccsim.model.store import CALLBACK_MADE as ORIGIN_CALLBACK
from ccsim.model.store import VOICEMAIL_CALLBACK as ORIGIN_VOICEMAIL

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
    "answered",  # answered by an agent after waiting: served, declined or transferred; no callbacks
    "served_within_sl",
    "sl_numerator",
    "sl_denominator",
    "wait_served_s",
    "wait_all_s",
    "work_s",
    # the customer's journey
    "balked",
    "self_served",
    "passed_through",
    "declined",
    "callback",
    "voicemail",
    "fallback",
    "callback_offers",  # contacts offered a callback, whether they took it or not
    "first_contacts",  # answered contacts that are a customer's first about an issue
    "first_resolved",  # ... resolved at that first contact
    "resolved",
    "escalated",
    "retrials",
    "repeats",
    "served_personal",
    "served_deputy",
    "served_pool",
    "served_partner",
    "wait_personal_s",  # wait of those answered by their personal agent or deputy
    "promised",  # contacts given a promise (acknowledgement, callback)
    "promise_kept",
    "announced",  # contacts told a predicted wait and answered
    "announce_error_s",  # sum of (actual - predicted) wait of those
    *EXPERIENCE_COUNTS,  # money and experience: ccsim.economics.experience
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
        self, channel: np.ndarray, outcome: np.ndarray, wait: np.ndarray, origin: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per contact: answered within the threshold, SL numerator and denominator (0/1).

        'Answered' means an agent answered it: served, or declined or transferred by an agent.
        Callbacks the centre makes (origin callback or voicemail) are in no service level: they
        have their own promise."""
        t = self.within[channel]
        served = answered_mask(outcome, wait, origin)
        aband = outcome == ABANDONED
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


def answered_mask(outcome: np.ndarray, wait: np.ndarray, origin: np.ndarray | None) -> np.ndarray:
    """Contacts a customer waited for and an agent answered (callbacks excluded)."""
    answered = (outcome == SERVED) | (
        ((outcome == DECLINED) | (outcome == PASSED_THROUGH)) & np.isfinite(wait)
    )
    if origin is not None:
        answered &= (origin != ORIGIN_CALLBACK) & (origin != ORIGIN_VOICEMAIL)
    return answered


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
        self.matrix = np.zeros((len(COUNTS), size))  # one row per count, in the order of COUNTS
        self.counts = dict(zip(COUNTS, self.matrix, strict=True))  # views of its rows, by name
        self.edges = clock.warmup + np.arange(clock.n_intervals + 1) * clock.interval
        self.edges[-1] = min(self.edges[-1], clock.end)
        self.busy = np.zeros((len(plan.groups), clock.n_intervals))
        self.conc = np.array([ch.concurrency for ch in plan.channels], dtype=float)
        self.waits: list[tuple[np.ndarray, ...]] = []
        self.backlog = np.zeros(size)
        self.chunks: list[dict[str, np.ndarray]] = []
        self.experience = ExperienceCounts(plan.config)  # hook: ccsim.economics.experience

    def __call__(self, b: dict[str, np.ndarray]) -> None:
        self.add(b)

    def add(self, b: dict[str, np.ndarray]) -> None:
        """Take a batch of finished contacts (columns as produced by the engine)."""
        # busy time of every contact an agent worked on, warm-up arrivals included
        taken = (b["agent_group"] >= 0) & (b["agent_group"] < len(self.plan.groups))  # partners: no agents
        start = b["arrival"][taken] + b["wait"][taken]
        end = start + b["talk"][taken] + b["wrap"][taken]
        weight = 1.0 / self.conc[b["channel"][taken]]
        group = b["agent_group"][taken]
        for g in np.unique(group):
            gm = group == g
            self.busy[g] += span_overlap(start[gm], end[gm], weight[gm], self.edges)
        self._add_backlog(b)
        # measured: arrived after the warm-up and before the end (contacts created during the
        # drain, such as late repeats, are simulated but not measured)
        m = (b["arrival"] >= self.plan.clock.warmup) & (b["arrival"] < self.plan.clock.end)
        if not m.any():
            return
        if not m.all():
            b = {k: v[m] for k, v in b.items()}
        ch, ty, sg, outcome, wait = b["channel"], b["ctype"], b["segment"], b["outcome"], b["wait"]
        within, num, den = self.rule.contributions(ch, outcome, wait, b["origin"])
        answered = answered_mask(outcome, wait, b["origin"])
        served = outcome == SERVED
        n_iv, n_ch, n_ty, n_sg = self.dims
        iv = np.minimum(self.plan.clock.interval_of(b["arrival"]), n_iv - 1)
        key = ((iv * n_ch + ch) * n_ty + ty) * n_sg + sg
        size = len(self.counts["offered"])

        def add(name: str, weights: np.ndarray | None = None) -> None:
            if weights is not None and weights.dtype == bool:
                if not weights.any():  # many counts are zero in a plain scenario
                    return
                if weights.all():
                    weights = None
            self.counts[name] += np.bincount(key, weights=weights, minlength=size)

        add("offered")
        add("served", served)
        for code, name in enumerate(OUTCOME_COLUMNS):
            if code:
                add(name, outcome == code)
        add("served_within_sl", within)
        add("sl_numerator", num)
        add("sl_denominator", den)
        add("answered", answered)
        add("wait_served_s", np.where(answered, wait, 0.0))
        add("wait_all_s", np.where(answered | (outcome == ABANDONED), wait, 0.0))
        add("work_s", np.where(served, b["talk"] + b["wrap"], 0.0))
        first = (b["attempt"] == 1) & (b["origin"] == 0) & served
        add("first_contacts", first)
        add("first_resolved", first & (b["resolved"] == 1))
        add("resolved", b["resolved"] == 1)
        add("escalated", b["escalated"] == 1)
        add("callback_offers", b["callback_offered"] == 1)
        add("retrials", b["origin"] == 1)
        add("repeats", b["origin"] == 2)
        by = b["served_by"]
        for code in (PERSONAL, DEPUTY, POOL, PARTNER):
            add(f"served_{SERVED_BY[code]}", served & (by == code))
        add("wait_personal_s", np.where(served & ((by == PERSONAL) | (by == DEPUTY)), wait, 0.0))
        promised = ~np.isnan(b["promised"])
        start = b["arrival"] + wait
        kept = promised & (outcome == SERVED) & (start <= b["promised"] + 1e-9)
        add("promised", promised)
        add("promise_kept", kept)
        announced = ~np.isnan(b["predicted"]) & served
        add("announced", announced)
        add("announce_error_s", np.where(announced, wait - np.nan_to_num(b["predicted"]), 0.0))
        self.experience(b, add)
        self.waits.append(
            (
                wait[answered].astype(np.float32),
                ch[answered].astype(np.int8),
                ty[answered].astype(np.int16),
                sg[answered].astype(np.int16),
            )
        )
        if self.keep:
            self.chunks.append(self._contacts(b, within, kept))

    def _add_backlog(self, b: dict[str, np.ndarray]) -> None:
        """Contacts waiting at the end of each interval (a state, counted by the contact's
        channel, type and segment): those that arrived before the end and left the queue after."""
        a = b["arrival"]
        left = a + b["wait"]
        keep = np.isfinite(left) & (left > a)
        a, left = a[keep], left[keep]
        ends = self.edges[1:]
        first = np.searchsorted(ends, a, side="right")  # the first interval end after arrival
        last = np.searchsorted(ends, left, side="left") - 1  # the last one before leaving
        n_iv, n_ch, n_ty, n_sg = self.dims
        combo = (b["channel"][keep] * n_ty + b["ctype"][keep]) * n_sg + b["segment"][keep]
        k = first
        while len(k):
            ok = (k <= last) & (k < n_iv)
            if not ok.any():
                break
            key = k[ok] * (n_ch * n_ty * n_sg) + combo[ok]
            self.backlog += np.bincount(key, minlength=len(self.backlog))
            k, last, combo = k[ok] + 1, last[ok], combo[ok]

    def _contacts(
        self, b: dict[str, np.ndarray], within: np.ndarray, kept: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The contacts-table columns of a batch, as compact numpy arrays (codes for categories)."""
        plan = self.plan
        n_groups = len(plan.group_names) + len(plan.config.partners)
        promised = (b["promised"] - b["arrival"]).astype(np.float32)
        return {
            "contact_id": b["cid"],
            "channel": b["channel"].astype(np.int8),
            "contact_type": b["ctype"].astype(np.int16),
            "segment": b["segment"].astype(np.int16),
            "arrival_s": b["arrival"] - plan.clock.warmup,
            "interval": plan.clock.interval_of(b["arrival"]).astype(np.int32),
            "day": plan.clock.day_of(b["arrival"]).astype(np.int32),
            "wait_s": b["wait"],
            "outcome": b["outcome"],
            "handle_s": b["talk"],
            "wrap_s": b["wrap"],
            "agent_group": np.where(b["agent_group"] >= 0, b["agent_group"], n_groups).astype(np.int16),
            "agent_id": b["agent"],
            "within_sl": within,
            "customer_id": b["customer"],
            "attempt": b["attempt"].astype(np.int16),
            "parent_id": b["parent"],
            "origin": b["origin"],
            "served_by": b["served_by"],
            "resolved": b["resolved"].astype(bool),
            "escalated": b["escalated"].astype(bool),
            "identified": b["identified"].astype(bool),
            "predicted_wait_s": b["predicted"].astype(np.float32),
            "promised_s": promised,
            "promise_kept": np.where(np.isnan(promised), -1, kept).astype(np.int8),
            "callback_offered": b["callback_offered"].astype(bool),
        }

    def contact_columns(self) -> dict[str, np.ndarray]:
        """The columns of the contacts table (codes for categories; see ``ccsim.tables``), one
        row per measured contact in arrival order (``contact_id`` counts all arrivals).

        Built column by column from the batches, so memory peaks at the columns plus one column.
        """
        chunks, self.chunks = self.chunks, []
        if not chunks:
            empty = {k: np.zeros(0, dtype=d) for k, d in _EMPTY.items()}
            chunks = [self._contacts(empty, np.zeros(0, bool), np.zeros(0, bool))]
        order = np.argsort(np.concatenate([c["contact_id"] for c in chunks]), kind="stable")
        columns = {"replication": np.full(len(order), self.replication, dtype=np.int32)}
        for name in list(chunks[0]):
            columns[name] = np.concatenate([c.pop(name) for c in chunks])[order]
            return_freed_memory()
        return columns

    def served_waits(self) -> tuple[np.ndarray, ...]:
        """(wait, channel, type, segment) of every measured answered contact."""
        if not self.waits:
            return (np.zeros(0, np.float32), *(np.zeros(0, np.int16) for _ in range(3)))
        return tuple(np.concatenate([w[j] for w in self.waits]) for j in range(4))

    def staffed(self, spans: np.ndarray) -> np.ndarray:
        """Staffed time per agent group x interval, from the spans agents were present."""
        out = np.zeros_like(self.busy)
        for g in range(len(self.plan.group_names)):
            sm = spans["group"] == g
            out[g] = span_overlap(spans["start"][sm], spans["end"][sm], np.ones(int(sm.sum())), self.edges)
        return out


OUTCOME_NAMES = OUTCOMES  # served, abandoned, blocked, closed, unfinished (codes 0..4)
OUTCOME_COLUMNS = OUTCOME_NAMES  # the count column of each outcome code in the intervals table
FLOAT_COUNTS = {
    "wait_served_s",
    "wait_all_s",
    "work_s",
    "wait_personal_s",
    "announce_error_s",
    *EXPERIENCE_FLOATS,
}
# a batch without contacts: the engine's result columns, empty
_EMPTY = {name: DTYPES[COLUMNS[name]] for name in RESULT_COLUMNS} | {"agent_group": np.int32}


def return_freed_memory() -> None:
    """Hand memory freed by the batches back to the operating system (glibc keeps small freed
    blocks otherwise, and the table would need their size again on top)."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
        except OSError:
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC: Any = None


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """KPI columns from the additive counts (in place; also returned)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["service_level"] = _ratio(frame["sl_numerator"], frame["sl_denominator"])
        frame["asa_s"] = _ratio(frame["wait_served_s"], frame["answered"])
        frame["abandon_rate"] = _ratio(frame["abandoned"], frame["answered"] + frame["abandoned"])
        frame["mean_wait_s"] = _ratio(frame["wait_all_s"], frame["answered"] + frame["abandoned"])
        frame["aht_s"] = _ratio(frame["work_s"], frame["served"])
        frame["block_rate"] = _ratio(frame["blocked"], frame["offered"] - frame["closed"])
        frame["balk_rate"] = _ratio(frame["balked"], frame["offered"] - frame["closed"])
        frame["fcr"] = _ratio(frame["first_resolved"], frame["first_contacts"])
        frame["resolution_rate"] = _ratio(frame["resolved"], frame["served"])
        frame["contacts_per_resolved"] = _ratio(frame["served"], frame["resolved"])
        frame["escalation_rate"] = _ratio(frame["escalated"], frame["served"])
        personal = frame["served_personal"] + frame["served_deputy"]
        frame["personal_share"] = _ratio(frame["served_personal"], personal + frame["served_pool"])
        frame["asa_personal_s"] = _ratio(frame["wait_personal_s"], personal)
        frame["partner_share"] = _ratio(frame["served_partner"], frame["served"])
        frame["promise_kept_rate"] = _ratio(frame["promise_kept"], frame["promised"])
        frame["callback_take_up"] = _ratio(frame["callback"], frame["callback_offers"])
        frame["announce_bias_s"] = _ratio(frame["announce_error_s"], frame["announced"])
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
