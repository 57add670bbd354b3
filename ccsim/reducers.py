"""The statistics of one replication, accumulated batch by batch as contacts finish.

The ``Accumulator`` is the engine's sink (``ccsim.engine.run_replication``). It composes reducers
of one job each: ``BusyTime`` (agent work per group and interval), ``Backlog`` (contacts waiting
at each interval's end), ``IntervalCounts`` (the additive ``COUNTS`` of ``ccsim.metrics`` per
interval x channel x type x segment), ``WaitSample`` (the answered contacts' waits, for the
percentiles), ``ChannelMoves`` (the first arrivals channel choice moved, with ``[choice]``) and
``ContactsTable`` (the per-contact columns, when asked for). ``Measured`` is a
batch's measured contacts with what several reducers use, computed once. ``ccsim.tables`` turns
a finished accumulator into a ``Record``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ccsim.metrics import (
    COUNTS,
    OUTCOME_COLUMNS,
    SLRule,
    answered_mask,
    interval_edges,
    return_freed_memory,
    span_overlap,
)
from ccsim.model.plan import Plan
from ccsim.model.store import (
    ABANDONED,
    ARRIVAL,
    CHASE,
    COLUMNS,
    DEPUTY,
    DTYPES,
    PARTNER,
    PERSONAL,
    POOL,
    REPEAT,
    RESULT_COLUMNS,
    RETRIAL,
    SERVED,
    SERVED_BY,
)
from ccsim.model.timeline import Clock

Batch = dict[str, np.ndarray]
"""A batch of finished contacts: the engine's result columns (``model/store.py``)."""
AddCount = Callable[[str, "np.ndarray | None"], None]
"""``add(name, weights)``: add a batch's contributions to the count ``name`` (one per contact
if ``weights`` is None)."""
ExtraCounts = Callable[[Batch, AddCount], None]
"""A hook that adds counts of its own (``ccsim.economics.experience.ExperienceCounts``)."""


@dataclass(frozen=True)
class Measured:
    """The measured contacts of a batch (arrived after the warm-up and before the end) and what
    several reducers use: answered within the SL threshold, SL numerator and denominator,
    answered by an agent, served, promise kept."""

    b: Batch
    within: np.ndarray
    num: np.ndarray
    den: np.ndarray
    answered: np.ndarray
    served: np.ndarray
    kept: np.ndarray

    @staticmethod
    def of(b: Batch, clock: Clock, rule: SLRule) -> Measured | None:
        """None when no contact of the batch is measured (contacts created during the drain,
        such as late repeats, are simulated but not measured)."""
        m = (b["arrival"] >= clock.warmup) & (b["arrival"] < clock.end)
        if not m.any():
            return None
        if not m.all():
            b = {k: v[m] for k, v in b.items()}
        outcome, wait = b["outcome"], b["wait"]
        within, num, den = rule.contributions(b["channel"], outcome, wait, b["origin"])
        served = outcome == SERVED
        promised = ~np.isnan(b["promised"])
        kept = promised & served & (b["arrival"] + wait <= b["promised"] + 1e-9)
        answered = answered_mask(outcome, wait, b["origin"])
        return Measured(b, within, num, den, answered, served, kept)


class BusyTime:
    """Busy time per agent group x interval of every contact an agent worked on, warm-up
    arrivals included (a chat weighs 1/concurrency; partners have no agents here)."""

    def __init__(self, plan: Plan, edges: np.ndarray):
        self.n_groups, self.edges = len(plan.groups), edges
        self.values = np.zeros((len(plan.groups), len(edges) - 1))
        self.conc = np.array([ch.concurrency for ch in plan.channels], dtype=float)

    def add(self, b: Batch) -> None:
        taken = (b["agent_group"] >= 0) & (b["agent_group"] < self.n_groups)
        start = b["arrival"][taken] + b["wait"][taken]
        end = start + b["talk"][taken] + b["wrap"][taken]
        weight = 1.0 / self.conc[b["channel"][taken]]
        group = b["agent_group"][taken]
        for g in np.unique(group):
            gm = group == g
            self.values[g] += span_overlap(start[gm], end[gm], weight[gm], self.edges)

    def staffed(self, spans: np.ndarray) -> np.ndarray:
        """Staffed time per agent group x interval, from the spans agents were present."""
        out = np.zeros_like(self.values)
        for g in range(self.n_groups):
            sm = spans["group"] == g
            out[g] = span_overlap(spans["start"][sm], spans["end"][sm], np.ones(int(sm.sum())), self.edges)
        return out


