"""The agents' well-being in one replication: recovery pauses and fatigue, agent by agent.

For the groups with ``agents.NAME.wellbeing`` (``wellbeingplan.WellbeingPlan``):

- A **busy stretch** starts when an agent takes a contact after a rest: when it joined (an agent
  back from a break joins afresh), after a recovery pause, or after at least ``rest`` idle. It
  runs on through shorter idle gaps.
- **Fatigue**: the handle time (talk and wrap-up) of a contact taken ``s`` seconds into a
  stretch is multiplied by ``min(1 + fatigue x s / 3600, fatigue_max)``. The contact's drawn
  handle time stays the customer's (``base_handle``); the factor is the agent's, applied when
  the agent takes the contact, so the customers' random numbers do not change.
- **Recovery pauses**: when an agent's last contact in hand ends, it takes a pause of ``pause``
  (off the phones, as a break) if its occupancy over the last ``window`` (busy time / window, a
  time before it joined counting as idle) is above ``occupancy_cap``, or if it has taken
  ``max_contacts`` contacts in the stretch. The pause ends the stretch; it does not clear the
  window, so an agent kept busy returns to another pause soon (the cap holds its occupancy).
  An agent due to leave (end of its shift, a break) leaves instead, and a paused agent leaves
  first after the idle ones when its group's staffing drops (``Workforce._release``).

No random numbers are drawn here. The busy periods, pauses and longest stretches go to the
records (``ccsim.agentload``): rolling occupancy, pause time, longest busy stretch.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsim.model.flow import Flow
from ccsim.model.plan import Plan
from ccsim.model.routing import Queue
from ccsim.model.scheduler import Scheduler
from ccsim.model.wellbeingplan import WellbeingPlan
from ccsim.model.workforce import AgentPool

SPAN = [("group", np.int32), ("agent", np.int32), ("start", float), ("end", float)]
NOT = math.nan  # not busy, not on a pause


@dataclass(frozen=True)
class LoadLog:
    """What one replication's agents with well-being rules leave for the records."""

    busy: NDArray[np.void]  # SPAN: each period an agent held at least one contact
    pauses: NDArray[np.void]  # SPAN: each recovery pause
    longest: NDArray[np.float64]  # per group: the longest busy stretch ending after the warm-up (s)
    window: NDArray[np.float64]  # per group: its rolling occupancy's window (0: no rules)


