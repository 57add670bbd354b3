"""The policies of the customer's journey and of routing, compiled from the config by index.

``compile_plan`` builds a ``Policies`` into the plan, so the engine never reads the config:
per channel, per segment, per contact type and per demand stream, in the plan's order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ccsim.config.policies import (
    Acknowledgement,
    Announcement,
    Blending,
    Callback,
    Escalation,
    Identification,
    NonService,
    Partner,
    Personal,
    Repeat,
    Retrial,
    SelfService,
)
from ccsim.config.schema import ScenarioConfig
from ccsim.distributions import Distribution
from ccsim.model.choiceplan import ChoicePlan, ScopePlan, compile_choice, compile_scope
from ccsim.model.proactiveplan import CampaignPlan
from ccsim.model.timeline import Floats


@dataclass(frozen=True)
class Policies:
    """Everything the centre needs of the config besides the plan's schedules."""

    # per channel
    channel_patience: list[Distribution | None]  # overrides the segment's
    after_hours: list[str]  # 'lost', 'queue', 'voicemail' or 'fallback'
    fallback_channel: list[str | None]
    non_service: list[NonService | None]
    announcement: list[Announcement | None]
    callback: list[Callback | None]
    acknowledgement: list[Acknowledgement | None]
    promise_by_segment: list[list[float | None]]  # a fixed promise by segment, overriding the channel's
    # per segment
    retrial: list[Retrial | None]
    personal: list[Personal | None]
    identification: list[Identification | None]
    head_start: list[float]  # with head-start priority (``head_start_priority``)
    patience_profile: list[Floats | None]  # factors on patience per interval of the day from 00:00
    # per contact type
    resolution: list[float]
    repeat: list[Repeat | None]
    escalation: list[Escalation | None]
    decline: list[Distribution | None]  # time to decline it (out of scope, declined), else None
    type_priority: list[int | None]  # overrides the segment's
    # per demand stream
    self_service: list[SelfService | None]
    partners: list[Partner]
    head_start_priority: bool  # routing.priority = 'head_start'
    deferred_by_promise: bool  # routing.deferred_order = 'promise'
    blending: Blending  # routing.blending
    # customers who react (model/choiceplan.py)
    choice: ChoicePlan | None = None  # customers choose their channel
    scope: ScopePlan | None = None  # fewer out-of-scope arrivals
    proactive: tuple[CampaignPlan, ...] = ()  # outbound campaigns (model/proactiveplan.py)

    @property
    def journeys_on(self) -> bool:
        """Whether any journey policy is on (else the centre takes its lean paths)."""
        return (
            any(x is not None for x in [*self.non_service, *self.announcement, *self.callback])
            or any(x is not None for x in self.acknowledgement)
            or any(p not in ("lost", "queue") for p in self.after_hours)
            or any(x is not None for x in [*self.retrial, *self.repeat, *self.escalation, *self.decline])
            or any(r < 1.0 for r in self.resolution)
            or bool(self.partners)
            or any(x is not None for x in self.self_service)
            or any(p is not None for p in self.personal)
            or self.choice is not None
            or bool(self.proactive)
        )

    def with_demand_scaled(self, factor: float) -> Policies:
        """The policies with every demand stream's rate multiplied by ``factor``."""
        if factor == 1.0 or not self.proactive:
            return self
        return replace(self, proactive=tuple(c.with_demand_scaled(factor) for c in self.proactive))

    def with_patience_scaled(self, factor: float) -> Policies:
        """The policies with every channel's patience multiplied by ``factor``."""
        scaled = [p.scaled(factor) if p is not None else None for p in self.channel_patience]
        return replace(self, channel_patience=scaled)


def compile_policies(cfg: ScenarioConfig) -> Policies:
    """The config's policies by index (channels, segments, types, demand in the config's order)."""
    chans = list(cfg.channels.values())
    segs = list(cfg.segments.values())
    types = list(cfg.contact_types.values())
    decline = cfg.routing.out_of_scope == "decline"
    return Policies(
        channel_patience=[ch.patience for ch in chans],
        after_hours=[ch.closed_policy for ch in chans],
        fallback_channel=[ch.fallback_channel for ch in chans],
        non_service=[ch.non_service for ch in chans],
        announcement=[ch.announcement for ch in chans],
        callback=[ch.callback for ch in chans],
        acknowledgement=[ch.acknowledgement for ch in chans],
        promise_by_segment=[
            [ch.acknowledgement.segments.get(s) if ch.acknowledgement else None for s in cfg.segments]
            for ch in chans
        ],
        retrial=[s.retrial for s in segs],
        personal=[s.personal for s in segs],
        identification=[s.identification for s in segs],
        head_start=[s.head_start for s in segs],
        patience_profile=[None if (f := s.patience_profile) is None else np.asarray(f) for s in segs],
        resolution=[t.resolution for t in types],
        repeat=[t.repeat for t in types],
        escalation=[t.escalation for t in types],
        decline=[t.decline if (decline and not t.in_scope) else None for t in types],
        type_priority=[t.priority for t in types],
        self_service=[d.self_service for d in cfg.demand],
        partners=list(cfg.partners.values()),
        head_start_priority=cfg.routing.priority == "head_start",
        deferred_by_promise=cfg.routing.deferred_order == "promise",
        blending=cfg.routing.blending,
        choice=compile_choice(cfg),
        scope=compile_scope(cfg),
    )
