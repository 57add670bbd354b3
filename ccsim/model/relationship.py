"""Relationship routing and outsourcing: personal agent, then deputy, then pool; partners.

A part of ``Centre``.

Personal agents: the agents of a segment's personal group sit in numbered seats (an agent
joining takes the lowest free seat). A customer belongs to seat ``customer % seats``; the
deputy of seat s is seat s + 1 (the last seat's deputy is seat 0). A contact is offered to
the agent in its seat and waits for that agent (in the agent's own queue) up to
``personal.wait``; then for the deputy up to ``personal.deputy_wait``; then it joins the
ordinary queue, where any agent able to serve it may take it. An empty seat is skipped at once.
A freed agent takes contacts waiting for it personally before anything else.

Partners: an outsourcing partner takes contacts of its types and channels that waited
``after`` or that find more than ``queue_over`` waiting on their channel, up to ``capacity``
at once; it handles them ``handle_factor`` times as long and resolves a share ``resolution``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsim.model.flow import Flow
from ccsim.model.journeys import Journeys
from ccsim.model.plan import Plan
from ccsim.model.queues import Queues
from ccsim.model.routing import Queue
from ccsim.model.sampling import stream
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import (
    DEPUTY,
    DONE,
    IN_SERVICE,
    NOBODY,
    PARTNER,
    PENDING,
    PERSONAL,
    POOL,
    SERVED,
    WAITING,
    Contacts,
)
from ccsim.model.timeline import Ints
from ccsim.model.workforce import AgentPool

PHASE_PERSONAL, PHASE_DEPUTY, PHASE_POOL = 1, 2, 3


@dataclass(frozen=True)
class Parts:
    """The parts of the centre relationship routing works with."""

    contacts: Contacts
    queues: Queues
    pool: AgentPool
    sched: Scheduler
    flow: Flow
    journeys: Journeys
    in_system: list[int]
    channel_open: list[bool]


class Relationship:
    """Personal routing and outsourcing partners."""

    def __init__(
        self,
        plan: Plan,
        seed: int,
        replication: int,
        parts: Parts,
    ) -> None:
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.contacts = parts.contacts
        self.queues = parts.queues
        self.pool = parts.pool
        self.sched = parts.sched
        self.flow = parts.flow
        self.journeys = parts.journeys
        self.in_system = parts.in_system  # per channel: contacts holding a line
        self.channel_open = parts.channel_open
        self.personal = plan.policies.personal
        self.personal_group = [plan.group_index(p.group) if p else -1 for p in self.personal]
        ng = len(plan.groups)
        self.seats: list[list[int]] = [[] for _ in range(ng)]  # seat -> agent (-1 empty)
        self.seat_of: list[int] = []  # agent -> seat (-1: none)
        self.personal_groups = {g for g in self.personal_group if g >= 0}
        self.personal_queues: list[deque[int]] = []
        # partners
        self.partners = plan.policies.partners
        self.partner_busy = [0] * len(self.partners)
        self._partner_timer = self.partner_after  # the bound method, made once
        self.partner_of: dict[tuple[int, int], int] = {}
        for k, p in enumerate(self.partners):
            for ch in p.channels:
                for t in p.contact_types:
                    self.partner_of.setdefault((plan.channel_index(ch), plan.type_index(t)), k)

    def customers_of(self, segment: Ints, block: int, first_id: int) -> NDArray[np.int64]:
        """Customer ids of a block's arrivals (``first_id``: the first one's contact id): each a
        new customer, except in segments with personal agents, whose contacts come from the
        segment's customer base."""
        ids = np.arange(first_id, first_id + len(segment), dtype=np.int64)
        for s, p in enumerate(self.personal):
            if p is not None:
                mask = segment == s
                rng = stream(self.seed, self.replication, f"customer/{s}/{block}")
                ids[mask] = (s + 1) * 10**12 + rng.integers(0, p.customers, int(mask.sum()))
        return ids

    def renumber(self, remap: Mapping[int, int]) -> None:
        """Contacts carried over to the next block get new indices; the others leave."""
        for a, pq in enumerate(self.personal_queues):
            if pq:
                self.personal_queues[a] = deque(remap[i] for i in pq if i in remap)

    # ------------------------------------------------------------------ seats
    def seat_joined(self, a: int, g: int) -> None:
        self.personal_queues.append(deque())
        if g not in self.personal_groups:
            self.seat_of.append(-1)
            return
        seats = self.seats[g]
        free = [s for s, x in enumerate(seats) if x < 0]
        s = free[0] if free else len(seats)
        if s == len(seats):
            seats.append(a)
        else:
            seats[s] = a
        self.seat_of.append(s)

    def seat_left(self, a: int, now: float) -> None:
        ct = self.contacts
        s = self.seat_of[a]
        if s < 0:
            return
        self.seats[self.pool.agent_group[a]][s] = -1
        self.seat_of[a] = -1
        waiting = list(self.personal_queues[a])
        self.personal_queues[a].clear()
        for i in waiting:  # those waiting for this agent move on at once
            if ct.status[i] == WAITING and ct.target[i] == a:
                self._personal_step(i, now)

    # ------------------------------------------------------------------ personal routing
    def personal_arrival(self, i: int, now: float) -> bool:
        """Route a contact of a personal segment; False if it goes to the pool at once (also
        when the personal group cannot serve its type on its channel)."""
        ct = self.contacts
        seg = ct.segment[i]
        g = self.personal_group[seg]
        seats = self.seats[g]
        q = self.queues.qlist[ct.qid[i]]
        if not seats or not any(g in groups for groups in q.ranks):
            return False
        seat = ct.customer[i] % len(seats)
        ct.served_by[i] = PERSONAL
        personal = self.personal[seg]
        assert personal is not None  # the segment has a personal group
        return self._offer_personal(i, seats[seat], now, personal.wait, seat)

    def _offer_personal(self, i: int, a: int, now: float, patience: float, seat: int) -> bool:
        """Offer contact ``i`` to agent ``a`` (an empty seat: move on); True if it is handled."""
        ct = self.contacts
        if a < 0:
            return self._personal_step(i, now, seat)
        if self.pool.load[a] == 0 and not self.pool.leaving[a]:
            self.pool.idle[self.pool.agent_group[a]].remove(a)
            self.flow.serve(i, a, now)
            return True
        ct.target[i] = a
        ct.status[i] = WAITING
        self.personal_queues[a].append(i)
        self.sched.after(patience, self.personal_timeout, (i, a))
        return True

    def personal_timeout(self, payload: tuple[int, int]) -> None:
        ct = self.contacts
        i, a = payload
        if ct.status[i] == WAITING and ct.target[i] == a:
            self.personal_queues[a].remove(i)
            self._personal_step(i, self.sched.now)

    def _personal_step(self, i: int, now: float, seat: int = -1) -> bool:
        """From the personal agent to the deputy, from the deputy to the pool."""
        ct = self.contacts
        seg = ct.segment[i]
        if ct.served_by[i] == PERSONAL:
            seats = self.seats[self.personal_group[seg]]
            if seat < 0:
                seat = self.seat_of[ct.target[i]] if ct.target[i] >= 0 else ct.customer[i] % len(seats)
            ct.served_by[i] = DEPUTY
            deputy = seats[(seat + 1) % len(seats)] if len(seats) > 1 else -1
            personal = self.personal[seg]
            if deputy >= 0 and personal is not None:
                return self._offer_personal(i, deputy, now, personal.deputy_wait, seat + 1)
        # to the pool: the ordinary queue (or an idle agent of any able group)
        ct.served_by[i] = NOBODY
        ct.target[i] = -1
        was_waiting = ct.status[i] == WAITING
        ct.status[i] = PENDING
        q = self.queues.qlist[ct.qid[i]]
        if self.channel_open[q.channel] and self.flow.route(i, q, now):
            return True
        self.flow.enqueue(i, q, now, patience_set=was_waiting)
        return True

    def take_personal(self, a: int, now: float) -> bool:
        """A freed agent first takes the contacts waiting for it personally."""
        ct = self.contacts
        pq = self.personal_queues[a]
        while pq:
            i = pq.popleft()
            if ct.status[i] == WAITING and ct.target[i] == a:
                self.flow.serve(i, a, now)
                return True
        return False

    # ------------------------------------------------------------------ partners
    def partner_check(self, i: int, q: Queue, now: float) -> bool:
        """On queueing: send to a partner at once (queue rule) or set its waiting-time rule."""
        k = self.partner_of.get((q.channel, q.ctype), -1)
        if k < 0:
            return False
        p = self.partners[k]
        if p.queue_over is not None and self.partner_busy[k] < p.capacity:
            others = sum(qq.waiting for qq in q.same_channel) - 1
            if others > p.queue_over:  # it finds more than queue_over waiting
                self._to_partner(i, k, now)
                return True
        if p.after is not None:
            self.sched.after(p.after, self._partner_timer, (i, k))
        return False

    def partner_after(self, payload: tuple[int, int]) -> None:
        ct = self.contacts
        i, k = payload
        if ct.status[i] == WAITING and self.partner_busy[k] < self.partners[k].capacity:
            self._to_partner(i, k, self.sched.now)

    def _to_partner(self, i: int, k: int, now: float) -> None:
        ct = self.contacts
        if ct.status[i] == WAITING:
            self.queues.qlist[ct.qid[i]].waiting -= 1
        p = self.partners[k]
        self.partner_busy[k] += 1
        ct.status[i] = IN_SERVICE
        ct.wait[i] = now - ct.arrival[i]
        ct.served_by[i] = PARTNER
        ct.agent[i] = k  # the partner's index while in service (see Contacts.batch)
        ct.talk[i] = ct.base_handle[i] * p.handle_factor
        ct.wrap[i] = 0.0
        self.sched.after(ct.talk[i], self.partner_end, i)

    def partner_end(self, i: int) -> None:
        ct = self.contacts
        k = ct.agent[i]
        self.partner_busy[k] -= 1
        ct.status[i] = DONE
        ct.outcome[i] = SERVED
        q = self.queues.qlist[ct.qid[i]]
        if q.lines is not None:
            self.in_system[q.channel] -= 1
        self.flow.open_contacts -= 1
        self.journeys.service_ended(i, self.partners[k].resolution)
        p = self.partners[k]
        if p.after is not None:  # take the longest-waiting contact that has waited long enough
            now = self.sched.now
            best, best_t = None, now - p.after
            for (c2, t2), k2 in self.partner_of.items():
                if k2 != k:
                    continue
                for q in self.queues.qlist:
                    if q.channel == c2 and q.ctype == t2 and q.items:
                        j = q.head(ct.status)
                        if j is not None and ct.arrival[j] <= best_t:
                            best, best_t = j, ct.arrival[j]
            if best is not None:
                q = self.queues.qlist[ct.qid[best]]
                q.items.remove(best)
                self._to_partner(best, k, now)
        if self.flow.arrivals_done:
            self.flow.check_done()


__all__ = ["PHASE_DEPUTY", "PHASE_PERSONAL", "PHASE_POOL", "POOL", "Parts", "Relationship"]