class Wellbeing:
    """Busy stretches, fatigue and recovery pauses of the agents of the groups with rules."""

    def __init__(
        self, plan: Plan, sched: Scheduler, pool: AgentPool, flow: Flow, depart: Callable[[int, float], None]
    ) -> None:
        self.rules: list[WellbeingPlan | None] = [g.wellbeing for g in plan.groups]
        self.on = any(r is not None for r in self.rules)
        self.sched, self.pool, self.flow = sched, pool, flow
        self.warmup = plan.clock.warmup
        self.depart = depart  # an agent leaves (``Workforce.depart``)
        # per agent, grown as agents are seen
        self.busy_from: list[float] = []  # start of the busy period in progress (NOT: none)
        self.last_end: list[float] = []  # end of the last busy period (-inf: rested)
        self.stretch_from: list[float] = []  # start of the busy stretch
        self.taken: list[int] = []  # contacts taken in the stretch
        self.paused: list[float] = []  # start of the pause in progress (NOT: none)
        self.recent: list[deque[tuple[float, float]]] = []  # busy periods within the window
        self.resting: list[dict[int, None]] = [{} for _ in plan.groups]  # agents on a pause
        self.busy_log: list[tuple[int, int, float, float]] = []
        self.pause_log: list[tuple[int, int, float, float]] = []
        self.longest = [0.0] * len(plan.groups)

    def take_general_path(self, plain_group: list[bool], qlist: list[Queue]) -> None:
        """Groups with rules take the centre's general path (``serve``, ``free``), where the
        hooks are, not its lean paths (which stay as they were for the other groups)."""
        cared = {g for g, rule in enumerate(self.rules) if rule is not None}
        for g in cared:
            plain_group[g] = False
        for q in qlist:
            if q.fast_group in cared:
                q.fast_group = -1

    def _grow(self, a: int) -> None:
        while len(self.busy_from) <= a:
            self.busy_from.append(NOT)
            self.last_end.append(-math.inf)
            self.stretch_from.append(0.0)
            self.taken.append(0)
            self.paused.append(NOT)
            self.recent.append(deque())

    def factor(self, a: int, now: float) -> float:
        """Agent ``a`` takes a contact: its stretch goes on (or starts); the handle-time factor."""
        rule = self.rules[self.pool.agent_group[a]]
        if rule is None:
            return 1.0
        self._grow(a)
        if math.isnan(self.busy_from[a]):
            self.busy_from[a] = now
            if now - self.last_end[a] >= rule.rest:
                self.stretch_from[a] = now
                self.taken[a] = 0
        self.taken[a] += 1
        return rule.factor(now - self.stretch_from[a])

    def rests(self, a: int, now: float) -> bool:
        """Agent ``a`` holds no contact: True if it is (or now goes) on a pause."""
        g = self.pool.agent_group[a]
        rule = self.rules[g]
        if rule is None:
            return False
        self._grow(a)
        if not math.isnan(self.paused[a]):
            return True  # its pause's end frees it
        start = self.busy_from[a]
        if math.isnan(start):
            return False  # not after a contact (it joined, or was recalled)
        self._busy_ended(a, g, start, now, rule)
        if self.pool.leaving[a] or not rule.pauses:
            return False
        if (0 < rule.max_contacts <= self.taken[a]) or self._occupancy(a, now, rule.window) > rule.cap:
            self.paused[a] = now
            self.resting[g][a] = None
            self.sched.after(rule.pause, self._resume, a)
            return True
        return False

    def _busy_ended(self, a: int, g: int, start: float, now: float, rule: WellbeingPlan) -> None:
        self.busy_from[a] = NOT
        self.last_end[a] = now
        self.busy_log.append((g, a, start, now))
        if rule.cap < math.inf:
            self.recent[a].append((start, now))
        if now > self.warmup and now - self.stretch_from[a] > self.longest[g]:
            self.longest[g] = now - self.stretch_from[a]

    def _occupancy(self, a: int, now: float, window: float) -> float:
        """Busy time of agent ``a`` over the last ``window`` seconds, as a share of it."""
        since = now - window
        recent = self.recent[a]
        while recent and recent[0][1] <= since:
            recent.popleft()
        return sum(min(e, now) - max(s, since) for s, e in recent) / window

    def _resume(self, a: int) -> None:
        """The pause of agent ``a`` is over (unless it left during it)."""
        if math.isnan(self.paused[a]):
            return
        now = self.sched.now
        self._end_pause(a, now)
        self.flow.free(a, now)

    def _end_pause(self, a: int, now: float) -> None:
        g = self.pool.agent_group[a]
        self.pause_log.append((g, a, self.paused[a], now))
        self.paused[a] = NOT
        self.last_end[a] = -math.inf  # rested: the next contact starts a new stretch
        del self.resting[g][a]

    def release(self, g: int, drop: int, now: float) -> int:
        """Up to ``drop`` agents of group ``g`` on a pause leave now; how many are still to go."""
        resting = self.resting[g]
        while drop and resting:
            a = next(reversed(resting))  # the most recent pause first
            self._end_pause(a, now)
            self.pool.present[g] -= 1
            self.depart(a, now)
            drop -= 1
        return drop

    def close(self, now: float) -> LoadLog:
        """At the end of the run: the pauses and busy periods still open end now."""
        for a, since in enumerate(self.busy_from):
            if not math.isnan(since):
                g = self.pool.agent_group[a]
                self.busy_log.append((g, a, since, now))
        for resting in self.resting:
            for a in list(resting):
                self._end_pause(a, now)
        return LoadLog(
            busy=np.array(self.busy_log, dtype=SPAN),
            pauses=np.array(self.pause_log, dtype=SPAN),
            longest=np.array(self.longest, dtype=float),
            window=np.array([r.window if r is not None else 0.0 for r in self.rules]),
        )
