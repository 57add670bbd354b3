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

Choice = Sequence[tuple[Queue, float]]
Choose = Callable[[Choice, float], "Queue | None"]


class Blending:
    """The blending rule of a replication, per agent group."""

    def __init__(
        self, spec: BlendingSpec, group_queues: list[list[tuple[Queue, float]]], idle: list[deque[int]]
    ):
        self.rule = spec.rule
        self.reserve = spec.reserve or 0
        self.queue_below = spec.queue_below or 0
        self.idle = idle
        self.group_queues = group_queues
        self.realtime = [[(q, d) for q, d in gq if not q.deferred] for gq in group_queues]
        self.deferred = [[(q, d) for q, d in gq if q.deferred] for gq in group_queues]
        self.blends = [bool(r and d) for r, d in zip(self.realtime, self.deferred, strict=True)]
        self.reserving = self.rule == "reserve"

    def applies(self, queues: Choice, g: int) -> bool:
        """Whether the rule decides for a freed agent of group ``g`` choosing among ``queues``
        (all its queues; not, say, more chats of the channel it is on)."""
        return self.blends[g] and queues is self.group_queues[g]

    def next_queue(self, g: int, now: float, choose: Choose) -> Queue | None:
        """The queue whose head a freed agent of blended group ``g`` takes, by the rule."""
        queues = self.group_queues[g]
        if self.reserving:
            return choose(queues if len(self.idle[g]) >= self.reserve else self.realtime[g], now)
        if sum(q.waiting for q, _ in self.realtime[g]) > self.queue_below:
            return choose(queues, now)  # real-time first
        first = choose(self.deferred[g], now)
        return first if first is not None else choose(queues, now)

    def unreserved(self, groups: list[int]) -> list[int]:
        """Of ``groups``, those whose idle agents may take a deferred arrival now ('reserve'):
        a blended group only while more than ``reserve`` of its agents are idle."""
        return [g for g in groups if not self.blends[g] or len(self.idle[g]) > self.reserve]
