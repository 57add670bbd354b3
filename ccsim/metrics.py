"""What the tables count, and the KPIs computed from the counts.

The additive columns of the intervals table (``COUNTS``) are defined once, here, and documented
in ``docs/reference/results.md``; ``ccsim.reducers`` accumulates them per replication and
``ccsim.tables`` lays them out. The service-level rule of each channel (``SLRule``) decides which
contacts count towards it.
Ratios (service level, ASA, abandonment, occupancy) are always recomputed from additive
counts and sums, so any grouping of the tables gives consistent KPIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ccsim.economics.experience import EXPERIENCE_COUNTS, EXPERIENCE_FLOATS
from ccsim.model.plan import ChannelPlan
from ccsim.model.store import ABANDONED, DECLINED, OUTCOMES, PASSED_THROUGH, SERVED
from ccsim.model.store import CALLBACK_MADE as ORIGIN_CALLBACK
from ccsim.model.store import VOICEMAIL_CALLBACK as ORIGIN_VOICEMAIL
from ccsim.model.timeline import Clock
from ccsim.units import format_duration

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
    "chased",  # closed because the customer's chase was answered first
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
    "late_answered",  # promises answered (served) after the promised time
    "lateness_s",  # sum of (answer time - promised time) of those
    "late_over_1h",  # promises answered more than 1 hour late
    "late_over_4h",
    "late_over_24h",
    "chases",  # contacts of origin 'chase' (a customer chasing an unanswered contact)
    "chase_work_s",  # agent work (talk + wrap-up) of the chases served
    "announced",  # contacts told a predicted wait and answered
    "announce_error_s",  # sum of (actual - predicted) wait of those
    *EXPERIENCE_COUNTS,  # money and experience: ccsim.economics.experience
]


class SLRule:
    """The service-level rule of each channel of a plan (threshold, definition) as arrays by
    channel."""

    def __init__(self, channels: Sequence[ChannelPlan]):
        n = len(channels)
        self.within = np.full(n, np.nan)
        self.definition: list[str | None] = []
        self.short = np.zeros(n)
        self.target = np.full(n, np.nan)
        self.text: dict[str, str] = {}
        for k, channel in enumerate(channels):
            sl, name = channel.service_level, channel.name
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


def interval_edges(clock: Clock) -> np.ndarray:
    """The edges of the measured intervals in simulated time (the last one cut at the end)."""
    edges = clock.warmup + np.arange(clock.n_intervals + 1) * clock.interval
    edges[-1] = min(edges[-1], clock.end)
    return edges


OUTCOME_NAMES = OUTCOMES  # served, abandoned, blocked, closed, unfinished (codes 0..4)
OUTCOME_COLUMNS = OUTCOME_NAMES  # the count column of each outcome code in the intervals table
FLOAT_COUNTS = {
    "wait_served_s",
    "wait_all_s",
    "work_s",
    "wait_personal_s",
    "announce_error_s",
    "lateness_s",
    "chase_work_s",
    *EXPERIENCE_FLOATS,
}


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
        frame["mean_lateness_s"] = _ratio(frame["lateness_s"], frame["late_answered"])
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