class Backlog:
    """Contacts waiting at the end of each interval (a state, counted by the contact's channel,
    type and segment): those that arrived before the end and left the queue after."""

    def __init__(self, dims: tuple[int, int, int, int], edges: np.ndarray):
        self.dims, self.ends = dims, edges[1:]
        self.values = np.zeros(int(np.prod(dims)))

    def add(self, b: Batch) -> None:
        a = b["arrival"]
        left = a + b["wait"]
        keep = np.isfinite(left) & (left > a)
        a, left = a[keep], left[keep]
        first = np.searchsorted(self.ends, a, side="right")  # the first interval end after arrival
        last = np.searchsorted(self.ends, left, side="left") - 1  # the last one before leaving
        n_iv, n_ch, n_ty, n_sg = self.dims
        combo = (b["channel"][keep] * n_ty + b["ctype"][keep]) * n_sg + b["segment"][keep]
        k = first
        while len(k):
            ok = (k <= last) & (k < n_iv)
            if not ok.any():
                break
            key = k[ok] * (n_ch * n_ty * n_sg) + combo[ok]
            self.values += np.bincount(key, minlength=len(self.values))
            k, last, combo = k[ok] + 1, last[ok], combo[ok]


class IntervalCounts:
    """The additive ``COUNTS`` of the measured contacts per interval x channel x type x segment
    (by arrival interval): one row of ``matrix`` per count, in the order of ``COUNTS``."""

    def __init__(self, clock: Clock, dims: tuple[int, int, int, int], extra: ExtraCounts | None):
        self.clock, self.dims, self.extra = clock, dims, extra
        self.size = int(np.prod(dims))
        self.matrix = np.zeros((len(COUNTS), self.size))
        self.rows = dict(zip(COUNTS, self.matrix, strict=True))  # views of its rows, by name
        self.key = np.zeros(0, dtype=np.int64)

    def add(self, m: Measured) -> None:
        b = m.b
        n_iv, n_ch, n_ty, n_sg = self.dims
        iv = np.minimum(self.clock.interval_of(b["arrival"]), n_iv - 1)
        self.key = ((iv * n_ch + b["channel"]) * n_ty + b["ctype"]) * n_sg + b["segment"]
        self._outcomes(m)
        self._journeys(m)
        if self.extra is not None:
            self.extra(b, self.count)

    def count(self, name: str, weights: np.ndarray | None = None) -> None:
        """Add the weights of the batch's contacts (one each if None) to count ``name``."""
        if weights is not None and weights.dtype == bool:
            if not weights.any():  # many counts are zero in a plain scenario
                return
            if weights.all():
                weights = None
        self.rows[name] += np.bincount(self.key, weights=weights, minlength=self.size)

    def _outcomes(self, m: Measured) -> None:
        """Offered, the outcomes, the service level, waits and work."""
        outcome, wait, count = m.b["outcome"], m.b["wait"], self.count
        count("offered")
        count("served", m.served)
        for code, name in enumerate(OUTCOME_COLUMNS):
            if code != SERVED:
                count(name, outcome == code)
        count("served_within_sl", m.within)
        count("sl_numerator", m.num)
        count("sl_denominator", m.den)
        count("answered", m.answered)
        count("wait_served_s", np.where(m.answered, wait, 0.0))
        count("wait_all_s", np.where(m.answered | (outcome == ABANDONED), wait, 0.0))
        count("work_s", np.where(m.served, m.b["talk"] + m.b["wrap"], 0.0))

    def _journeys(self, m: Measured) -> None:
        """Resolution, retrials and repeats, who served, promises and announcements."""
        b, served, count = m.b, m.served, self.count
        origin, wait, by = b["origin"], b["wait"], b["served_by"]
        first = (b["attempt"] == 1) & (origin == ARRIVAL) & served
        count("first_contacts", first)
        count("first_resolved", first & (b["resolved"] == 1))
        count("resolved", b["resolved"] == 1)
        count("escalated", b["escalated"] == 1)
        count("callback_offers", b["callback_offered"] == 1)
        count("retrials", origin == RETRIAL)
        count("repeats", origin == REPEAT)
        for code in (PERSONAL, DEPUTY, POOL, PARTNER):
            count(f"served_{SERVED_BY[code]}", served & (by == code))
        count("wait_personal_s", np.where(served & ((by == PERSONAL) | (by == DEPUTY)), wait, 0.0))
        promised = ~np.isnan(b["promised"])
        count("promised", promised)
        count("promise_kept", m.kept)
        if promised.any():
            self._lateness(m, promised)
        chase = origin == CHASE
        if chase.any():
            count("chases", chase)
            count("chase_work_s", np.where(chase & served, b["talk"] + b["wrap"], 0.0))
        announced = ~np.isnan(b["predicted"]) & served
        count("announced", announced)
        count("announce_error_s", np.where(announced, wait - np.nan_to_num(b["predicted"]), 0.0))

    def _lateness(self, m: Measured, promised: np.ndarray) -> None:
        """Promises answered late: how many, by how much in all, more than 1 h, 4 h, 24 h late."""
        b, count = m.b, self.count
        late = promised & m.served & ~m.kept
        by = np.where(late, b["arrival"] + b["wait"] - b["promised"], 0.0)
        count("late_answered", late)
        count("lateness_s", by)
        for hours in (1, 4, 24):
            count(f"late_over_{hours}h", by > hours * 3600.0)


