"""Agents and queues of ``Centre``: staffing changes, opening hours, the queues themselves.

A mixin of ``Centre`` (see ``centre.py``). Staffing follows the plan's step function per group:
agents join (and take waiting work at once) or leave; idle agents leave first, the others
finish the contact in hand. Opening a channel sends its idle agents to the waiting contacts.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from ccsim.model.journeys import LANE_CALLBACK, LANE_NORMAL, LANE_URGENT
from ccsim.model.routing import Queue
from ccsim.model.sampling import stream


class QueueSetup:
    """Mixin: the queues, and which queue a contact waits in."""

    def _make_queues(self: Any) -> None:
        """One queue per (channel, type, routing segment, lane) a contact can be in: lane 0 the
        ordinary queue, lane 1 callbacks (after real-time contacts), lane 2 urgent callbacks."""
        plan, cfg = self.plan, self.plan.config
        head_start = cfg.routing.priority == "head_start"
        segs = list(cfg.segments.values())
        with_callbacks = {
            c for c, ch in enumerate(cfg.channels.values()) if ch.callback or ch.after_hours == "voicemail"
        }
        self.queues: dict[tuple[int, int, int, int], Queue] = {}
        routed = set(plan.combos)  # an unrecognised caller waits as its 'otherwise' segment
        for ch, t, g in plan.combos:
            if segs[g].identification is not None:
                routed.add((ch, t, plan.segment_index(segs[g].identification.otherwise)))
        for ch, t, g in sorted(routed):
            ranks = plan.ranks.get((ch, t), [])
            fast = ranks[0][0] if len(ranks) == 1 and len(ranks[0]) == 1 else -1
            seg_prio = 0 if head_start else plan.segment_priority[g]  # head start: waits decide
            prio = self.type_priority[t] if self.type_priority[t] is not None else seg_prio
            for lane in (LANE_NORMAL, LANE_CALLBACK, LANE_URGENT):
                if lane != LANE_NORMAL and ch not in with_callbacks:
                    continue
                q = Queue(
                    ch,
                    t,
                    g,
                    -1 if lane == LANE_URGENT else prio,
                    deferred=(lane == LANE_CALLBACK) or not plan.channels[ch].realtime,
                    ranks=ranks,
                    delay=plan.overflow_delay[t],
                    fast_group=fast if plan.channels[ch].concurrency == 1 else -1,
                )
                q.head_start = segs[g].head_start if head_start and lane == LANE_NORMAL else 0.0
                q.lines = plan.channels[ch].lines if lane == LANE_NORMAL else None  # callbacks: none
                self.queues[(ch, t, g, lane)] = q
        self.qlist = list(self.queues.values())
        for q in self.qlist:
            q.same_channel = [qq for qq in self.qlist if qq.channel == q.channel]
            q.ahead = [qq for qq in q.same_channel if qq.priority <= q.priority and qq.deferred == q.deferred]
        self.qindex = {key: k for k, key in enumerate(self.queues)}
        ns, nt = len(plan.segment_names), len(plan.type_names)
        self.qlookup = np.full(len(plan.channels) * nt * ns, -1, dtype=np.int32)
        for (ch, t, g, lane), k in self.qindex.items():
            if lane == LANE_NORMAL:
                self.qlookup[(ch * nt + t) * ns + g] = k
        ident = [s.identification for s in segs]
        self.otherwise = [plan.segment_index(x.otherwise) if x else -1 for x in ident]
        self.ident_share = [x.share if x else 1.0 for x in ident]

    def route_segment(self: Any, seg: int, identified: bool) -> int:
        """The segment a contact is routed as: an unrecognised one as its 'otherwise' segment."""
        return seg if identified or self.otherwise[seg] < 0 else self.otherwise[seg]

    def queue_of(self: Any, channel: np.ndarray, ctype: np.ndarray, segment: np.ndarray, block: int) -> tuple:
        """Queue index and identification of a block's arrivals (caller identification drawn)."""
        identified = np.ones(len(channel), dtype=bool)
        route = segment.copy()
        for s, share in enumerate(self.ident_share):
            if share < 1.0:
                mask = segment == s
                u = stream(self.seed, self.replication, f"identify/{s}/{block}").random(int(mask.sum()))
                identified[mask] = u < share
                route[mask & ~identified] = self.otherwise[s]
        ns, nt = len(self.plan.segment_names), len(self.plan.type_names)
        return self.qlookup[(channel * nt + ctype) * ns + route], identified

    def customers_of(self: Any, segment: np.ndarray, block: int) -> np.ndarray:
        """Customer ids of a block's arrivals: each a new customer, except in segments with
        personal agents, whose contacts come from the segment's customer base."""
        ids = np.arange(self.n_seen, self.n_seen + len(segment), dtype=np.int64)
        for s, p in enumerate(self.personal):
            if p is not None:
                mask = segment == s
                rng = stream(self.seed, self.replication, f"customer/{s}/{block}")
                ids[mask] = (s + 1) * 10**12 + rng.integers(0, p.customers, int(mask.sum()))
        return ids


class Workforce:
    """Mixin: agents joining and leaving, channels opening and closing."""

    def _staff(self: Any, payload: tuple[int, int]) -> None:
        g, target = payload
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
                self._seat_joined(a, g)
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

    def _capacity(self: Any, a: int) -> int:
        c = self.cur_channel[a]
        return self.concurrency[c] if c >= 0 else 1

    def _depart(self: Any, a: int, now: float) -> None:
        g = self.agent_group[a]
        self.members[g].remove(a)
        self.spans.append((g, a, self.joined[a], now))
        self._seat_left(a, now)

    def _open(self: Any, payload: tuple[int, bool]) -> None:
        c, is_open = payload
        self.channel_open[c] = is_open or not self.plan.channels[c].hold_when_closed
        if not is_open:
            return
        now = self.env._now
        for g, gp in enumerate(self.plan.groups):
            if c in gp.channels:
                self._dispatch_idle(g, now)

    def _dispatch_idle(self: Any, g: int, now: float) -> None:
        """Idle agents of group ``g`` take waiting work, longest idle first."""
        idle = self.idle[g]
        keep: deque[int] = deque()
        while idle:
            a = idle.popleft()
            q = self._next_queue(self.group_queues[g], now)
            if q is None:
                keep.append(a)
                keep.extend(idle)
                idle.clear()
                break
            q.waiting -= 1
            self._serve(q.items.popleft(), a, now)
            if self.concurrency[q.channel] > 1:
                self._take_chats(a, g, q.channel, now)
        idle.extend(keep)
