"""Relationship routing and outsourcing: personal agent, then deputy, then pool; partners.

A mixin of ``Centre``.

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
from typing import Any

from ccsim.model.store import DEPUTY, DONE, IN_SERVICE, NOBODY, PARTNER, PERSONAL, POOL, SERVED, WAITING

PHASE_PERSONAL, PHASE_DEPUTY, PHASE_POOL = 1, 2, 3


class Relationship:
    """Mixin: personal routing and outsourcing partners."""

    def _init_relationship(self: Any) -> None:
        plan, cfg = self.plan, self.plan.config
        self.personal = [s.personal for s in cfg.segments.values()]
        self.personal_group = [plan.group_index(p.group) if p else -1 for p in self.personal]
        ng = len(plan.groups)
        self.seats: list[list[int]] = [[] for _ in range(ng)]  # seat -> agent (-1 empty)
        self.seat_of: list[int] = []  # agent -> seat (-1: none)
        self.personal_groups = {g for g in self.personal_group if g >= 0}
        self.personal_queues: list[deque[int]] = []
        # partners
        self.partners = list(cfg.partners.values())
        self.partner_busy = [0] * len(self.partners)
        self.partner_of: dict[tuple[int, int], int] = {}
        for k, p in enumerate(self.partners):
            for ch in p.channels:
                for t in p.contact_types:
                    self.partner_of.setdefault((plan.channel_index(ch), plan.type_index(t)), k)

    # ------------------------------------------------------------------ seats
    def _seat_joined(self: Any, a: int, g: int) -> None:
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

    def _seat_left(self: Any, a: int, now: float) -> None:
        s = self.seat_of[a]
        if s < 0:
            return
        self.seats[self.agent_group[a]][s] = -1
        self.seat_of[a] = -1
        waiting = list(self.personal_queues[a])
        self.personal_queues[a].clear()
        for i in waiting:  # those waiting for this agent move on at once
            if self.status[i] == WAITING and self.target[i] == a:
                self._personal_step(i, now)

    # ------------------------------------------------------------------ personal routing
    def _personal_arrival(self: Any, i: int, now: float) -> bool:
        """Route a contact of a personal segment; False if it goes to the pool at once (also
        when the personal group cannot serve its type on its channel)."""
        seg = self.segment[i]
        g = self.personal_group[seg]
        seats = self.seats[g]
        q = self.qlist[self.qid[i]]
        if not seats or not any(g in groups for groups in q.ranks):
            return False
        seat = self.customer[i] % len(seats)
        self.served_by[i] = PERSONAL
        return self._offer_personal(i, seats[seat], now, self.personal[seg].wait, seat)

    def _offer_personal(self: Any, i: int, a: int, now: float, patience: float, seat: int) -> bool:
        """Offer contact ``i`` to agent ``a`` (an empty seat: move on); True if it is handled."""
        if a < 0:
            return self._personal_step(i, now, seat)
        if self.load[a] == 0 and not self.leaving[a]:
            self.idle[self.agent_group[a]].remove(a)
            self._serve(i, a, now)
            return True
        self.target[i] = a
        self.status[i] = WAITING
        self.personal_queues[a].append(i)
        self._at(patience, self._personal_timeout, (i, a))
        return True

    def _personal_timeout(self: Any, payload: tuple[int, int]) -> None:
        i, a = payload
        if self.status[i] == WAITING and self.target[i] == a:
            self.personal_queues[a].remove(i)
            self._personal_step(i, self.env._now)

    def _personal_step(self: Any, i: int, now: float, seat: int = -1) -> bool:
        """From the personal agent to the deputy, from the deputy to the pool."""
        seg = self.segment[i]
        if self.served_by[i] == PERSONAL:
            seats = self.seats[self.personal_group[seg]]
            if seat < 0:
                seat = self.seat_of[self.target[i]] if self.target[i] >= 0 else self.customer[i] % len(seats)
            self.served_by[i] = DEPUTY
            deputy = seats[(seat + 1) % len(seats)] if len(seats) > 1 else -1
            if deputy >= 0:
                return self._offer_personal(i, deputy, now, self.personal[seg].deputy_wait, seat + 1)
        # to the pool: the ordinary queue (or an idle agent of any able group)
        self.served_by[i] = NOBODY
        self.target[i] = -1
        was_waiting = self.status[i] == WAITING
        self.status[i] = 0
        q = self.qlist[self.qid[i]]
        if self.channel_open[q.channel] and self._route(i, q, now):
            return True
        self._enqueue(i, q, now, patience_set=was_waiting)
        return True

    def _take_personal(self: Any, a: int, now: float) -> bool:
        """A freed agent first takes the contacts waiting for it personally."""
        pq = self.personal_queues[a]
        while pq:
            i = pq.popleft()
            if self.status[i] == WAITING and self.target[i] == a:
                self._serve(i, a, now)
                return True
        return False

    # ------------------------------------------------------------------ partners
    def _partner_check(self: Any, i: int, q: Any, now: float) -> bool:
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
            self._at(p.after, self._partner_after, (i, k))
        return False

    def _partner_after(self: Any, payload: tuple[int, int]) -> None:
        i, k = payload
        if self.status[i] == WAITING and self.partner_busy[k] < self.partners[k].capacity:
            self._to_partner(i, k, self.env._now)

    def _to_partner(self: Any, i: int, k: int, now: float) -> None:
        if self.status[i] == WAITING:
            self.qlist[self.qid[i]].waiting -= 1
        p = self.partners[k]
        self.partner_busy[k] += 1
        self.status[i] = IN_SERVICE
        self.wait[i] = now - self.arrival[i]
        self.served_by[i] = PARTNER
        self.agent[i] = k  # the partner's index while in service (see ContactStore._batch)
        self.talk[i] = self.base_handle[i] * p.handle_factor
        self.wrap[i] = 0.0
        self._at(self.talk[i], self._partner_end, i)

    def _partner_end(self: Any, i: int) -> None:
        k = self.agent[i]
        self.partner_busy[k] -= 1
        self.status[i] = DONE
        self.outcome[i] = SERVED
        q = self.qlist[self.qid[i]]
        if q.lines is not None:
            self.in_system[q.channel] -= 1
        self.open_contacts -= 1
        self._service_ended(i, self.partners[k].resolution)
        p = self.partners[k]
        if p.after is not None:  # take the longest-waiting contact that has waited long enough
            now = self.env._now
            best, best_t = None, now - p.after
            for (c2, t2), k2 in self.partner_of.items():
                if k2 != k:
                    continue
                for q in self.qlist:
                    if q.channel == c2 and q.ctype == t2 and q.items:
                        j = q.head(self.status)
                        if j is not None and self.arrival[j] <= best_t:
                            best, best_t = j, self.arrival[j]
            if best is not None:
                q = self.qlist[self.qid[best]]
                q.items.remove(best)
                self._to_partner(best, k, now)
        if self.arrivals_done:
            self._check_done()


__all__ = ["PHASE_DEPUTY", "PHASE_PERSONAL", "PHASE_POOL", "POOL", "Relationship"]
