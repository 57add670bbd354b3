"""The centre of one replication: the flow of contacts through queues to agents.

Built for speed (docs/explanation/engine.md): contacts are indices into columns, agents are
integers in free-lists per group, every handler is a timer of the scheduler (``scheduler.py``,
the one boundary to SimPy). The centre is composed of typed parts with their own state, built
by ``assembly``: the contact columns and the handover at a block's end (``store``, ``blocks``),
the queues, the agent pool and staffing (``workforce``), patience, the journey policies
(``journeys``, ``arrivals``) and relationship routing; they see the centre through
``flow.Flow``. The hot paths keep references to the columns and lists they use (one
object each for the whole run). Routing decisions are delegated to ``routing``.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Callable
from functools import partial

from ccsim.model import routing
from ccsim.model.assembly import build_parts, build_routes
from ccsim.model.blocks import Handover, Sink
from ccsim.model.plan import Plan
from ccsim.model.routing import Queue
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import (
    BLOCKED,
    CHASE,
    DONE,
    IN_SERVICE,
    NOBODY,
    OUTCOMES,
    POOL,
    SERVED,
    UNFINISHED,
    WAITING,
)
from ccsim.model.wellbeing import LoadLog

__all__ = ["OUTCOMES", "Centre"]


class Centre:
    """Agents, queues and lines of one replication, driven by a ``Scheduler``."""

    def __init__(self, sched: Scheduler, plan: Plan, seed: int, replication: int, sink: Sink):
        self.sched = sched
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.sink = sink  # receives finished contacts, a batch at a time
        self.next_arrival = 0
        self.open_contacts = 0
        self.arrivals_done = False
        self.done = sched.event()
        # Arrivals are not timers: they come in time order from the block's columns, and the
        # scheduler's loop merges them with the event queue (``due``: the next one's time).
        self.due = math.inf
        self._at = sched.at
        # the bound methods of the per-contact timers, made once (not one per timer)
        self._end_timer, self._talk_end_timer = self._end, self._talk_end
        self._build_parts(sched, plan, seed, replication)
        self._build_routing(plan)
        self._cache_references()
        # timers whose payload names a contact: renumbered when a block's contacts are carried over
        rel, jr, pr = self.relationship, self.journeys, self.promises
        self.per_contact_callbacks = (self.patience.abandon, self._end, self._talk_end, self._overflow,
                                      self.arrive_created, jr.offer_callback, jr.urgent, pr.near, pr.chase,
                                      rel.personal_timeout, rel.partner_after, rel.partner_end)  # fmt: skip
        renumbers = (partial(sched.renumber, self.per_contact_callbacks), self.queues.renumber,
                     rel.renumber, pr.renumber)  # fmt: skip
        keep = self.proactive.keep if self.proactive is not None else None
        self.handover = Handover(self.days, sink, self.patience.sweep, renumbers, keep, self.agent_group)
        self.next_arrival = self.days.load(0)
        self.block_end = self.contacts.block_end

    def _build_parts(self, sched: Scheduler, plan: Plan, seed: int, replication: int) -> None:
        """The parts (``assembly.build_parts``), and the channels' lines and concurrency."""
        chans = plan.channels
        self.lines = [ch.lines for ch in chans]
        self.concurrency = [ch.concurrency for ch in chans]
        self.journeys_on = plan.policies.journeys_on
        p = build_parts(sched, plan, seed, replication, self)
        self.in_system, self.channel_open = p.in_system, p.channel_open
        self.contacts, self.queues, self.pool = p.contacts, p.queues, p.pool
        self.journeys, self.promises, self.relationship = p.journeys, p.promises, p.relationship
        self.rota, self.workforce, self.wellbeing = p.rota, p.workforce, p.wellbeing
        self.patience, self.days = p.patience, p.days
        self.choice, self.proactive = p.choice, p.proactive
        self._accept_journey = p.accept_journey

    def _build_routing(self, plan: Plan) -> None:
        """Per group: the queues it may take from (``assembly.build_routes``), and its path."""
        r = build_routes(plan, self.queues, self.pool, self.concurrency)
        self.group_queues, self.solo, self.work = r.group_queues, r.solo, r.work
        self.chat_queues, self.blending, self.blended = r.chat_queues, r.blending, r.blended
        self.slowness, self.group_chats = r.slowness, r.group_chats  # (per group)
        personal = self.relationship.personal_groups
        self.has_personal = bool(personal)
        # groups whose agents take one contact at a time, have no personal customers, and serve
        # no journey: the common case the per-contact path inlines
        self.plain_group = [
            not chats and g not in personal and not self.journeys_on
            for g, chats in enumerate(self.group_chats)
        ]
        self.wellbeing.take_general_path(self.plain_group, self.queues.qlist)  # its hooks are there
        self.wellbeing_on = self.wellbeing.on
        self.load_log: LoadLog | None = None
        self.fifo = plan.fifo_across_priorities
        self.reserving = self.blending is not None and self.blending.reserving
        self.unreserved: Callable[[list[int]], list[int]] = (
            self.blending.unreserved if self.blending else list
        )
        if self.reserving:  # deferred arrivals go through route(), which keeps the reserve
            for q in self.queues.qlist:
                q.fast_group = -1 if q.deferred else q.fast_group
        self.chasing = self.promises.chasing

    def _cache_references(self) -> None:
        """The columns, lists and bound methods of the parts that the hot paths use (each one
        object for the whole run): an attribute of the centre is one lookup, not two."""
        c = self.contacts
        self.arrival, self.channel, self.ctype = c.arrival, c.channel, c.ctype
        self.base_handle, self.base_wrap, self.patience_of = c.base_handle, c.base_wrap, c.patience
        self.closed, self.qid, self.origin = c.closed, c.qid, c.origin
        self.status, self.outcome, self.wait = c.status, c.outcome, c.wait
        self.talk, self.wrap = c.talk, c.wrap
        self.agent, self.served_by, self.target = c.agent, c.served_by, c.target
        p = self.pool
        self.agent_group, self.load = p.agent_group, p.load
        self.cur_channel, self.leaving = p.cur_channel, p.leaving
        self.idle, self.idle_since, self.partial = p.idle, p.idle_since, p.partial
        # the chat channels' partial-load sets (the others' stay empty: AgentPool.take_chat, free)
        self.chat_partial = [p.partial[c] for c, n in enumerate(self.concurrency) if n > 1]
        self._take_chat = p.take_chat
        self.qlist = self.queues.qlist
        self.nonservice_flag = c.nonservice_flag
        self.declined = [x is not None for x in self.journeys.decline]  # out of scope, declined
        self.resolution = self.journeys.resolution
        self.personal_queues = self.relationship.personal_queues
        self._start_patience = self.patience.start

    # ------------------------------------------------------------------ scheduling
    def start(self) -> None:
        """Schedule staffing changes, opening hours, the first block and the end."""
        self.workforce.schedule(self.plan.horizon)
        if self.proactive is not None:
            self.proactive.schedule()
        self._schedule_block()
        self.sched.after(self.plan.horizon, self._finish, None)

    # ------------------------------------------------------------------ blocks
    def _schedule_block(self) -> None:
        """The first arrival of the loaded block, and the switch to the next block."""
        if self.next_arrival < self.block_end:
            self.due = self.arrival[self.next_arrival]
        if not self.days.last:
            self.sched.after(self.days.end - self.sched.now, self._switch, None)
        elif self.next_arrival >= self.block_end:
            self._arrivals_over()
            self.check_done()

    def _switch(self, _payload: None) -> None:
        """At a block's end: finished contacts go to the sink, the others are carried over."""
        self.next_arrival = self.handover.next_block(self.sched.now)
        self.block_end = self.contacts.block_end
        self._schedule_block()

    def _arrivals_over(self) -> None:
        """The last arrival is due: patience runs on timers from here (``Patience``)."""
        self.arrivals_done = True
        self.patience.arrivals_over(self.sched.now)

    # ------------------------------------------------------------------ contacts
    def arrive(self) -> None:
        """The next arrival of the block is due (the scheduler calls it at ``due``)."""
        now = self.due
        i = self.next_arrival
        self.next_arrival = i + 1
        if i + 1 < self.block_end:
            self.due = self.arrival[i + 1]
        else:
            self.due = math.inf
            if self.days.last:
                self._arrivals_over()
        if self.journeys_on:
            self._accept_journey(i, now)
            return
        q = self.qlist[self.qid[i]]
        if self.closed[i] or q.lines is not None or not self.channel_open[q.channel]:
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
        elif self.route(i, q, now):
            return
        self.enqueue(i, q, now)

    def arrive_created(self, i: int) -> None:
        """A contact created during the run (retrial, repeat, callback, ...) arrives: only journey
        policies create contacts, so it takes their arrival path."""
        self._accept_journey(i, self.sched.now)

    def _accept(self, i: int, now: float) -> None:
        """An arrival without journey policies that ``arrive`` does not inline: closed channel,
        trunk lines, or a channel closed for the day's hours."""
        q = self.qlist[self.qid[i]]
        c = q.channel
        if self.closed[i] and self.journeys.arrival_policies(i, c, now):
            return  # (the policies at arrival do nothing to other contacts)
        lines = q.lines
        if lines is not None:
            if self.in_system[c] >= lines:
                self.end_at_arrival(i, BLOCKED)
                return
            self.in_system[c] += 1
        self.open_contacts += 1
        if self.channel_open[c]:
            g = q.fast_group
            if g >= 0:  # one able group, no chat: the longest-idle agent is the deque's head
                idle = self.idle[g]
                if idle:
                    self._serve_one(i, idle.popleft(), now)
                    return
            elif self.route(i, q, now):
                return
        self.enqueue(i, q, now)

    def enqueue(self, i: int, q: Queue, now: float, patience_set: bool = False) -> None:
        """Contact ``i`` waits in queue ``q``."""
        self.status[i] = WAITING
        if q.due is None:  # Queue.put inlined (the hot path)
            q.items.append(i)
        else:  # ordered by promise (routing.deferred_order = 'promise')
            insort(q.items, i, key=q.due.__getitem__)
        q.waiting += 1
        if q.marks:  # (a queue of groups of one queue each has none: Erlang-A's)
            work = self.work
            for g, bit in q.marks:
                work[g] |= bit
        if not patience_set and not q.expires:
            self._start_patience(i)
        if q.delay:
            after = q.after
            for r in range(1, len(q.ranks)):
                self.sched.after(after[r], self._overflow, (i, r))

    def end_at_arrival(self, i: int, outcome: int) -> None:
        self.status[i] = DONE
        self.outcome[i] = outcome
        if self.arrivals_done:
            self.check_done()

    def route(self, i: int, q: Queue, now: float, up_to: int = 0) -> bool:
        """Offer contact ``i`` to a free agent of its able groups; True if one took it."""
        c = q.channel
        after = q.after  # the wait before each rank (overflow delays)
        for r, groups in enumerate(q.ranks):
            if r > up_to and after[r] > after[up_to]:
                break
            if self.reserving and q.deferred:
                groups = self.unreserved(groups)
            if len(groups) == 1:  # routing.longest_idle of one group: the head of its deque
                idle = self.idle[groups[0]]
                if idle:
                    self.serve(i, idle.popleft(), now)
                    return True
            else:
                a = routing.longest_idle(groups, self.idle, self.idle_since)
                if a is not None:
                    self.idle[self.agent_group[a]].popleft()
                    self.serve(i, a, now)
                    return True
            conc = self.concurrency[c]
            if conc > 1:
                a = routing.least_loaded(groups, self.partial[c], self.load, conc)
                if a is not None:
                    self.serve(i, a, now)
                    return True
        return False

    def _overflow(self, payload: tuple[int, int]) -> None:
        i, r = payload
        if self.status[i] == WAITING and self.target[i] < 0 and self.channel_open[self.channel[i]]:
            q = self.qlist[self.qid[i]]
            if self.route(i, q, self.sched.now, up_to=r):
                q.waiting -= 1  # it stays in the deque until it reaches the head (not waiting)

    def leave_system(self, i: int) -> None:
        q = self.qlist[self.qid[i]]
        if q.lines is not None:  # callbacks hold no line (their queues have none)
            self.in_system[q.channel] -= 1
        self.open_contacts -= 1
        if self.arrivals_done:
            self.check_done()

    def check_done(self) -> None:
        if self.open_contacts == 0 and self.plan.drain and not self.done.triggered:
            self.done.succeed()

    # ------------------------------------------------------------------ service
    def serve(self, i: int, a: int, now: float) -> None:
        c = self.channel[i]
        self.status[i] = IN_SERVICE
        self.wait[i] = now - self.arrival[i]
        self.agent[i] = a
        h = self.base_handle[i] * self.slowness[self.agent_group[a]][self.ctype[i]]
        if self.served_by[i] == NOBODY:
            self.served_by[i] = POOL
        if self.journeys_on and (self.nonservice_flag[i] or self.declined[self.ctype[i]]):
            h, fate = self.journeys.handle_time(i, h)
            if fate >= 0:
                self.outcome[i] = fate  # declined, or a non-service call transferred
        if self.chasing and self.origin[i] == CHASE:
            self.promises.chase_answered(i, now)
        w = self.base_wrap[i]
        if self.wellbeing_on:  # fatigue: the agent's factor on the customer's handle time
            f = self.wellbeing.factor(a, now)
            h, w = h * f, w * f
        if self.concurrency[c] > 1:
            h = self._take_chat(a, c, h)
        else:
            self.load[a] = 1
            self.cur_channel[a] = c  # so a recalled agent on a call is not taken for a chat agent
        self.talk[i] = h
        self.wrap[i] = w
        if w > 0 and self.qlist[self.qid[i]].lines is not None:
            self._at(now + h, self._talk_end_timer, i)
        else:
            self._at(now + h + w, self._end_timer, i)

    def _serve_one(self, i: int, a: int, now: float) -> None:
        """``serve`` when no journey policy is on and the channel takes one contact at a time
        (the hot path). ``served_by`` and ``resolved`` of such contacts are set at the end of
        the block (``Contacts.batch``)."""
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
            self._at(now + h, self._talk_end_timer, i)
        else:
            self._at(now + h + w, self._end_timer, i)

    def _next_queue(self, g: int, now: float, among: int = -1) -> Queue | None:
        """The queue whose head a freed agent of group ``g`` takes (the blending rule first, if
        it applies; ``among``: a mask of the group's queues, as for more chats), or None."""
        if self.blended[g] and among == -1:
            blending = self.blending
            assert blending is not None  # groups are blended only under a blending rule
            return blending.next_queue(g, now, self._choose)
        return self._choose(g, now, among)

    def _choose(self, g: int, now: float, among: int = -1) -> Queue | None:
        """The queue whose head a freed agent of group ``g`` takes (``routing.choose_queue`` over
        this replication's columns; ``among``: a mask of the group's queues), or None."""
        if self.work[g]:
            return routing.choose_queue(
                self.group_queues[g], self.work, g, now, self.arrival, self.status,
                self.channel_open, self.fifo, self.patience_of, among,
            )  # fmt: skip
        q = self.solo[g]  # a group of one queue keeps no marks (routing.mark_work): look at it
        if q is None or not among & 1 or not q.items or not self.channel_open[q.channel]:
            return None
        return q if q.head(self.status, now, self.arrival, self.patience_of) is not None else None

    def _talk_end(self, i: int) -> None:
        self.in_system[self.channel[i]] -= 1
        self.sched.after(self.wrap[i], self._end_timer, i)

    def _end(self, i: int) -> None:
        c = self.channel[i]
        self.status[i] = DONE
        if self.outcome[i] == UNFINISHED:
            self.outcome[i] = SERVED
            if self.journeys_on:
                self.journeys.service_ended(i, self.resolution[self.ctype[i]])
            # else: resolved, set for all served contacts at the block's end
        if self.lines[c] is not None and not (self.wrap[i] > 0) and self.qlist[self.qid[i]].lines is not None:
            self.in_system[c] -= 1
        self.open_contacts -= 1
        a = self.agent[i]
        load = self.load[a] - 1
        self.load[a] = load
        g = self.agent_group[a]
        now = self.sched.now
        if load or self.leaving[a] or not self.plain_group[g]:
            self.free(a, now)
        else:  # the common case of free inlined: an agent of a group without chats or seats
            q = self.solo[g]
            if q is not None:  # the group's only queue: its head, if anyone waits
                if (
                    not q.items
                    or not self.channel_open[q.channel]
                    or q.head(self.status, now, self.arrival, self.patience_of) is None
                ):
                    q = None
            else:
                q = self._next_queue(g, now)
            if q is None:
                self.idle_since[a] = now
                self.idle[g].append(a)
            else:
                q.waiting -= 1
                self._serve_one(q.items.popleft(), a, now)
        if self.arrivals_done:
            self.check_done()

    def free(self, a: int, now: float) -> None:
        """Agent ``a`` has capacity again: take waiting work, or become idle."""
        g = self.agent_group[a]
        load = self.load[a]
        if self.wellbeing_on and load == 0 and self.wellbeing.rests(a, now):
            return  # on a recovery pause: its end frees the agent
        if self.leaving[a]:
            if load == 0:
                self.workforce.depart(a, now)
            return
        if load:  # a chat agent still holding chats: only more chats of that channel
            c = self.cur_channel[a]
            self._take_chats(a, g, c, now)
            if self.load[a] < self.concurrency[c]:
                self.partial[c][g][a] = None
            return
        if self.group_chats[g]:
            for part in self.chat_partial:
                part[g].pop(a, None)
        if self.proactive is not None and self.proactive.claim(a, g, now):
            return  # reserved for outbound proactive contacts
        if self.has_personal and self.personal_queues[a] and self.relationship.take_personal(a, now):
            return
        q = self._next_queue(g, now)
        if q is None:
            if self.proactive is not None and self.proactive.take_idle(a, g, now):
                return  # outbound work in idle time
            self.idle_since[a] = now
            self.idle[g].append(a)
            return
        i = q.items.popleft()
        q.waiting -= 1
        self.serve(i, a, now)
        c = q.channel
        if self.concurrency[c] > 1:
            self._take_chats(a, g, c, now)

    def _take_chats(self, a: int, g: int, c: int, now: float) -> None:
        conc = self.concurrency[c]
        among = self.chat_queues[g][c]
        while self.load[a] < conc:
            q = self._next_queue(g, now, among)
            if q is None:
                return
            q.waiting -= 1
            self.serve(q.items.popleft(), a, now)

    def dispatch_idle(self, g: int, now: float) -> None:
        """Idle agents of group ``g`` take waiting work, longest idle first."""
        idle = self.idle[g]
        keep: list[int] = []
        while idle:
            a = idle.popleft()
            q = self._next_queue(g, now)
            if q is None:
                keep.append(a)
                keep.extend(idle)
                idle.clear()
                break
            q.waiting -= 1
            self.serve(q.items.popleft(), a, now)
            if self.concurrency[q.channel] > 1:
                self._take_chats(a, g, q.channel, now)
        idle.extend(keep)

    def _finish(self, _payload: None) -> None:
        if not self.done.triggered:
            self.done.succeed()

    def close(self) -> None:
        """At the end: contacts still open are 'unfinished'; all go to the sink; agents' spans
        are closed."""
        now = self.sched.now
        for members in self.pool.members:
            for a in list(members):
                self.workforce.depart(a, now)
        self.patience.sweep(now)
        self.sink(self.handover.batch(self.contacts.unfinished()))
        if self.wellbeing_on:
            self.load_log = self.wellbeing.close(now)
