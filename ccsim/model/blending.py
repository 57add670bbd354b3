"""Blending rules: how agents who serve both real-time and deferred work choose their next
contact (``routing.blending``), a part of ``Centre``.

'realtime_first' is the centre's own order (``routing.choose_queue``: real-time contacts before
deferred ones) and needs no part. 'reserve': a blended group's agent takes deferred work only
while at least ``reserve`` other agents of its group are idle, so they stay free for the next
real-time arrivals. 'threshold': deferred work first while at most ``queue_below`` real-time
contacts the agent could take wait, real-time first above that. Urgent work (a callback or an
e-mail near its promise) counts as real-time. A group is *blended* when it serves both kinds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from ccsim.config.policies import Blending as BlendingSpec
from ccsim.model.routing import Queue

# the freed agent's choice among a mask of its group's queues (``Centre._choose``: group, now,
# mask; bit k for ``group_queues[g][k]``, -1 for all)
Choose = Callable[[int, float, int], "Queue | None"]


class Blending:
    """The blending rule of a replication, per agent group."""

    def __init__(
        self, spec: BlendingSpec, group_queues: list[list[tuple[Queue, float]]], idle: list[deque[int]]
    ):
        self.rule = spec.rule
        self.reserve = spec.reserve or 0
        self.queue_below = spec.queue_below or 0
        self.idle = idle
        # per group: its real-time queues, and the masks of its real-time and deferred queues
        # (as the work marks index them: bit k for the k-th of its queues, ``routing.mark_work``)
        self.realtime = [[q for q, _ in gq if not q.deferred] for gq in group_queues]
        self.realtime_mask = [_mask(gq, False) for gq in group_queues]
        self.deferred_mask = [_mask(gq, True) for gq in group_queues]
        self.blends = [bool(r and d) for r, d in zip(self.realtime_mask, self.deferred_mask, strict=True)]
        self.reserving = self.rule == "reserve"

    def next_queue(self, g: int, now: float, choose: Choose) -> Queue | None:
        """The queue whose head a freed agent of blended group ``g`` takes, by the rule (not
        for more chats of the channel it is on: those are no choice between kinds)."""
        if self.reserving:
            return choose(g, now, -1 if len(self.idle[g]) >= self.reserve else self.realtime_mask[g])
        if sum(q.waiting for q in self.realtime[g]) > self.queue_below:
            return choose(g, now, -1)  # real-time first
        first = choose(g, now, self.deferred_mask[g])
        return first if first is not None else choose(g, now, -1)

    def unreserved(self, groups: list[int]) -> list[int]:
        """Of ``groups``, those whose idle agents may take a deferred arrival now ('reserve'):
        a blended group only while more than ``reserve`` of its agents are idle."""
        return [g for g in groups if not self.blends[g] or len(self.idle[g]) > self.reserve]


def _mask(queues: Sequence[tuple[Queue, float]], deferred: bool) -> int:
    """The mask of ``queues`` (bit k for the k-th) that are deferred (or real-time)."""
    return sum(1 << k for k, (q, _) in enumerate(queues) if q.deferred == deferred)
