"""The SimPy model of the centre for one replication.

Built for speed (docs/explanation/engine.md): contacts are indices into
columns, agents are integers in free-lists per group, every handler is a callback of a timer
``(callback, payload)`` on SimPy's event queue, and arrivals are merged with that queue by
``engine.run_until``. Patience needs a timer only where the moment of abandonment matters;
elsewhere it is checked at the head of the queue. Patience timers that fire after the contact
was answered are ignored. Routing decisions are delegated to ``ccsim.model.routing``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from ccsim.model import routing
from ccsim.model.journeys import Journeys
from ccsim.model.patience import Patience
from ccsim.model.plan import Plan
from ccsim.model.relationship import Relationship
from ccsim.model.routing import Queue
from ccsim.model.sampling import blocks, busyness_factors
from ccsim.model.store import (
    BLOCKED,
    DONE,
    IN_SERVICE,
    NOBODY,
    OUTCOMES,
    PENDING,
    POOL,
    SERVED,
    UNFINISHED,
    WAITING,
    ContactStore,
)
from ccsim.model.workforce import QueueSetup, Workforce

__all__ = ["OUTCOMES", "Centre"]


class Centre(ContactStore, QueueSetup, Workforce, Patience, Journeys, Relationship):
    """Agents, queues and lines of one replication, driven by ``simpy.Environment``."""

    def __init__(
        self,
        env: simpy.Environment,
        plan: Plan,
        seed: int,
        replication: int,
        sink: Callable[[dict[str, np.ndarray]], None],
    ):
        self.env = env
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.sink = sink  # receives finished contacts, a batch at a time
        self.blocks = blocks(plan)
        self.block = 0
        self.factors = busyness_factors(plan, seed, replication)
        self.n = 0
        self.n_seen = 0  # contacts drawn so far (their global ids)
        self.cols: dict[str, np.ndarray] = {}
        # channels
        chans = plan.channels
        self.lines = [ch.lines for ch in chans]
        self.in_system = [0] * len(chans)
        self.concurrency = [ch.concurrency for ch in chans]
        self.stretch = [ch.stretch for ch in chans]
        # A channel's queue is worked while it is open and, after closing, its waiting contacts
        # are still answered (they arrived while it was open), unless the channel keeps
        # after-hours arrivals for the next opening (after_hours = 'queue').
        self.channel_open = [ch.open.at(0.0) > 0.5 or not ch.hold_when_closed for ch in chans]
        self.channel_patience = [plan.config.channels[ch.name].patience for ch in chans]
        self._init_journeys()
        self._init_relationship()
        self._make_queues()
        ng = len(plan.groups)
        # per group: queues it may take from, with the wait needed first (overflow)
        self.group_queues: list[list[tuple[Queue, float]]] = [[] for _ in range(ng)]
        for q in self.qlist:
            ch, t = q.channel, q.ctype
            for r, groups in enumerate(plan.ranks.get((ch, t), [])):
                for g in groups:
                    self.group_queues[g].append((q, r * plan.overflow_delay[t]))
        self.chat_queues = [
            [(q, d) for q, d in gq if self.concurrency[q.channel] > 1] for gq in self.group_queues
        ]
        self.ranks = plan.ranks
        # handle time multiplier by group and contact type: 1 / proficiency
        self.slowness = [
            [1.0 / g.proficiency.get(plan.type_skill[t], 1.0) for t in range(len(plan.type_names))]
            for g in plan.groups
        ]
        # agents
        self.agent_group: list[int] = []
        self.load: list[int] = []
        self.cur_channel: list[int] = []
        self.leaving: list[bool] = []
        self.idle_since: list[float] = []
        self.joined: list[float] = []
        self.idle: list[deque[int]] = [deque() for _ in range(ng)]
        self.partial: list[list[dict[int, None]]] = [[{} for _ in range(ng)] for _ in range(len(chans))]
        self.members: list[list[int]] = [[] for _ in range(ng)]
        self.present = [0] * ng  # members not leaving
        self.spans: list[tuple[int, int, float, float]] = []  # group, agent, start, end
        self.open_contacts = 0
        self.next_arrival = 0
        self.arrivals_done = False
        self.done = env.event()
        self.group_chats = [any(chans[c].concurrency > 1 for c in g.channels) for g in plan.groups]
        # The per-contact path schedules millions of timers. A timer is the pair (callback,
        # payload) in the place of the event on the environment's event queue, at its time with
        # normal priority and the environment's next event id, where ``Environment.schedule``
        # would put an event; ``engine.run_until`` calls ``callback(payload)`` when it is due.
        self._queue: Any = env._queue
        self._eid: Any = env._eid
        self._push: Any = heappush
        # Arrivals are not timers: they come in time order from the block's columns, and
        # ``engine.run_until`` merges them with the event queue (``due``: the next one's time).
        self.due = math.inf
        # timers whose payload names a contact: renumbered when a block's contacts are carried over
        self.per_contact_callbacks = (
            self._abandon,
            self._end,
            self._talk_end,
            self._overflow,
            self._arrive_created,
            self._offer_callback,
            self._urgent,
            self._personal_timeout,
            self._partner_after,
            self._partner_end,
        )
        self.has_personal = bool(self.personal_groups)
        # groups whose agents take one contact at a time, have no personal customers, and serve
        # no journey: the common case the per-contact path inlines
        self.plain_group = [
            not chats and g not in self.personal_groups and not self.journeys_on
            for g, chats in enumerate(self.group_chats)
        ]
        self.fifo = plan.fifo_across_priorities
        self._init_patience()
        # per group: its only queue, when it serves one and without overflow delay
        self.solo = [gq[0][0] if len(gq) == 1 and not gq[0][1] else None for gq in self.group_queues]
        self._load_block(0)

    # ------------------------------------------------------------------ scheduling
    def _at(self, delay: float, callback: Callable[[Any], None], payload: object) -> None:
        """Call ``callback(payload)`` after ``delay``."""
        self._push(self._queue, (self.env._now + delay, NORMAL, next(self._eid), (callback, payload)))

    def start(self) -> None:
        """Schedule arrivals, staffing changes and opening hours."""
        for g, gp in enumerate(self.plan.groups):
            for t, v in gp.staffing.changes():
                if t < self.plan.horizon:
                    self._at(t, self._staff, (g, int(v)))
        for c, ch in enumerate(self.plan.channels):
            for t, v in ch.open.changes()[1:]:
                if t < self.plan.horizon:
                    self._at(t, self._open, (c, v > 0.5))
        self._schedule_block()
        self._at(self.plan.horizon, self._finish, None)

    # ------------------------------------------------------------------ contacts
    def arrive(self) -> None:
        """The next arrival of the block is due (``engine.run_until`` calls it at ``due``)."""
        i = self.next_arrival
        self.next_arrival = i + 1
        if i + 1 < self.block_end:
            self.due = self.arrival[i + 1]
        else:
            self.due = math.inf
            if self.block + 1 == len(self.blocks):
                self._arrivals_over()
        now = self.env._now
        q = self.qlist[self.qid[i]]
        if self.journeys_on or self.closed[i] or q.lines is not None or not self.channel_open[q.channel]:
            self._accept(i, now)
            return
        # the common case inlined (the per-contact path is the engine's hot loop): no journey
        # policy, channel open, no line limit; the same as _accept does for it
        self.open_contacts += 1
        g = q.fast_group
        if g >= 0:  # one able group, no chat: the longest-idle agent is the deque's head
            idle = self.idle[g]
            if idle:
                self._serve_one(i, idle.popleft(), now)
                return
        elif self._route(i, q, now):
            return
        self._enqueue(i, q, now)

    def _arrive_created(self, i: int) -> None:
        """A contact created during the run (retrial, repeat, callback, ...) arrives."""
        self._accept(i, self.env._now)

    def _accept(self, i: int, now: float) -> None:
        q = self.qlist[self.qid[i]]
        c = q.channel
        if (self.closed[i] or self.journeys_on) and self._arrival_policies(i, c, now):
            return
        lines = q.lines
        if lines is not None:
            if self.in_system[c] >= lines:
                self._end_at_arrival(i, BLOCKED)
                if self.journeys_on:
                    self._gave_up(i, BLOCKED)
                return
            self.in_system[c] += 1
        self.open_contacts += 1
        if not self.journeys_on:
            if self.channel_open[c]:
                g = q.fast_group
                if g >= 0:  # one able group, no chat: the longest-idle agent is the deque's head
                    idle = self.idle[g]
                    if idle:
                        self._serve_one(i, idle.popleft(), now)
                        return
                elif self._route(i, q, now):
                    return
            self._enqueue(i, q, now)
            return
        if self.ack[c] is not None:
            self._acknowledge(i, c, q, now)
        if self.channel_open[c]:
            if (
                self.has_personal
                and self.personal_group[self.segment[i]] >= 0
                and self.identified[i]
                and self.origin[i] not in (3, 6)  # not a callback: those go to the pool
                and self._personal_arrival(i, now)
            ):
                self._start_patience(i)
                return
            if self._route(i, q, now):
                return
        self._enqueue(i, q, now)
        if self.status[i] == WAITING and not self._queued_policies(i, c, now):
            self._partner_check(i, q, now)

    def _enqueue(self, i: int, q: Queue, now: float, patience_set: bool = False) -> None:
        """Contact ``i`` waits in queue ``q``."""
        self.status[i] = WAITING
        q.items.append(i)
        q.waiting += 1
        if not patience_set and not q.expires:
            self._start_patience(i)
        if q.delay:
            for r in range(1, len(q.ranks)):
                self._at(r * q.delay, self._overflow, (i, r))

    def _end_at_arrival(self, i: int, outcome: int) -> None:
        self.status[i] = DONE
        self.outcome[i] = outcome
        if self.arrivals_done:
            self._check_done()

    def _route(self, i: int, q: Queue, now: float, up_to: int = 0) -> bool:
        """Offer contact ``i`` to a free agent of its able groups; True if one took it."""
        c = q.channel
        delayed = q.delay > 0
        for r, groups in enumerate(q.ranks):
            if r > up_to and delayed:
                break
            a = routing.longest_idle(groups, self.idle, self.idle_since)
            if a is not None:
                self.idle[self.agent_group[a]].popleft()
                self._serve(i, a, now)
                return True
            conc = self.concurrency[c]
            if conc > 1:
                a = routing.least_loaded(groups, self.partial[c], self.load, conc)
                if a is not None:
                    self._serve(i, a, now)
                    return True
        return False

    def _overflow(self, payload: tuple[int, int]) -> None:
        i, r = payload
        if self.status[i] == WAITING and self.target[i] < 0 and self.channel_open[self.channel[i]]:
            q = self.qlist[self.qid[i]]
            if self._route(i, q, self.env._now, up_to=r):
                q.waiting -= 1  # it stays in the deque until it reaches the head (not waiting)

    def _leave_system(self, i: int) -> None:
        q = self.qlist[self.qid[i]]
        if q.lines is not None:  # callbacks hold no line (their queues have none)
            self.in_system[q.channel] -= 1
        self.open_contacts -= 1
        if self.arrivals_done:
            self._check_done()

    def _check_done(self) -> None:
        if self.open_contacts == 0 and self.plan.drain and not self.done.triggered:
            self.done.succeed()

    # ------------------------------------------------------------------ service
    def _serve(self, i: int, a: int, now: float) -> None:
        c = self.channel[i]
        self.status[i] = IN_SERVICE
        self.wait[i] = now - self.arrival[i]
        self.agent[i] = a
        h = self.base_handle[i] * self.slowness[self.agent_group[a]][self.ctype[i]]
        if self.served_by[i] == NOBODY:
            self.served_by[i] = POOL
        if self.journeys_on:
            h, fate = self._handle_time(i, h)
            if fate >= 0:
                self.outcome[i] = fate  # declined, or a non-service call transferred
        if self.concurrency[c] > 1:
            h = self._chat_taken(a, c, h)
        else:
            self.load[a] = 1
            self.cur_channel[a] = c  # so a recalled agent on a call is not taken for a chat agent
        w = self.base_wrap[i]
        self.talk[i] = h
        self.wrap[i] = w
        if w > 0 and self.qlist[self.qid[i]].lines is not None:
            self._push(self._queue, (now + h, NORMAL, next(self._eid), (self._talk_end, i)))
        else:
            self._push(self._queue, (now + h + w, NORMAL, next(self._eid), (self._end, i)))

    def _serve_one(self, i: int, a: int, now: float) -> None:
        """``_serve`` when no journey policy is on and the channel takes one contact at a time
        (the hot path). ``served_by`` and ``resolved`` of such contacts are set at the end of
        the block (``ContactStore._batch``)."""
        self.status[i] = IN_SERVICE
        self.wait[i] = now - self.arrival[i]
        self.agent[i] = a
        h = self.base_handle[i] * self.slowness[self.agent_group[a]][self.ctype[i]]
        self.load[a] = 1
        self.cur_channel[a] = self.channel[i]  # its group may take chats too: not while on this
        w = self.base_wrap[i]
        self.talk[i] = h
        self.wrap[i] = w
        if w > 0 and self.qlist[self.qid[i]].lines is not None:
            self._push(self._queue, (now + h, NORMAL, next(self._eid), (self._talk_end, i)))
        else:
            self._push(self._queue, (now + h + w, NORMAL, next(self._eid), (self._end, i)))

    def _next_queue(self, queues: list[tuple[Queue, float]], now: float) -> Queue | None:
        """The queue whose head a freed agent of these ``queues`` takes (``routing.choose_queue``
        over this replication's columns), or None."""
        return routing.choose_queue(
            queues, now, self.arrival, self.status, self.channel_open, self.fifo, self.patience
        )

    def _chat_taken(self, a: int, c: int, h: float) -> float:
        """Agent ``a`` takes one more chat: its load, partial-load set and stretched handle time."""
        load = self.load[a] + 1
        self.load[a] = load
        self.cur_channel[a] = c
        g = self.agent_group[a]
        part = self.partial[c][g]
        if load < self.concurrency[c]:
            part[a] = None
        else:
            part.pop(a, None)
        return h * (1.0 + self.stretch[c] * (load - 1)) if load > 1 else h

    def _talk_end(self, i: int) -> None:
        self.in_system[self.channel[i]] -= 1
        self._at(self.wrap[i], self._end, i)

    def _end(self, i: int) -> None:
        c = self.channel[i]
        self.status[i] = DONE
        if self.outcome[i] == UNFINISHED:
            self.outcome[i] = SERVED
            if self.journeys_on:
                self._service_ended(i, self.resolution[self.ctype[i]])
            # else: resolved, set for all served contacts at the block's end
        if self.lines[c] is not None and not (self.wrap[i] > 0) and self.qlist[self.qid[i]].lines is not None:
            self.in_system[c] -= 1
        self.open_contacts -= 1
        a = self.agent[i]
        load = self.load[a] - 1
        self.load[a] = load
        g = self.agent_group[a]
        if load or self.leaving[a] or not self.plain_group[g]:
            self._free(a, self.env._now)
        else:  # the common case of _free inlined: an agent of a group without chats or seats
            now = self.env._now
            q = self.solo[g]
            if q is not None:  # the group's only queue: its head, if anyone waits
                if (
                    not q.items
                    or not self.channel_open[q.channel]
                    or q.head(self.status, now, self.arrival, self.patience) is None
                ):
                    q = None
            else:
                q = self._next_queue(self.group_queues[g], now)
            if q is None:
                self.idle_since[a] = now
                self.idle[g].append(a)
            else:
                q.waiting -= 1
                self._serve_one(q.items.popleft(), a, now)
        if self.arrivals_done:
            self._check_done()

    def _free(self, a: int, now: float) -> None:
        """Agent ``a`` has capacity again: take waiting work, or become idle."""
        g = self.agent_group[a]
        load = self.load[a]
        if self.leaving[a]:
            if load == 0:
                self._depart(a, now)
            return
        if load:  # a chat agent still holding chats: only more chats of that channel
            c = self.cur_channel[a]
            self._take_chats(a, g, c, now)
            if self.load[a] < self.concurrency[c]:
                self.partial[c][g][a] = None
            return
        if self.group_chats[g]:
            for part in self.partial:
                part[g].pop(a, None)
        if self.has_personal and self.personal_queues[a] and self._take_personal(a, now):
            return
        q = self._next_queue(self.group_queues[g], now)
        if q is None:
            self.idle_since[a] = now
            self.idle[g].append(a)
            return
        i = q.items.popleft()
        q.waiting -= 1
        self._serve(i, a, now)
        c = q.channel
        if self.concurrency[c] > 1:
            self._take_chats(a, g, c, now)

    def _take_chats(self, a: int, g: int, c: int, now: float) -> None:
        conc = self.concurrency[c]
        queues = [(q, d) for q, d in self.chat_queues[g] if q.channel == c]
        while self.load[a] < conc:
            q = self._next_queue(queues, now)
            if q is None:
                return
            q.waiting -= 1
            self._serve(q.items.popleft(), a, now)

    def _finish(self, _payload: None) -> None:
        if not self.done.triggered:
            self.done.succeed()

    def close(self) -> None:
        """At the end: contacts still open are 'unfinished'; all go to the sink; agents' spans
        are closed."""
        now = self.env._now
        for g in range(len(self.members)):
            for a in list(self.members[g]):
                self._depart(a, now)
        self._sweep_expired(now)
        status = self._np("status")
        open_ = (status == WAITING) | (status == IN_SERVICE)
        self._np("outcome")[open_] = UNFINISHED
        self._np("served_by")[status == WAITING] = NOBODY
        self.sink(self._batch(status != PENDING))
