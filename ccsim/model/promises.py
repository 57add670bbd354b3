"""Promises on deferred channels and what customers do about them: a part of ``Centre``.

An acknowledgement gives each arriving contact a promised answer time (fixed, by segment, or
from the backlog). With ``routing.deferred_order = "promise"`` the channel's queues are ordered
by it (``Queue.due``); with ``urgent_before`` a contact near its promise moves to the urgent
lane, before real-time work. With ``chase``, customers still waiting contact again: without a
receipt after a while, with one once the promise has passed. The chase is a new contact
(origin 'chase'); answered first, it closes the contact it chases (outcome 'chased').

Each contact decides with its own random numbers (``Journeys.draws``): whether and when it
chases at its arrival, the chase's channel and handle time when it chases.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter

from ccsim.model.flow import Flow
from ccsim.model.journeys import CHASE_DECIDES, Journeys
from ccsim.model.plan import Plan
from ccsim.model.queues import Queues
from ccsim.model.routing import Queue
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import CHASE, CHASED, WAITING, Contacts
from ccsim.model.workforce import AgentPool

_WAITING = attrgetter("waiting")  # a queue's waiting contacts


class Promises:
    """The acknowledgements (``plan.policies.acknowledgement``), their order and the chases."""

    def __init__(
        self,
        plan: Plan,
        contacts: Contacts,
        queues: Queues,
        pool: AgentPool,
        sched: Scheduler,
        flow: Flow,
        journeys: Journeys,
    ) -> None:
        pol = plan.policies
        self.contacts, self.queues, self.pool = contacts, queues, pool
        self.sched, self.flow, self.journeys = sched, flow, journeys
        self.ack = pol.acknowledgement
        self.by_segment = pol.promise_by_segment
        self.chasing = any(a is not None and a.chase is not None for a in self.ack)
        self.chase_of: dict[int, int] = {}  # a chase waiting or in service -> the contact it chases
        self._near_timer, self._chase_timer = self.near, self.chase  # bound methods made once
        if pol.deferred_by_promise:  # the queues of channels with promises, ordered by them
            for q in queues.qlist:
                a = self.ack[q.channel]
                if a is not None and a.receipt and q.deferred:
                    q.due = contacts.promised

    def acknowledge(self, i: int, c: int, q: Queue, now: float) -> None:
        """Contact ``i`` arrives on deferred channel ``c``: its receipt's promised answer time,
        the timer that makes it urgent, and whether it will chase."""
        ack = self.ack[c]
        assert ack is not None  # called for channels with an acknowledgement
        ct = self.contacts
        if ack.receipt:
            promise = self._promise(i, c, q, now)
            ct.promised[i] = now + promise
            if ack.urgent_before is not None:
                self.sched.after(max(promise - ack.urgent_before, 0.0), self._near_timer, i)
        if ack.chase is not None and ct.origin[i] != CHASE:  # a chase does not chase again
            self._plan_chase(i, c, now)

    def _promise(self, i: int, c: int, q: Queue, now: float) -> float:
        """The promised time to the answer: by segment, fixed, or from the backlog."""
        ack = self.ack[c]
        assert ack is not None
        fixed = self.by_segment[c][self.contacts.segment[i]]
        if fixed is not None:
            return fixed
        if ack.promise != "backlog":
            return float(ack.promise)
        waiting = sum(map(_WAITING, q.same_channel))
        work = self.journeys.mean_work[(c, self.contacts.ctype[i])]
        estimate = (waiting + 1) * work / max(self.pool.able_present(q.able), 1)
        return max(ack.minimum, ack.factor * estimate)

    def _plan_chase(self, i: int, c: int, now: float) -> None:
        """Whether contact ``i`` will chase, and when (if it is still waiting then)."""
        ack = self.ack[c]
        assert ack is not None and ack.chase is not None
        chase, ct = ack.chase, self.contacts
        rng = self.journeys.draws(i, CHASE_DECIDES)
        u = float(rng.random())
        if ack.receipt:
            assert chase.after_promise is not None  # validated: a promise needs after_promise
            if u >= chase.missed:
                return
            delay = ct.promised[i] - now + chase.after_promise.draw(rng)
        else:
            assert chase.after is not None  # validated: no receipt needs after
            if u >= chase.unacknowledged:
                return
            delay = chase.after.draw(rng)
        self.sched.after(max(delay, 0.0), self._chase_timer, i)

    def chase(self, i: int) -> None:
        """The customer of contact ``i`` chases it, if it is still waiting for an answer."""
        ct = self.contacts
        if ct.status[i] != WAITING:
            return
        ack = self.ack[ct.channel[i]]
        assert ack is not None and ack.chase is not None
        spec = ack.chase
        rng = self.journeys.draws(i, CHASE)
        channel = self.journeys.pick(spec.channels, ct.channel[i], rng)
        own: dict[str, float] = {}
        if spec.handle is not None:
            own["base_handle"] = max(spec.handle.draw(rng), 0.0)
        j = self.journeys.create(0.0, i, channel, ct.ctype[i], CHASE, rng, **own)
        self.chase_of[j] = i

    def chase_answered(self, j: int, now: float) -> None:
        """An agent answers chase ``j``: the contact it chases, if still waiting, is closed."""
        i = self.chase_of.pop(j, -1)
        if i >= 0 and self.contacts.status[i] == WAITING:
            self.journeys.leave_queue(i, CHASED, now)

    def near(self, i: int) -> None:
        """Contact ``i``'s promise is ``urgent_before`` away: it moves to the urgent lane (if it
        still waits in its ordinary queue, not for a personal agent)."""
        ct = self.contacts
        if ct.status[i] == WAITING and ct.target[i] < 0 and self.queues.qlist[ct.qid[i]].deferred:
            self.journeys.urgent(i)

    def renumber(self, remap: Mapping[int, int]) -> None:
        """Contacts carried over to the next block get new indices; the others leave."""
        self.chase_of = {remap[j]: remap[i] for j, i in self.chase_of.items() if j in remap and i in remap}