class SiteCounts(IntervalCounts):
    """With several sites: the additive ``COUNTS`` of the measured contacts per site they were
    offered to (``model/sites.py``), and the waits of the answered ones with their site."""

    def __init__(self, clock: Clock, n_sites: int):
        super().__init__(clock, (1, n_sites, 1, 1), None)
        self.waits: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, m: Measured) -> None:
        site = m.b["site"].astype(np.int64)
        self.key = site
        self._outcomes(m)
        self._journeys(m)
        self.waits.append((m.b["wait"][m.answered].astype(np.float32), site[m.answered].astype(np.int16)))

    def wait_values(self) -> tuple[np.ndarray, np.ndarray]:
        """The answered contacts' waits and their sites."""
        if not self.waits:
            return np.zeros(0, np.float32), np.zeros(0, np.int16)
        return np.concatenate([w for w, _ in self.waits]), np.concatenate([s for _, s in self.waits])


class WaitSample:
    """(wait, channel, type, segment) of every measured answered contact, compactly (float32
    and small ints: a few bytes a contact), for the percentiles."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, m: Measured) -> None:
        b, a = m.b, m.answered
        self.parts.append(
            (
                b["wait"][a].astype(np.float32),
                b["channel"][a].astype(np.int8),
                b["ctype"][a].astype(np.int16),
                b["segment"][a].astype(np.int16),
            )
        )

    def values(self) -> tuple[np.ndarray, ...]:
        if not self.parts:
            return (np.zeros(0, np.float32), *(np.zeros(0, np.int16) for _ in range(3)))
        return tuple(np.concatenate([w[j] for w in self.parts]) for j in range(4))


class ContactsTable:
    """The contacts table's columns of the measured contacts, batch by batch, as compact numpy
    arrays (codes for categories; ``ccsim.tables`` names them)."""

    def __init__(self, plan: Plan, replication: int):
        self.clock, self.replication = plan.clock, replication
        self.no_group = len(plan.group_names) + len(plan.partner_names)  # the code of ""
        self.stream_channel = stream_channels(plan)
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(self, m: Measured) -> None:
        self.chunks.append(self._columns(m.b, m.within, m.kept))

    def _columns(self, b: Batch, within: np.ndarray, kept: np.ndarray) -> dict[str, np.ndarray]:
        clock = self.clock
        promised = (b["promised"] - b["arrival"]).astype(np.float32)
        site = {"site": b["site"].astype(np.int16)} if "site" in b else {}  # several sites
        return {
            "contact_id": b["cid"],
            "channel": b["channel"].astype(np.int8),
            "contact_type": b["ctype"].astype(np.int16),
            "segment": b["segment"].astype(np.int16),
            "arrival_s": b["arrival"] - clock.warmup,
            "interval": clock.interval_of(b["arrival"]).astype(np.int32),
            "day": clock.day_of(b["arrival"]).astype(np.int32),
            "wait_s": b["wait"],
            "outcome": b["outcome"],
            "handle_s": b["talk"],
            "wrap_s": b["wrap"],
            "agent_group": np.where(b["agent_group"] >= 0, b["agent_group"], self.no_group).astype(np.int16),
            "agent_id": b["agent"],
            "within_sl": within,
            "customer_id": b["customer"],
            "attempt": b["attempt"].astype(np.int16),
            "parent_id": b["parent"],
            "origin": b["origin"],
            "stream_channel": self.stream_channel[b["stream_of"]],
            "served_by": b["served_by"],
            "resolved": b["resolved"].astype(bool),
            "escalated": b["escalated"].astype(bool),
            "identified": b["identified"].astype(bool),
            "predicted_wait_s": b["predicted"].astype(np.float32),
            "promised_s": promised,
            "promise_kept": np.where(np.isnan(promised), -1, kept).astype(np.int8),
            "callback_offered": b["callback_offered"].astype(bool),
        } | site

    def columns(self) -> dict[str, np.ndarray]:
        """The columns, one row per measured contact in arrival order (``contact_id`` counts all
        arrivals). Built column by column from the batches, so memory peaks at the columns plus
        one column."""
        chunks, self.chunks = self.chunks, []
        if not chunks:
            empty = {k: np.zeros(0, dtype=d) for k, d in _EMPTY.items()}
            chunks = [self._columns(empty, np.zeros(0, bool), np.zeros(0, bool))]
        order = np.argsort(np.concatenate([c["contact_id"] for c in chunks]), kind="stable")
        columns = {"replication": np.full(len(order), self.replication, dtype=np.int32)}
        for name in list(chunks[0]):
            columns[name] = np.concatenate([c.pop(name) for c in chunks])[order]
            return_freed_memory()
        return columns


def stream_channels(plan: Plan) -> np.ndarray:
    """The channel of each demand stream by its index, and -1 at index -1: indexed by the
    contacts' ``stream_of``, the channel their demand stream was on (-1: created during the run)."""
    return np.array([s.channel for s in plan.streams] + [-1], dtype=np.int8)


