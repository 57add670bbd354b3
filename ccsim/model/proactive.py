"""Proactive contact (``[proactive.NAME]``): a part of ``Centre``.

Each day, as a campaign's window opens, the day's outbound contacts are drawn (their handle
times and whether each reaches the customer, from the stream ``proactive/NAME/DAY``: the j-th
outbound contact of a day is the same in every scenario). Agents of the campaign's groups make
them one at a time:

- idle time (``reserved == 0``): an agent of the groups who finds no inbound contact it can take
  waiting (``Centre.free``) makes the next one; agents idle when the window opens start at once.
- reserved time: as the window opens, ``reserved`` agents of the groups are claimed, idle ones
  at once, the others as they finish their contact in hand; they make outbound contacts back to
  back until the day's list is done (then they return to inbound work) or the window closes.

An outbound contact is never interrupted. The day's contacts not started by the window's end
are not made (``outbound_not_done``).

Prevention: a reached customer (done at time s) keeps ``share`` inbound contacts of the type
from coming, spread over the arrivals of the type in [s, s + horizon) in proportion to the
arrivals expected there (``Expected``). So a first arrival of the type at t is prevented with
probability p(t) = sum over reached contacts with s < t <= s + horizon of
share / expected arrivals in [s, s + horizon), capped at 1, decided by a uniform of the contact's
own (``Journeys.draws`` with the salt ``PREVENT``): the inbound contacts that remain are the same
contacts as without the campaign, and a stronger campaign removes a superset. A prevented
contact is dropped from the tables (it never came).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ccsim.model.flow import Flow
from ccsim.model.journeys import PREVENT
from ccsim.model.proactiveplan import NO_TYPE, CampaignPlan
from ccsim.model.sampling import Array, stream
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import UNFINISHED, Contacts
from ccsim.model.workforce import AgentPool

TALLY = [
    "outbound_done",
    "outbound_not_done",
    "outbound_reached",
    "inbound_prevented",
    "outbound_s",
    "prevented_s",
]
DONE, NOT_DONE, REACHED, PREVENTED, OUTBOUND_S, PREVENTED_S = range(len(TALLY))
SPAN = [("group", np.int32), ("start", float), ("end", float)]

Draws = Callable[[int, int], np.random.Generator]  # a contact's own generator (contact, salt)


class Proactive:
    """The campaigns of one replication: their days, the agents making them, and prevention."""

    def __init__(
        self,
        campaigns: tuple[CampaignPlan, ...],
        seed: int,
        replication: int,
        parts: tuple[Contacts, AgentPool, Scheduler, Flow],
        draws: Draws,
        n_types: int,
    ) -> None:
        self.campaigns = campaigns
        self.seed, self.replication = seed, replication
        self.contacts, self.pool, self.sched, self.flow = parts
        self.draws = draws
        n = len(campaigns)
        self.tally = np.zeros((n, len(TALLY)))
        self.spans: list[tuple[int, float, float]] = []  # outbound work: group, start, end
        self.handles: list[NDArray[np.float64]] = [np.zeros(0)] * n  # the day's outbound contacts
        self.reach_u: list[NDArray[np.float64]] = [np.zeros(0)] * n
        self.next = [0] * n  # the next outbound contact of the day
        self.open = [False] * n
        self.claims = [0] * n  # reserved agents still to claim
        self.reserved_by: dict[int, int] = {}  # agent -> the campaign it is reserved for
        self.idle_work: dict[int, list[int]] = {}  # group -> campaigns worked in its idle time
        self.reserving: dict[int, list[int]] = {}  # group -> campaigns reserving its agents
        for k, c in enumerate(campaigns):
            into = self.reserving if c.reserved else self.idle_work
            for g in c.groups:
                into.setdefault(g, []).append(k)
        self.preventing: list[list[int]] = [[] for _ in range(n_types)]  # type -> campaigns
        for k, c in enumerate(campaigns):
            if c.prevents != NO_TYPE and c.share > 0:
                self.preventing[c.prevents].append(k)
        self.active: list[deque[tuple[float, float]]] = [deque() for _ in range(n)]  # (end, weight)
        self.weight = [0.0] * n  # sum of the active weights
        self.dropped: list[int] = []  # prevented contacts of the loaded block

    # ------------------------------------------------------------------ the days
    def schedule(self) -> None:
        """The timers of every campaign's windows."""
        for k, c in enumerate(self.campaigns):
            for day, (a, b) in enumerate(c.windows):
                self.sched.at(a, self._open, (k, day))
                self.sched.at(b, self._close, k)

    def _open(self, payload: tuple[int, int]) -> None:
        k, day = payload
        c = self.campaigns[k]
        rng = stream(self.seed, self.replication, f"proactive/{c.name}/{day}")
        self.handles[k] = np.asarray(c.handle.sample(rng, c.daily), dtype=float)
        self.reach_u[k] = rng.random(c.daily)
        self.next[k] = 0
        self.open[k] = True
        now = self.sched.now
        self.claims[k] = c.reserved
        for a in self._idle_agents(c.groups, c.reserved or c.daily):
            if c.reserved:
                self.claims[k] -= 1
                self.reserved_by[a] = k
            self._start(k, a, now)

    def _idle_agents(self, groups: tuple[int, ...], most: int) -> list[int]:
        """Up to ``most`` idle agents of ``groups``, longest idle first, taken off their deques."""
        pool = self.pool
        out: list[int] = []
        while len(out) < most:
            heads = [(pool.idle_since[pool.idle[g][0]], g) for g in groups if pool.idle[g]]
            if not heads:
                break
            out.append(pool.idle[min(heads)[1]].popleft())
        return out

    def _close(self, k: int) -> None:
        self.open[k] = False
        self.claims[k] = 0
        self.tally[k, NOT_DONE] += len(self.handles[k]) - self.next[k]
        self.next[k] = len(self.handles[k])

    def _left(self, k: int) -> bool:
        return self.open[k] and self.next[k] < len(self.handles[k])

    # ------------------------------------------------------------------ the agents
    def claim(self, a: int, g: int, now: float) -> bool:
        """Agent ``a`` of group ``g`` is free: claimed for a campaign's reserved time?"""
        for k in self.reserving.get(g, ()):
            if self.claims[k] and self._left(k):
                self.claims[k] -= 1
                self.reserved_by[a] = k
                self._start(k, a, now)
                return True
        return False

    def take_idle(self, a: int, g: int, now: float) -> bool:
        """Agent ``a`` of group ``g`` finds no inbound work: an outbound contact instead?"""
        for k in self.idle_work.get(g, ()):
            if self._left(k):
                self._start(k, a, now)
                return True
        return False

    def _start(self, k: int, a: int, now: float) -> None:
        j = self.next[k]
        self.next[k] = j + 1
        self.pool.load[a] = 1
        self.pool.cur_channel[a] = -1  # on no channel: not offered chats meanwhile
        self.sched.at(now + float(self.handles[k][j]), self._done, (k, a, j, now))

    def _done(self, payload: tuple[int, int, int, float]) -> None:
        k, a, j, start = payload
        now = self.sched.now
        pool = self.pool
        pool.load[a] = 0
        t = self.tally[k]
        t[DONE] += 1
        t[OUTBOUND_S] += now - start
        self.spans.append((pool.agent_group[a], start, now))
        if self.reach_u[k][j] < self.campaigns[k].reach:
            t[REACHED] += 1
            self._reached(k, now)
        if self.reserved_by.get(a) == k:
            if self._left(k) and not pool.leaving[a]:
                self._start(k, a, now)
                return
            del self.reserved_by[a]
            if pool.leaving[a] and self._left(k):
                self.claims[k] += 1  # another agent of the groups takes its place
            if not self._left(k):
                self.claims[k] = 0
        self.flow.free(a, now)

    # ------------------------------------------------------------------ prevention
    def _reached(self, k: int, now: float) -> None:
        c = self.campaigns[k]
        if c.expected is None or c.share <= 0:
            return
        expected = c.expected.between(now, now + c.horizon)
        if expected > 0:
            w = c.share / expected
            self.active[k].append((now + c.horizon, w))
            self.weight[k] += w

    def prevented(self, i: int, now: float) -> bool:
        """Contact ``i``, a first arrival, is kept from coming by a reached customer's campaign?"""
        ks = self.preventing[self.contacts.ctype[i]]
        if not ks:
            return False
        weights = [self._weight(k, now) for k in ks]
        total = sum(weights)
        if total <= 0:
            return False
        u = float(self.draws(i, PREVENT).random())
        if u >= min(total, 1.0):
            return False
        scale = min(total, 1.0) / total  # capped: each campaign's part shrinks alike
        k = ks[-1]
        for kk, w in zip(ks, weights, strict=True):  # the campaign whose part holds u
            u -= w * scale
            if u < 0:
                k = kk
                break
        ct = self.contacts
        self.tally[k, PREVENTED] += 1
        self.tally[k, PREVENTED_S] += ct.base_handle[i] + ct.base_wrap[i]
        self.dropped.append(i)
        self.flow.end_at_arrival(i, UNFINISHED)
        return True

    def _weight(self, k: int, now: float) -> float:
        """The campaign's prevention probability now (its reached contacts still in horizon)."""
        active = self.active[k]
        while active and active[0][0] < now:
            self.weight[k] -= active.popleft()[1]
        if not active:
            self.weight[k] = 0.0
        return self.weight[k]

    def keep(self, mask: Array) -> Array:
        """``mask`` without the prevented contacts (they never came); forgets them."""
        if self.dropped:
            mask = mask.copy()
            mask[self.dropped] = False
            self.dropped = []
        return mask

    def outbound_spans(self) -> NDArray[np.void]:
        return np.array(self.spans, dtype=SPAN)
