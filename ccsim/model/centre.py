"""The SimPy model of the centre for one replication.

Built for speed (DESIGN.md section 6): contacts are indices into column lists, agents are
integers in free-lists per group, and every handler is a callback on a plain SimPy event.
Patience timers are set only for contacts that queue and are ignored when they fire late.
Routing decisions are delegated to ``ccsim.model.routing``.
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
from ccsim.model.plan import Plan
from ccsim.model.routing import Queue
from ccsim.model.sampling import blocks, busyness_factors, sample_contacts

# contact status
PENDING, WAITING, IN_SERVICE, DONE = 0, 1, 2, 3
# outcome codes (names in OUTCOMES)
SERVED, ABANDONED, BLOCKED, CLOSED, UNFINISHED = 0, 1, 2, 3, 4
OUTCOMES = ("served", "abandoned", "blocked", "closed", "unfinished")


class _Timer:
    """A bare SimPy event for the engine's own timers: all ``Environment.step`` needs of an
    event is its callbacks and that it succeeded; slots make it cheap to create."""

    __slots__ = ("_value", "callbacks")
    _ok = True
    _value: Any
    callbacks: list[Any] | None


class Centre:
    """Agents, queues and lines of one replication, driven by ``simpy.Environment``."""

    # per-contact columns (see COLUMNS): memoryviews of the current block's numpy arrays
    arrival: Any
    channel: Any
    ctype: Any
    segment: Any
    base_handle: Any
    base_wrap: Any
    patience: Any
    lost_closed: Any
    qid: Any
    cid: Any
    status: Any
    outcome: Any
    wait: Any
    talk: Any
    wrap: Any
    agent: Any

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
        self.lose_closed = [ch.lose_when_closed for ch in chans]
        # A channel's queue is worked while it is open; one that loses after-hours arrivals also
        # answers, after closing, the contacts already waiting (they arrived while it was open).
        # One that queues after-hours arrivals keeps them for the next opening.
        self.channel_open = [ch.open.at(0.0) > 0.5 or ch.lose_when_closed for ch in chans]
        # queues: one per (channel, type, segment) that demand can produce
        self.queues: dict[tuple[int, int, int], Queue] = {}
        for s in plan.streams:
            for t in s.types:
                for g in s.segments:
                    key = (s.channel, t, g)
                    if key not in self.queues:
                        ranks = plan.ranks.get((s.channel, t), [])
                        fast = ranks[0][0] if len(ranks) == 1 and len(ranks[0]) == 1 else -1
                        self.queues[key] = Queue(
                            s.channel,
                            t,
                            g,
                            plan.segment_priority[g],
                            deferred=not chans[s.channel].realtime,
                            ranks=ranks,
                            delay=plan.overflow_delay[t],
                            fast_group=fast if chans[s.channel].concurrency == 1 else -1,
                        )
        self.qlist = list(self.queues.values())
        for q in self.qlist:
            q.lines = chans[q.channel].lines
        ncode = len(plan.segment_names) * len(plan.type_names)
        self.qlookup = np.full(len(chans) * ncode, -1, dtype=np.int32)
        for k, (ch, t, g) in enumerate(self.queues):
            self.qlookup[ch * ncode + t * len(plan.segment_names) + g] = k
        self.lose = np.array([ch.lose_when_closed for ch in chans], dtype=bool)
        ng = len(plan.groups)
        # per group: queues it may take from, with the wait needed first (overflow)
        self.group_queues: list[list[tuple[Queue, float]]] = [[] for _ in range(ng)]
        for (ch, t, _seg), q in self.queues.items():
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
        # The per-contact path schedules hundreds of thousands of timers: callback lists are made
        # once and shared (SimPy only iterates them), and a timer goes straight onto the
        # environment's event queue, exactly as ``Environment.schedule`` would put it there.
        self._queue: Any = env._queue
        self._eid: Any = env._eid
        self._push: Any = heappush
        self._arrive_cbs: list[Any] = [self._arrive]
        self._end_cbs: list[Any] = [self._end]
        self._talk_end_cbs: list[Any] = [self._talk_end]
        self._noop_cbs: list[Any] = [_noop]
        self._load_block(0)

    # ------------------------------------------------------------------ scheduling
    def _at(self, delay: float, callback: Callable[[Any], None], payload: object) -> None:
        ev = _Timer()
        ev._value = payload
        ev.callbacks = [callback]
        self._push(self._queue, (self.env._now + delay, NORMAL, next(self._eid), ev))

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

    # ------------------------------------------------------------------ blocks of contacts
    def _load_block(self, k: int, carry: dict[str, np.ndarray] | None = None) -> None:
        """Columns for the contacts still in the system (``carry``) followed by block k's arrivals."""
        t0, t1 = self.blocks[k]
        c = sample_contacts(self.plan, self.seed, self.replication, k, (t0, t1), self.factors)
        nb = len(c)
        ns, nt = len(self.plan.segment_names), len(self.plan.type_names)
        new = {
            "arrival": c.arrival,
            "channel": c.channel,
            "ctype": c.ctype,
            "segment": c.segment,
            "base_handle": c.handle,
            "base_wrap": c.wrap,
            "patience": c.patience,
            # arrived while the channel was closed, and the channel loses such contacts
            "lost_closed": (c.closed & self.lose[c.channel]).astype(np.int8),
            "qid": self.qlookup[c.channel * ns * nt + c.ctype * ns + c.segment],
            "cid": np.arange(self.n_seen, self.n_seen + nb, dtype=np.int64),
            "status": np.full(nb, PENDING, dtype=np.int8),
            "outcome": np.full(nb, UNFINISHED, dtype=np.int8),
            "wait": np.full(nb, np.nan),
            "talk": np.full(nb, np.nan),
            "wrap": np.full(nb, np.nan),
            "agent": np.full(nb, -1, dtype=np.int32),
        }
        self.n_seen += nb
        live = 0 if carry is None else len(carry["arrival"])
        for name, code in COLUMNS.items():
            col = new[name] if carry is None else np.concatenate([carry[name], new[name]])
            arr = np.ascontiguousarray(col, dtype=DTYPES[code])
            self.cols[name] = arr
            setattr(self, name, memoryview(arr))  # type: ignore[arg-type]
        self.n = live + nb
        self.next_arrival = live
        self.block = k

    def _schedule_block(self) -> None:
        """The first arrival of the loaded block, and the switch to the next block."""
        if self.next_arrival < self.n:
            self._at(self.arrival[self.next_arrival] - self.env._now, self._arrive, None)
        if self.block + 1 < len(self.blocks):
            self._at(self.blocks[self.block][1] - self.env._now, self._switch, None)
        elif self.next_arrival >= self.n:
            self.arrivals_done = True
            self._check_done()

    def _switch(self, ev: _Timer) -> None:
        """At a block's end: hand finished contacts to the sink and carry the others over,
        renumbered, into the next block (timers and queues are renumbered with them)."""
        status = self.cols["status"]
        done = status == DONE
        self.sink(self._batch(done))
        live = np.flatnonzero(~done)
        remap = {int(old): new for new, old in enumerate(live.tolist())}
        carry = {name: self.cols[name][live] for name in COLUMNS}
        per_contact = (self._abandon, self._end, self._talk_end, self._overflow)
        for entry in self._queue:
            timer = entry[3]
            if not isinstance(timer, _Timer) or not timer.callbacks:
                continue
            cb = timer.callbacks[0]
            if cb not in per_contact:
                continue
            value = timer._value
            i = value if isinstance(value, int) else value[0]
            if i in remap:
                timer._value = remap[i] if isinstance(value, int) else (remap[i], value[1])
            else:  # a patience or overflow timer of a contact that has left: now a no-op
                timer.callbacks = self._noop_cbs
        for q in self.qlist:
            q.items = deque(remap[i] for i in q.items if i in remap)
        self._load_block(self.block + 1, carry)
        self._schedule_block()

    def _batch(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Result columns of the contacts selected by ``mask`` (copies)."""
        out = {name: self.cols[name][mask] for name in RESULT_COLUMNS}
        groups = np.asarray(self.agent_group, dtype=np.int32)
        agent = out["agent"]
        out["agent_group"] = np.where(agent >= 0, groups[np.maximum(agent, 0)] if len(groups) else -1, -1)
        return out

    # ------------------------------------------------------------------ contacts
    def _arrive(self, ev: _Timer) -> None:
        i = self.next_arrival
        self.next_arrival = i + 1
        now = self.env._now
        if i + 1 < self.n:
            ev.callbacks = self._arrive_cbs  # reuse the event for the next arrival
            self._push(self._queue, (self.arrival[i + 1], NORMAL, next(self._eid), ev))
        elif self.block + 1 == len(self.blocks):
            self.arrivals_done = True
        if self.lost_closed[i]:
            self._end_at_arrival(i, CLOSED)
            return
        q = self.qlist[self.qid[i]]
        c = q.channel
        lines = q.lines
        if lines is not None:
            if self.in_system[c] >= lines:
                self._end_at_arrival(i, BLOCKED)
                return
            self.in_system[c] += 1
        self.open_contacts += 1
        if self.channel_open[c]:
            g = q.fast_group
            if g >= 0:  # one able group, no chat: the longest-idle agent is the deque's head
                idle = self.idle[g]
                if idle:
                    self._serve(i, idle.popleft(), now)
                    return
            elif self._route(i, q, now):
                return
        self.status[i] = WAITING
        q.items.append(i)
        p = self.patience[i]
        if p != math.inf:
            self._at(p, self._abandon, i)
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

    def _overflow(self, ev: _Timer) -> None:
        i, r = ev._value
        if self.status[i] == WAITING and self.channel_open[self.channel[i]]:
            self._route(i, self.qlist[self.qid[i]], self.env._now, up_to=r)

    def _abandon(self, ev: _Timer) -> None:
        i = ev._value
        if self.status[i] != WAITING:
            return  # answered before its patience ran out
        self.status[i] = DONE
        self.outcome[i] = ABANDONED
        self.wait[i] = self.env._now - self.arrival[i]
        self._leave_system(i)

    def _leave_system(self, i: int) -> None:
        c = self.channel[i]
        if self.lines[c] is not None:
            self.in_system[c] -= 1
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
        if self.concurrency[c] > 1:
            h = self._chat_taken(a, c, h)
        else:
            self.load[a] = 1
        w = self.base_wrap[i]
        self.talk[i] = h
        self.wrap[i] = w
        ev = _Timer()
        ev._value = i
        if w > 0 and self.lines[c] is not None:
            ev.callbacks = self._talk_end_cbs
            self._push(self._queue, (now + h, NORMAL, next(self._eid), ev))
        else:
            ev.callbacks = self._end_cbs
            self._push(self._queue, (now + h + w, NORMAL, next(self._eid), ev))

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

    def _talk_end(self, ev: _Timer) -> None:
        i = ev._value
        self.in_system[self.channel[i]] -= 1
        self._at(self.wrap[i], self._end, i)

    def _end(self, ev: _Timer) -> None:
        i = ev._value
        c = self.channel[i]
        self.status[i] = DONE
        self.outcome[i] = SERVED
        if self.lines[c] is not None and not (self.wrap[i] > 0):
            self.in_system[c] -= 1
        self.open_contacts -= 1
        a = self.agent[i]
        self.load[a] -= 1
        self._free(a, self.env._now)
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
        q = routing.choose_queue(
            self.group_queues[g],
            now,
            self.arrival,
            self.status,
            self.channel_open,
            self.plan.fifo_across_priorities,
        )
        if q is None:
            self.idle_since[a] = now
            self.idle[g].append(a)
            return
        i = q.items.popleft()
        self._serve(i, a, now)
        c = q.channel
        if self.concurrency[c] > 1:
            self._take_chats(a, g, c, now)

    def _take_chats(self, a: int, g: int, c: int, now: float) -> None:
        conc = self.concurrency[c]
        queues = [(q, d) for q, d in self.chat_queues[g] if q.channel == c]
        while self.load[a] < conc:
            q = routing.choose_queue(
                queues,
                now,
                self.arrival,
                self.status,
                self.channel_open,
                self.plan.fifo_across_priorities,
            )
            if q is None:
                return
            self._serve(q.items.popleft(), a, now)

    # ------------------------------------------------------------------ staffing, hours
    def _staff(self, ev: _Timer) -> None:
        g, target = ev._value
        now = self.env._now
        if target > self.present[g]:
            need = target - self.present[g]
            for a in reversed(self.members[g]):  # recall agents about to leave first
                if need == 0:
                    break
                if self.leaving[a]:
                    self.leaving[a] = False
                    self.present[g] += 1
                    need -= 1
                    if self.load[a] < self._capacity(a):
                        self._free(a, now)
            for _ in range(need):
                a = len(self.agent_group)
                self.agent_group.append(g)
                self.load.append(0)
                self.cur_channel.append(-1)
                self.leaving.append(False)
                self.idle_since.append(now)
                self.joined.append(now)
                self.members[g].append(a)
                self.present[g] += 1
                self._free(a, now)
        elif target < self.present[g]:
            drop = self.present[g] - target
            idle = self.idle[g]
            while drop and idle:  # idle agents leave first, the most recently idle first
                a = idle.pop()
                self.present[g] -= 1
                self._depart(a, now)
                drop -= 1
            for a in reversed(self.members[g]):  # the others finish the contact in hand
                if drop == 0:
                    break
                if not self.leaving[a]:
                    self.leaving[a] = True
                    self.present[g] -= 1
                    for part in self.partial:
                        part[g].pop(a, None)
                    drop -= 1

    def _capacity(self, a: int) -> int:
        c = self.cur_channel[a]
        return self.concurrency[c] if c >= 0 else 1

    def _depart(self, a: int, now: float) -> None:
        g = self.agent_group[a]
        self.members[g].remove(a)
        self.spans.append((g, a, self.joined[a], now))

    def _open(self, ev: _Timer) -> None:
        c, is_open = ev._value
        self.channel_open[c] = is_open or self.plan.channels[c].lose_when_closed
        if not is_open:
            return
        now = self.env._now
        for g, gp in enumerate(self.plan.groups):
            if c in gp.channels:
                self._dispatch_idle(g, now)

    def _dispatch_idle(self, g: int, now: float) -> None:
        """Idle agents of group ``g`` take waiting work, longest idle first."""
        idle = self.idle[g]
        keep: deque[int] = deque()
        while idle:
            a = idle.popleft()
            q = routing.choose_queue(
                self.group_queues[g],
                now,
                self.arrival,
                self.status,
                self.channel_open,
                self.plan.fifo_across_priorities,
            )
            if q is None:
                keep.append(a)
                keep.extend(idle)
                idle.clear()
                break
            self._serve(q.items.popleft(), a, now)
            if self.concurrency[q.channel] > 1:
                self._take_chats(a, g, q.channel, now)
        idle.extend(keep)

    def _finish(self, ev: _Timer) -> None:
        if not self.done.triggered:
            self.done.succeed()

    def close(self) -> None:
        """At the end: contacts still open are 'unfinished'; all go to the sink; agents' spans
        are closed."""
        now = self.env._now
        status = self.cols["status"]
        open_ = (status == WAITING) | (status == IN_SERVICE)
        self.cols["outcome"][open_] = UNFINISHED
        self.sink(self._batch(status != PENDING))
        for g in range(len(self.members)):
            for a in list(self.members[g]):
                self._depart(a, now)


def _noop(ev: _Timer) -> None:
    pass


# per-contact columns and their array codes
COLUMNS = {
    "arrival": "d",
    "channel": "i",
    "ctype": "i",
    "segment": "i",
    "base_handle": "d",
    "base_wrap": "d",
    "patience": "d",
    "lost_closed": "b",
    "qid": "i",
    "cid": "q",
    "status": "b",
    "outcome": "b",
    "wait": "d",
    "talk": "d",
    "wrap": "d",
    "agent": "i",
}
DTYPES = {"d": np.float64, "i": np.int32, "b": np.int8, "q": np.int64}
RESULT_COLUMNS = ("cid", "arrival", "channel", "ctype", "segment", "outcome", "wait", "talk", "wrap", "agent")
