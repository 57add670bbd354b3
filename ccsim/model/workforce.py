"""Agents: the pool of one replication, staffing changes and opening hours.

Staffing follows the plan's step function per group: agents join (and take waiting work at
once) or leave; idle agents leave first, the others finish the contact in hand. Opening a
channel sends its idle agents to the waiting contacts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ccsim.model.flow import Flow
from ccsim.model.plan import Plan
from ccsim.model.scheduler import Scheduler
from ccsim.model.timeline import Step


class AgentPool:
    """The agents as integers: their group, load and state, and free-lists per group."""

    def __init__(self, plan: Plan) -> None:
        ng, nc = len(plan.groups), len(plan.channels)
        self.concurrency = [ch.concurrency for ch in plan.channels]
        self.stretch = [ch.stretch for ch in plan.channels]  # a chat's handle time per extra chat
        self.agent_group: list[int] = []
        self.load: list[int] = []  # contacts in hand
        self.cur_channel: list[int] = []  # the channel of those (-1: none yet)
        self.leaving: list[bool] = []
        self.idle_since: list[float] = []
        self.joined: list[float] = []
        self.idle: list[deque[int]] = [deque() for _ in range(ng)]  # longest idle at the head
        # per channel and group: chat agents holding chats with room for more
        self.partial: list[list[dict[int, None]]] = [[{} for _ in range(ng)] for _ in range(nc)]
        self.members: list[list[int]] = [[] for _ in range(ng)]
        self.present = [0] * ng  # members not leaving
        self.spans: list[tuple[int, int, float, float]] = []  # group, agent, start, end

    def join(self, g: int, now: float) -> int:
        """A new agent of group ``g``; returns its number."""
        a = len(self.agent_group)
        self.agent_group.append(g)
        self.load.append(0)
        self.cur_channel.append(-1)
        self.leaving.append(False)
        self.idle_since.append(now)
        self.joined.append(now)
        self.members[g].append(a)
        self.present[g] += 1
        return a

    def take_chat(self, a: int, c: int, h: float) -> float:
        """Agent ``a`` takes one more chat of channel ``c``: its load, partial-load set and the
        chat's handle time ``h`` stretched by the chats held at once."""
        load = self.load[a] + 1
        self.load[a] = load
        self.cur_channel[a] = c
        part = self.partial[c][self.agent_group[a]]
        if load < self.concurrency[c]:
            part[a] = None
        else:
            part.pop(a, None)
        return h * (1.0 + self.stretch[c] * (load - 1)) if load > 1 else h

    def capacity(self, a: int) -> int:
        c = self.cur_channel[a]
        return self.concurrency[c] if c >= 0 else 1

    def depart(self, a: int, now: float) -> None:
        g = self.agent_group[a]
        self.members[g].remove(a)
        self.spans.append((g, a, self.joined[a], now))

    def able_present(self, groups: list[int]) -> int:
        """Agents present (not leaving) in ``groups``."""
        return sum(map(self.present.__getitem__, groups))


class Workforce:
    """Staffing changes and opening hours, as timers of the centre's."""

    def __init__(
        self,
        plan: Plan,
        sched: Scheduler,
        pool: AgentPool,
        flow: Flow,
        channel_open: list[bool],
        seated: Callable[[int, int], None],
        unseated: Callable[[int, float], None],
        duty: list[Step] | None = None,
    ) -> None:
        self.plan = plan
        self.sched = sched
        self.pool = pool
        self.flow = flow
        self.seated = seated  # an agent joined its group (personal seats)
        self.unseated = unseated  # an agent left
        self.channel_open = channel_open  # per channel: its queue is worked
        # per group: the agents to have on duty (``rota.Rota``: absence, breaks and blocks
        # taken off the plan's staffing), else the plan's staffing
        self.duty = duty if duty is not None else [g.staffing for g in plan.groups]
        # (group, drop, now) -> still to drop: agents on a recovery pause leave after the idle
        # ones (``wellbeing.Wellbeing.release``); None without well-being rules
        self.release_paused: Callable[[int, int, float], int] | None = None

    def schedule(self, horizon: float) -> None:
        """The timers of the staffing changes and opening hours before ``horizon``."""
        for g, step in enumerate(self.duty):
            for t, v in step.changes():
                if t < horizon:
                    self.sched.after(t, self.staff, (g, int(v)))
        for c, ch in enumerate(self.plan.channels):
            for t, v in ch.open.changes()[1:]:
                if t < horizon:
                    self.sched.after(t, self.open, (c, v > 0.5))

    def staff(self, payload: tuple[int, int]) -> None:
        """Group ``g`` is to have ``target`` agents present from now."""
        g, target = payload
        now = self.sched.now
        pool = self.pool
        if target > pool.present[g]:
            need = target - pool.present[g]
            for a in reversed(pool.members[g]):  # recall agents about to leave first
                if need == 0:
                    break
                if pool.leaving[a]:
                    pool.leaving[a] = False
                    pool.present[g] += 1
                    need -= 1
                    if pool.load[a] < pool.capacity(a):
                        self.flow.free(a, now)
            for _ in range(need):
                a = pool.join(g, now)
                self.seated(a, g)
                self.flow.free(a, now)
        elif target < pool.present[g]:
            self._release(g, pool.present[g] - target, now)

    def _release(self, g: int, drop: int, now: float) -> None:
        pool = self.pool
        idle = pool.idle[g]
        while drop and idle:  # idle agents leave first, the most recently idle first
            a = idle.pop()
            pool.present[g] -= 1
            self.depart(a, now)
            drop -= 1
        if drop and self.release_paused is not None:
            drop = self.release_paused(g, drop, now)
        for a in reversed(pool.members[g]):  # the others finish the contact in hand
            if drop == 0:
                break
            if not pool.leaving[a]:
                pool.leaving[a] = True
                pool.present[g] -= 1
                for part in pool.partial:
                    part[g].pop(a, None)
                drop -= 1

    def depart(self, a: int, now: float) -> None:
        self.pool.depart(a, now)
        self.unseated(a, now)

    def open(self, payload: tuple[int, bool]) -> None:
        """Channel ``c`` opens or closes."""
        c, is_open = payload
        self.channel_open[c] = is_open or not self.plan.channels[c].hold_when_closed
        if not is_open:
            return
        now = self.sched.now
        for g, gp in enumerate(self.plan.groups):
            if c in gp.channels:
                self.flow.dispatch_idle(g, now)