class ChannelMoves:
    """With channel choice (``[choice]``): the measured first arrivals that took another channel
    than their demand stream's, per (stream's channel, chosen channel): ``matrix[from, to]``.
    Only the choice changes a first arrival's channel, so these are the contacts it moved."""

    def __init__(self, plan: Plan):
        self.stream_channel = stream_channels(plan)
        n = len(plan.channels)
        self.matrix = np.zeros((n, n), dtype=np.int64)

    def add(self, m: Measured) -> None:
        origin = self.stream_channel[m.b["stream_of"]].astype(np.int64)
        chosen = m.b["channel"].astype(np.int64)
        moved = (origin >= 0) & (origin != chosen)
        if moved.any():
            n = len(self.matrix)
            self.matrix += np.bincount(origin[moved] * n + chosen[moved], minlength=n * n).reshape(n, n)


class Accumulator:
    """The statistics of one replication, accumulated batch by batch as contacts finish, by
    reducers of one job each: busy time, the backlog, the interval counts, the wait sample, the
    channel moves (with channel choice) and (when asked for) the contacts table.

    Memory stays bounded for long runs: counts per interval x channel x type x segment and busy
    time per group x interval are sums; waits of answered contacts are kept as float32 for the
    percentiles (a few bytes a contact); the per-contact table only when asked for. ``extra``
    adds counts of its own to each batch (the experience counts of ``ccsim.economics``).
    """

    def __init__(
        self,
        plan: Plan,
        rule: SLRule,
        replication: int,
        keep_contacts: bool,
        extra: ExtraCounts | None = None,
    ):
        clock = plan.clock
        dims = (clock.n_intervals, len(plan.channels), len(plan.type_names), len(plan.segment_names))
        edges = interval_edges(clock)
        self.clock, self.rule, self.replication = clock, rule, replication
        self.busy = BusyTime(plan, edges)
        self.backlog = Backlog(dims, edges)
        self.counts = IntervalCounts(clock, dims, extra)
        self.waits = WaitSample()
        self.contacts = ContactsTable(plan, replication) if keep_contacts else None
        self.sites = SiteCounts(clock, len(plan.sites.names)) if plan.sites is not None else None
        self.moves = ChannelMoves(plan) if plan.policies.choice is not None else None

    def __call__(self, b: Batch) -> None:
        self.add(b)

    def add(self, b: Batch) -> None:
        """Take a batch of finished contacts (columns as produced by the engine)."""
        self.busy.add(b)
        self.backlog.add(b)
        m = Measured.of(b, self.clock, self.rule)
        if m is None:
            return
        self.counts.add(m)
        self.waits.add(m)
        if self.sites is not None:
            self.sites.add(m)
        if self.moves is not None:
            self.moves.add(m)
        if self.contacts is not None:
            self.contacts.add(m)


# a batch without contacts: the engine's result columns, empty
_EMPTY = {name: DTYPES[COLUMNS[name]] for name in RESULT_COLUMNS} | {"agent_group": np.int32}
