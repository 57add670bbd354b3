"""The parts of a centre, built from the plan for one replication.

``Centre`` (``centre.py``) is composed of typed parts with their own state; they are made here,
in the order in which they depend on each other, and see the centre only through
``flow.Flow``. ``Centre`` copies what it uses from the parts (``CentreParts``) and the routing
structures (``Routes``) onto itself, so its hot paths read one attribute, not two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ccsim.model import routing
from ccsim.model.arrivals import JourneyArrivals
from ccsim.model.blending import Blending
from ccsim.model.blocks import Blocks
from ccsim.model.choice import ChannelChoice
from ccsim.model.flow import Flow
from ccsim.model.journeys import Journeys
from ccsim.model.patience import Patience
from ccsim.model.plan import Plan
from ccsim.model.proactive import Proactive
from ccsim.model.promises import Promises
from ccsim.model.queues import Queues
from ccsim.model.relationship import Parts, Relationship
from ccsim.model.rota import Rota
from ccsim.model.routing import Queue
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import Contacts
from ccsim.model.wellbeing import Wellbeing
from ccsim.model.workforce import AgentPool, Workforce


@dataclass(frozen=True)
class CentreParts:
    """The parts of one replication's centre."""

    in_system: list[int]  # per channel: contacts holding a line
    channel_open: list[bool]  # per channel: whether its queues are worked
    contacts: Contacts
    queues: Queues
    pool: AgentPool
    journeys: Journeys
    promises: Promises
    relationship: Relationship
    rota: Rota
    workforce: Workforce
    wellbeing: Wellbeing
    patience: Patience
    days: Blocks
    choice: ChannelChoice | None
    proactive: Proactive | None
    accept_journey: Callable[[int, float], None]  # the arrival path with journey policies on


def build_parts(sched: Scheduler, plan: Plan, seed: int, replication: int, flow: Flow) -> CentreParts:
    """The parts of the centre ``flow`` for replication ``replication`` of ``seed``."""
    chans = plan.channels
    in_system = [0] * len(chans)
    # A channel's queue is worked while it is open and, after closing, its waiting contacts
    # are still answered (they arrived while it was open), unless the channel keeps
    # after-hours arrivals for the next opening (after_hours = 'queue').
    channel_open = [ch.open.at(0.0) > 0.5 or not ch.hold_when_closed for ch in chans]
    journeys_on = plan.policies.journeys_on
    contacts = Contacts(journeys_on)
    queues = Queues(plan, seed, replication)
    pool = AgentPool(plan)
    journeys = Journeys(plan, seed, replication, contacts, queues, pool, sched, flow)
    promises = Promises(plan, contacts, queues, pool, sched, flow, journeys)
    parts = Parts(
        contacts, queues, pool, sched, flow, journeys, in_system=in_system, channel_open=channel_open
    )
    rel = Relationship(plan, seed, replication, parts)
    rota = Rota(plan, seed, replication)  # absence, breaks and blocks (if any)
    workforce = Workforce(plan, sched, pool, flow, channel_open, rel.seat_joined, rel.seat_left, rota.steps)
    wellbeing = Wellbeing(plan, sched, pool, flow, workforce.depart)
    if wellbeing.on:  # recovery pauses and fatigue (agents.NAME.wellbeing)
        workforce.release_paused = wellbeing.release
    patience = Patience(contacts, queues, sched, flow, journeys.gave_up if journeys_on else None)
    days = Blocks(plan, seed, replication, contacts, queues, rel.customers_of)
    spec = plan.policies.choice  # customers who choose their channel (None: off)
    choice = ChannelChoice(spec, plan, contacts, queues, pool, journeys) if spec else None
    campaigns = plan.policies.proactive  # outbound proactive contact (None: off)
    proactive = (
        Proactive(
            campaigns, seed, replication, (contacts, pool, sched, flow), journeys.draws, len(plan.type_names)
        )
        if campaigns
        else None
    )
    arrivals = JourneyArrivals(parts, rel, promises, patience, proactive, choice)
    return CentreParts(
        in_system, channel_open, contacts, queues, pool, journeys, promises, rel, rota, workforce,
        wellbeing, patience, days, choice, proactive, arrivals.accept,
    )  # fmt: skip


@dataclass(frozen=True)
class Routes:
    """Per group: the queues it takes from, how a freed agent chooses among them, its pace."""

    group_queues: list[list[tuple[Queue, float]]]  # the queues, with the wait needed first
    solo: list[Queue | None]  # its only queue, when it serves one and without overflow delay
    work: list[int]  # (but groups of one queue) a mask of its queues that may have work
    chat_queues: list[list[int]]  # per channel: the mask of its queues of that chat channel
    blending: Blending | None  # the blending rule, unless real-time work simply comes first
    blended: list[bool]  # whether the blending rule chooses its next queue (it serves both kinds)
    slowness: list[list[float]]  # per contact type: the handle time multiplier, 1 / proficiency
    group_chats: list[bool]  # whether it serves a chat channel


def build_routes(plan: Plan, queues: Queues, pool: AgentPool, concurrency: list[int]) -> Routes:
    """The routing structures of the centre's groups over ``queues``."""
    group_queues = routing.group_queues(queues.qlist, plan.overflow_delay, len(plan.groups))
    solo = [gq[0][0] if len(gq) == 1 and not gq[0][1] else None for gq in group_queues]
    work = routing.mark_work(group_queues, [q is not None for q in solo])
    chat_queues = routing.channel_masks(group_queues, [n > 1 for n in concurrency])
    blend = plan.policies.blending
    blending = Blending(blend, group_queues, pool.idle) if blend.rule != "realtime_first" else None
    blended = blending.blends if blending is not None else [False] * len(plan.groups)
    n_types = len(plan.type_names)
    slowness = [
        [1.0 / g.proficiency.get(plan.type_skill[t], 1.0) for t in range(n_types)] for g in plan.groups
    ]
    group_chats = [any(concurrency[c] > 1 for c in g.channels) for g in plan.groups]
    return Routes(group_queues, solo, work, chat_queues, blending, blended, slowness, group_chats)
