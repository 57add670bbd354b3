"""The queues of a replication, and which queue a contact waits in.

One queue per (channel, contact type, routing segment, lane) a contact can be in: lane 0 the
ordinary queue, lane 1 callbacks (worked after real-time contacts), lane 2 callbacks and
acknowledged e-mails near their promise (before them). Caller identification decides the routing
segment: an unrecognised caller waits as its segment's 'otherwise' segment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ccsim.model import sites
from ccsim.model.plan import Plan
from ccsim.model.routing import Queue
from ccsim.model.sampling import stream
from ccsim.model.timeline import Ints

LANE_NORMAL, LANE_CALLBACK, LANE_URGENT = 0, 1, 2


class Queues:
    """The queues (``qlist``, by index; ``queues`` by key) and the lookups into them."""

    def __init__(self, plan: Plan, seed: int, replication: int) -> None:
        self.plan = plan
        self.seed = seed
        self.replication = replication
        pol = plan.policies
        head_start = pol.head_start_priority
        with_callbacks = {
            c for c, p in enumerate(pol.after_hours) if pol.callback[c] is not None or p == "voicemail"
        }
        with_urgent = with_callbacks | {
            c for c, a in enumerate(pol.acknowledgement) if a is not None and a.urgent_before is not None
        }
        self.queues: dict[tuple[int, int, int, int], Queue] = {}
        routed = set(plan.combos)  # an unrecognised caller waits as its 'otherwise' segment
        for ch, t, g in plan.combos:
            who = pol.identification[g]
            if who is not None:
                routed.add((ch, t, plan.segment_index(who.otherwise)))
        for ch, t, g in sorted(routed):
            ranks = plan.ranks.get((ch, t), [])
            fast = ranks[0][0] if len(ranks) == 1 and len(ranks[0]) == 1 else -1
            seg_prio = 0 if head_start else plan.segment_priority[g]  # head start: waits decide
            type_prio = pol.type_priority[t]
            prio = type_prio if type_prio is not None else seg_prio
            for lane in (LANE_NORMAL, LANE_CALLBACK, LANE_URGENT):
                if (lane == LANE_CALLBACK and ch not in with_callbacks) or (
                    lane == LANE_URGENT and ch not in with_urgent
                ):
                    continue
                q = Queue(
                    ch,
                    t,
                    g,
                    -1 if lane == LANE_URGENT else prio,
                    # urgent work (a promise near) goes before real-time work, even e-mail
                    deferred=lane == LANE_CALLBACK
                    or (lane == LANE_NORMAL and not plan.channels[ch].realtime),
                    ranks=ranks,
                    delay=plan.overflow_delay[t],
                    fast_group=fast if plan.channels[ch].concurrency == 1 else -1,
                )
                q.head_start = pol.head_start[g] if head_start and lane == LANE_NORMAL else 0.0
                q.lines = plan.channels[ch].lines if lane == LANE_NORMAL else None  # callbacks: none
                self.queues[(ch, t, g, lane)] = q
        self.qlist = list(self.queues.values())
        self.site_copies: NDArray[np.int32] | None = None  # per queue and site: its copy there
        if plan.sites is not None:
            self.qlist, copies = sites.localised(self.qlist, plan)
            self.site_copies = np.array(copies, dtype=np.int32)
        for q in self.qlist:
            q.same_channel = [qq for qq in self.qlist if qq.channel == q.channel]
            q.ahead = [qq for qq in q.same_channel if qq.priority <= q.priority and qq.deferred == q.deferred]
        self.qindex = {key: k for k, key in enumerate(self.queues)}
        ns, nt = len(plan.segment_names), len(plan.type_names)
        self.qlookup = np.full(len(plan.channels) * nt * ns, -1, dtype=np.int32)
        for (ch, t, g, lane), k in self.qindex.items():
            if lane == LANE_NORMAL:
                self.qlookup[(ch * nt + t) * ns + g] = k
        ident = pol.identification
        self.otherwise = [plan.segment_index(x.otherwise) if x else -1 for x in ident]
        self.ident_share = [x.share if x else 1.0 for x in ident]

    def route_segment(self, seg: int, identified: bool) -> int:
        """The segment a contact is routed as: an unrecognised one as its 'otherwise' segment."""
        return seg if identified or self.otherwise[seg] < 0 else self.otherwise[seg]

    def index(self, channel: int, ctype: int, segment: int, lane: int) -> int:
        """The index of the queue of a (recognised) contact of this channel, type and segment."""
        return self.qindex[(channel, ctype, self.route_segment(segment, True), lane)]

    def queue_of(
        self, channel: Ints, ctype: Ints, segment: Ints, block: int
    ) -> tuple[Ints, NDArray[np.bool_]]:
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

    def at_site(self, k: int, of_queue: int) -> int:
        """The copy of queue ``k`` at the site of queue ``of_queue`` (a created contact waits at
        the site of the contact it came from); ``k`` itself with one implicit site."""
        copies = self.site_copies
        return k if copies is None else int(copies[k, self.qlist[of_queue].site])

    def placed(self, qid: Ints, site: Ints) -> Ints:
        """The queues of a block's arrivals at the sites they are offered to."""
        assert self.site_copies is not None
        placed: Ints = self.site_copies[qid, site]
        return placed

    def site_of(self) -> Ints:
        """The site of each queue, by index."""
        return np.array([q.site for q in self.qlist], dtype=np.int32)

    def renumber(self, remap: Mapping[int, int]) -> None:
        """Contacts carried over to the next block get new indices; the others leave."""
        for q in self.qlist:
            q.items = deque(remap[i] for i in q.items if i in remap)
