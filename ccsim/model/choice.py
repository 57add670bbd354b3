"""Customers who choose their channel (``[choice]``): a part of ``Centre``.

As a first arrival of a demand stream on one of the choice's channels arrives, it decides with
its own random numbers (``Journeys.draws`` with the salt ``CHOICE``: the same in every
scenario) whether it chooses (probability ``share``) and, if so, which channel: a multinomial
logit over the channels available now,

    P(c) = exp(V_c) / sum over available k of exp(V_k),
    V_c  = preference of c (+ its type's + its segment's) - W_c / wait_scale,

where W_c is the wait it expects on c: 0 when nobody waits ahead of it there and an agent able
to serve it is free, else the wait-time announcement's predictor (contacts waiting ahead of or
level with it, itself included, x mean work / agents able on duty), plus, on a closed channel
that keeps contacts for the opening (``after_hours = "queue"``), the time until it opens. A
closed channel that turns contacts away (lost, voicemail, fallback) is not available. A contact
that moves keeps its arrival time, type, segment and decisions; it draws a handle time for its
new channel (and a patience, when the new channel's patience differs).
"""

from __future__ import annotations

import math

from ccsim.model.choiceplan import ChoicePlan
from ccsim.model.journeys import CHOICE, Journeys
from ccsim.model.plan import Plan
from ccsim.model.queues import LANE_NORMAL, Queues
from ccsim.model.routing import Queue
from ccsim.model.store import Contacts
from ccsim.model.workforce import AgentPool


class ChannelChoice:
    """The channel each choosing arrival takes (``choose``)."""

    def __init__(
        self,
        spec: ChoicePlan,
        plan: Plan,
        contacts: Contacts,
        queues: Queues,
        pool: AgentPool,
        journeys: Journeys,
    ) -> None:
        self.spec = spec
        self.plan = plan
        self.contacts = contacts
        self.queues = queues
        self.pool = pool
        self.journeys = journeys
        self.queue_on = [p == "queue" for p in plan.policies.after_hours]  # closed: keeps contacts

    def choose(self, i: int, now: float) -> None:
        """Contact ``i``, a first arrival, may choose another channel (in place)."""
        ct = self.contacts
        spec = self.spec
        if not spec.choosing_streams[ct.stream_of[i]]:
            return
        rng = self.journeys.draws(i, CHOICE)
        chooses, u = rng.random(2).tolist()  # both drawn: the same numbers whatever the share
        if chooses >= spec.share:
            return
        t, seg = ct.ctype[i], ct.segment[i]
        route = self.queues.route_segment(seg, bool(ct.identified[i]))
        weights = []
        for k, c in enumerate(spec.channels):
            wait = self.expected_wait(c, t, route, now)
            v = -math.inf if wait is None else spec.utility[t][seg][k] - wait / spec.wait_scale
            weights.append(v)
        top = max(weights)
        if top == -math.inf:
            return  # nowhere to go: it stays (and meets its own channel's closed rule)
        weights = [math.exp(v - top) for v in weights]
        pick = u * sum(weights)
        chosen = spec.channels[-1]
        for c, w in zip(spec.channels, weights, strict=True):
            if pick < w:
                chosen = c
                break
            pick -= w
        if chosen != ct.channel[i]:
            self._move(i, chosen, route, now)

    def expected_wait(self, c: int, t: int, route: int, now: float) -> float | None:
        """The wait a contact of type ``t`` (routed as ``route``) expects on channel ``c`` now,
        or None if the channel turns it away."""
        delay = 0.0
        if self.journeys.closed_at(c, now):
            if not self.queue_on[c]:
                return None
            delay = self.journeys.next_opening(c, now) - now
        q = self.queues.qlist[self.queues.qindex[(c, t, route, LANE_NORMAL)]]
        ahead = sum(qq.waiting for qq in q.ahead)
        if not delay and not ahead and self._free(q):
            return 0.0
        return delay + (ahead + 1) * self.journeys.mean_work[(c, t)] / max(self.pool.able_present(q.able), 1)

    def _free(self, q: Queue) -> bool:
        """Whether an agent able to serve the queue is free (idle, or a chat with room)."""
        pool = self.pool
        return any(pool.idle[g] or pool.partial[q.channel][g] for g in q.able)

    def _move(self, i: int, c: int, route: int, now: float) -> None:
        """Contact ``i`` arrives on channel ``c`` instead: its queue, handle time, patience."""
        ct, plan = self.contacts, self.plan
        old, t, seg = ct.channel[i], ct.ctype[i], ct.segment[i]
        rng = self.journeys.draws(i, CHOICE)
        rng.random(2)  # the two numbers of the decision
        ct.channel[i] = c
        ct.qid[i] = self.queues.qindex[(c, t, route, LANE_NORMAL)]
        ct.closed[i] = self.journeys.closed_at(c, now)
        ct.base_handle[i] = max(float(plan.handle[(t, c)].sample(rng, 1)[0]), 0.0)
        patience = self.journeys.channel_patience
        if not plan.channels[c].realtime:
            ct.patience[i] = math.inf
        else:
            before = (patience[old] or plan.patience[seg]) if plan.channels[old].realtime else None
            dist = patience[c] or plan.patience[seg]
            if dist is not before:
                ct.patience[i] = float(dist.sample(rng, 1)[0]) if dist is not None else math.inf
