"""Patience: callers who give up waiting. A mixin of ``Centre`` (see ``centre.py``).

A patience timer per waiting contact is exact but costs an event. Where nothing depends on
the moment a caller abandons (no journey policy, no trunk lines, no overflow delay), a queue
checks a contact's patience when it reaches the head instead (``routing.Queue.expires``): one
whose patience ran out has abandoned at arrival + patience. The queues are swept at a block's
end and at the end of the run, and when the last arrival is due the contacts still waiting get
timers (no arrival would wake an idle agent to look at the queue any more).
"""

from __future__ import annotations

import math
from typing import Any

from ccsim.model.store import ABANDONED, DONE, NOBODY, WAITING


class Patience:
    """Mixin: patience timers, patience checked at the head of the queue, abandonment."""

    # Patience without timers where nothing depends on the moment a caller abandons (no journey
    # policy, no trunk lines, no overflow delay): a contact that reaches the head of its queue
    # after its patience ran out has abandoned then (``routing.Queue.expires``). The contacts are
    # the same either way (tests compare the two); timers cost an event per queued contact.
    expire_at_head = True

    def _init_patience(self: Any) -> None:
        """Which queues expire their contacts at the head (see above)."""
        for q in self.qlist:
            if self.expire_at_head and not self.journeys_on and q.lines is None and not q.delay:
                q.expires = True
                q.on_expire = self._expire

    def _start_patience(self: Any, i: int) -> None:
        if self.status[i] == WAITING:
            p = self.patience[i]
            if p != math.inf:
                self._at(p, self._abandon, i)

    def _expire(self: Any, i: int) -> None:
        """Contact ``i`` reached the head of a queue that expires its contacts (or the queue was
        swept) after its patience ran out: it abandoned at arrival + patience."""
        self.status[i] = DONE
        self.outcome[i] = ABANDONED
        a = self.arrival[i]
        self.wait[i] = (a + self.patience[i]) - a  # as a patience timer set at arrival gives it
        self.open_contacts -= 1

    def _sweep_expired(self: Any, now: float) -> None:
        """Settle every contact of the expiring queues whose patience has run out by ``now``
        (at a block's end and at the end of the run: none is left waiting by mistake)."""
        status, arrival, patience = self.status, self.arrival, self.patience
        for q in self.qlist:
            if q.expires:
                for i in q.items:
                    if status[i] == WAITING and arrival[i] + patience[i] <= now:
                        q.waiting -= 1
                        self._expire(i)

    def _arrivals_over(self: Any) -> None:
        """The last arrival is due. From here patience runs on timers: no arrival would wake an
        idle agent, so contacts left in expiring queues must abandon on time by themselves."""
        self.arrivals_done = True
        now = self.env._now
        status, arrival, patience = self.status, self.arrival, self.patience
        for q in self.qlist:
            if q.expires:
                q.expires = False
                for i in q.items:
                    if status[i] != WAITING:
                        continue
                    due = arrival[i] + patience[i]
                    if due <= now:  # ran out already
                        q.waiting -= 1
                        self._expire(i)
                    elif patience[i] != math.inf:
                        self._at(due - now, self._abandon, i)

    def _abandon(self: Any, i: int) -> None:
        if self.status[i] != WAITING:
            return  # answered before its patience ran out
        if self.target[i] < 0:  # in the ordinary queue (not waiting for a personal agent)
            self.qlist[self.qid[i]].waiting -= 1
        self.status[i] = DONE
        self.served_by[i] = NOBODY  # it may have been waiting for its personal agent
        self.outcome[i] = ABANDONED
        self.wait[i] = self.env._now - self.arrival[i]
        self._leave_system(i)
        if self.journeys_on:
            self._gave_up(i, ABANDONED)
