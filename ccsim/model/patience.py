"""Patience: callers who give up waiting.

A patience timer per waiting contact is exact but costs an event. Where nothing depends on
the moment a caller abandons (no journey policy, no trunk lines, no overflow delay), a queue
checks a contact's patience when it reaches the head instead (``routing.Queue.expires``): one
whose patience ran out has abandoned at arrival + patience. The queues are swept at a block's
end and at the end of the run, and when the last arrival is due the contacts still waiting get
timers (no arrival would wake an idle agent to look at the queue any more).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ccsim.model.flow import Flow
from ccsim.model.queues import Queues
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import ABANDONED, DONE, NOBODY, WAITING, Contacts


class Patience:
    """Patience timers, patience checked at the head of the queue, abandonment."""

    # Patience without timers where nothing depends on the moment a caller abandons (no journey
    # policy, no trunk lines, no overflow delay): a contact that reaches the head of its queue
    # after its patience ran out has abandoned then (``routing.Queue.expires``). The contacts are
    # the same either way (tests compare the two); timers cost an event per queued contact.
    expire_at_head = True

    def __init__(
        self,
        contacts: Contacts,
        queues: Queues,
        sched: Scheduler,
        flow: Flow,
        gave_up: Callable[[int, int], None] | None,
    ) -> None:
        self.contacts = contacts
        self.qlist = queues.qlist
        self.sched = sched
        self.flow = flow
        self.gave_up = gave_up  # the journey after abandoning (retrials), when journeys are on
        self._abandon_timer = self.abandon  # the bound method, made once
        for q in self.qlist:
            if self.expire_at_head and gave_up is None and q.lines is None and not q.delay:
                q.expires = True
                q.on_expire = self.expire

    def start(self, i: int) -> None:
        """Contact ``i`` starts waiting: its patience timer, if it may abandon."""
        c = self.contacts
        if c.status[i] == WAITING:
            p = c.patience[i]
            if p != math.inf:
                self.sched.after(p, self._abandon_timer, i)

    def expire(self, i: int) -> None:
        """Contact ``i`` reached the head of a queue that expires its contacts (or the queue was
        swept) after its patience ran out: it abandoned at arrival + patience."""
        c = self.contacts
        c.status[i] = DONE
        c.outcome[i] = ABANDONED
        a = c.arrival[i]
        c.wait[i] = (a + c.patience[i]) - a  # as a patience timer set at arrival gives it
        self.flow.open_contacts -= 1

    def sweep(self, now: float) -> None:
        """Settle every contact of the expiring queues whose patience has run out by ``now``
        (at a block's end and at the end of the run: none is left waiting by mistake)."""
        c = self.contacts
        status, arrival, patience = c.status, c.arrival, c.patience
        for q in self.qlist:
            if q.expires:
                for i in q.items:
                    if status[i] == WAITING and arrival[i] + patience[i] <= now:
                        q.waiting -= 1
                        self.expire(i)

    def arrivals_over(self, now: float) -> None:
        """The last arrival is due. From here patience runs on timers: no arrival would wake an
        idle agent, so contacts left in expiring queues must abandon on time by themselves."""
        c = self.contacts
        status, arrival, patience = c.status, c.arrival, c.patience
        for q in self.qlist:
            if q.expires:
                q.expires = False
                for i in q.items:
                    if status[i] != WAITING:
                        continue
                    due = arrival[i] + patience[i]
                    if due <= now:  # ran out already
                        q.waiting -= 1
                        self.expire(i)
                    elif patience[i] != math.inf:
                        self.sched.after(due - now, self.abandon, i)

    def abandon(self, i: int) -> None:
        """The patience timer of contact ``i``: it abandons if it is still waiting."""
        c = self.contacts
        if c.status[i] != WAITING:
            return  # answered before its patience ran out
        if c.target[i] < 0:  # in the ordinary queue (not waiting for a personal agent)
            self.qlist[c.qid[i]].waiting -= 1
        c.status[i] = DONE
        c.served_by[i] = NOBODY  # it may have been waiting for its personal agent
        c.outcome[i] = ABANDONED
        c.wait[i] = self.sched.now - c.arrival[i]
        self.flow.leave_system(i)
        if self.gave_up is not None:
            self.gave_up(i, ABANDONED)
