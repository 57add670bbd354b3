"""A contact's arrival with journey policies on: a part of ``Centre``.

With any journey policy on, every arrival (drawn or created during the run) takes this path
(``Centre.arrive`` and ``arrive_created`` call ``JourneyArrivals.accept``): proactive
prevention and channel choice for drawn arrivals, the policies at arrival, lines, the
acknowledgement, personal routing, then routing or the queue and the policies of a queued
contact. Without journey policies the centre's own lean path takes arrivals.
"""

from __future__ import annotations

from ccsim.model.choice import ChannelChoice
from ccsim.model.patience import Patience
from ccsim.model.proactive import Proactive
from ccsim.model.promises import Promises
from ccsim.model.relationship import Parts, Relationship
from ccsim.model.store import ARRIVAL, BLOCKED, CALLBACK_MADE, VOICEMAIL_CALLBACK, WAITING


class JourneyArrivals:
    """The arrival path of contacts when journey policies are on."""

    def __init__(
        self,
        parts: Parts,
        relationship: Relationship,
        promises: Promises,
        patience: Patience,
        proactive: Proactive | None,
        choice: ChannelChoice | None,
    ) -> None:
        c = parts.contacts
        self.flow, self.journeys, self.relationship = parts.flow, parts.journeys, relationship
        self.promises, self.proactive, self.choice = promises, proactive, choice
        self.in_system, self.channel_open = parts.in_system, parts.channel_open
        self.qlist = parts.queues.qlist
        self.origin, self.qid, self.closed, self.status = c.origin, c.qid, c.closed, c.status
        self.segment, self.identified = c.segment, c.identified
        self.self_service_code, self.u_nonservice = c.self_service_code, c.u_nonservice
        # per channel: the share of non-service calls (0: none; the policy looks at those below)
        self.nonservice_share = [x.share if x is not None else 0.0 for x in self.journeys.non_service]
        self.ack = self.journeys.ack
        self.has_personal = bool(relationship.personal_groups)
        self.personal_group = relationship.personal_group
        self._start_patience = patience.start

    def accept(self, i: int, now: float) -> None:
        """Contact ``i`` arrives at ``now``."""
        if self.origin[i] == ARRIVAL:
            if self.proactive is not None and self.proactive.prevented(i, now):
                return  # a customer a proactive contact reached does not come
            if self.choice is not None:
                self.choice.choose(i, now)  # it may arrive on another channel
        q = self.qlist[self.qid[i]]
        c = q.channel
        if (  # the policies at arrival, for the contacts they can touch (they do nothing to others)
            self.closed[i] or self.self_service_code[i] or self.u_nonservice[i] < self.nonservice_share[c]
        ) and self.journeys.arrival_policies(i, c, now):
            return
        lines = q.lines
        if lines is not None:
            if self.in_system[c] >= lines:
                self.flow.end_at_arrival(i, BLOCKED)
                self.journeys.gave_up(i, BLOCKED)
                return
            self.in_system[c] += 1
        self.flow.open_contacts += 1
        if self.ack[c] is not None:
            self.promises.acknowledge(i, c, q, now)
        if self.channel_open[c]:
            if (
                self.has_personal
                and self.personal_group[self.segment[i]] >= 0
                and self.identified[i]
                and self.origin[i] not in (CALLBACK_MADE, VOICEMAIL_CALLBACK)  # those go to the pool
                and self.relationship.personal_arrival(i, now)
            ):
                self._start_patience(i)
                return
            if self.flow.route(i, q, now):
                return
        self.flow.enqueue(i, q, now)
        if self.status[i] == WAITING and not self.journeys.queued_policies(i, c, now):
            self.relationship.partner_check(i, q, now)
