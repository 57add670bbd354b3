"""Compile a validated scenario into a ``Plan``: names as indices, schedules as step functions.

The plan is static (no randomness); ``sampling`` draws the contacts of one replication from it
and ``centre`` simulates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ccsim.config.loader import Scenario, reachable
from ccsim.config.schema import ScenarioConfig
from ccsim.distributions import Distribution
from ccsim.model import timeline
from ccsim.model.policies import Policies, compile_policies
from ccsim.model.timeline import Clock, Step


@dataclass(frozen=True)
class ChannelPlan:
    name: str
    kind: str
    realtime: bool
    lines: int | None
    concurrency: int
    stretch: float
    open: Step
    lose_when_closed: bool
    hold_when_closed: bool  # after_hours = 'queue': waiting contacts wait for the opening
    sl_within: float | None


@dataclass(frozen=True)
class StreamPlan:
    """One demand stream: its rate and the mixes of types and segments (as indices)."""

    index: int
    channel: int
    rate: Step
    types: list[int]
    type_shares: list[float]
    segments: list[int]
    segment_shares: list[float]


@dataclass(frozen=True)
class GroupPlan:
    name: str
    staffing: Step
    channels: frozenset[int]
    proficiency: dict[int, float]  # skill index -> proficiency


@dataclass(frozen=True)
class Plan:
    """Everything the model needs, with names replaced by indices."""

    clock: Clock
    horizon: float  # end of the measured time plus the longest drain
    drain: bool
    channels: list[ChannelPlan]
    segment_names: list[str]
    segment_priority: list[int]
    patience: list[Distribution | None]
    type_names: list[str]
    type_skill: list[int]
    handle: dict[tuple[int, int], Distribution]  # (type, channel) -> handle time
    wrap: list[Distribution | None]
    skill_names: list[str]
    streams: list[StreamPlan]
    groups: list[GroupPlan]
    # (channel, type) -> ranks of able groups; rank r is tried after r x overflow delay
    ranks: dict[tuple[int, int], list[list[int]]]
    overflow_delay: list[float]  # per type
    busyness: Distribution | None
    fifo_across_priorities: bool
    # every (channel, type, queue segment) a contact can be in, demand and journeys included
    combos: list[tuple[int, int, int]]
    policies: Policies  # journey and routing policies by index: the engine reads these
    config: ScenarioConfig
    meta: dict[str, object] = field(default_factory=dict)

    def channel_index(self, name: str) -> int:
        return self.channel_names.index(name)

    def type_index(self, name: str) -> int:
        return self.type_names.index(name)

    def segment_index(self, name: str) -> int:
        return self.segment_names.index(name)

    def group_index(self, name: str) -> int:
        return self.group_names.index(name)

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]


def compile_plan(scn: Scenario) -> Plan:
    cfg = scn.config
    sc = cfg.scenario
    clock = Clock(sc)
    horizon = clock.end + (sc.drain_limit if sc.drain else 0.0)
    ch_names = list(cfg.channels)
    ch_index = {n: i for i, n in enumerate(ch_names)}
    channels = [
        ChannelPlan(
            name=n,
            kind=c.kind,
            realtime=c.realtime,
            lines=c.lines,
            concurrency=c.concurrency,
            stretch=c.concurrency_stretch,
            open=timeline.opening(c.hours, clock, horizon),
            lose_when_closed=c.closed_policy == "lost",
            hold_when_closed=c.closed_policy == "queue",
            sl_within=c.service_level.within if c.service_level else None,
        )
        for n, c in cfg.channels.items()
    ]
    seg_names = list(cfg.segments)
    seg_index = {n: i for i, n in enumerate(seg_names)}
    type_names = list(cfg.contact_types)
    type_index = {n: i for i, n in enumerate(type_names)}
    skill_names: list[str] = []
    for g in cfg.agents.values():
        for s in g.proficiency:
            if s not in skill_names:
                skill_names.append(s)
    for tname, t in cfg.contact_types.items():
        s = t.skill or tname
        if s not in skill_names:
            skill_names.append(s)
    skill_index = {n: i for i, n in enumerate(skill_names)}
    type_skill = [skill_index[t.skill or n] for n, t in cfg.contact_types.items()]
    handle = {
        (ti, ci): t.handle_on(cn)
        for ti, t in enumerate(cfg.contact_types.values())
        for ci, cn in enumerate(ch_names)
    }
    streams = []
    for i, d in enumerate(cfg.demand):
        tmix = d.contact_type if isinstance(d.contact_type, dict) else {d.contact_type: 1.0}
        smix = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        streams.append(
            StreamPlan(
                index=i,
                channel=ch_index[d.channel],
                rate=timeline.demand_rate(d, i, clock, scn.base_dir),
                types=[type_index[t] for t in tmix],
                type_shares=[float(v) / sum(tmix.values()) for v in tmix.values()],
                segments=[seg_index[s] for s in smix],
                segment_shares=[float(v) / sum(smix.values()) for v in smix.values()],
            )
        )
    groups = [
        GroupPlan(
            name=n,
            staffing=timeline.staffing(g, n, clock, scn.base_dir, horizon),
            channels=frozenset(ch_index[c] for c in g.channels),
            proficiency={skill_index[s]: p for s, p in g.proficiency.items()},
        )
        for n, g in cfg.agents.items()
    ]
    group_index = {g.name: i for i, g in enumerate(groups)}
    ranks: dict[tuple[int, int], list[list[int]]] = {}
    for ci in range(len(channels)):
        for ti, t in enumerate(cfg.contact_types.values()):
            skill = type_skill[ti]
            able = [gi for gi, g in enumerate(groups) if ci in g.channels and skill in g.proficiency]
            if t.groups:
                # only the listed groups serve this type, in the order given
                order = [group_index[g] for g in t.groups if group_index[g] in able]
                ranks[(ci, ti)] = [[g] for g in order]
            else:
                ranks[(ci, ti)] = [able] if able else []
    return Plan(
        clock=clock,
        horizon=horizon,
        drain=sc.drain,
        channels=channels,
        segment_names=seg_names,
        segment_priority=[s.priority for s in cfg.segments.values()],
        patience=[s.patience for s in cfg.segments.values()],
        type_names=type_names,
        type_skill=type_skill,
        handle=handle,
        wrap=[t.wrap_up for t in cfg.contact_types.values()],
        skill_names=skill_names,
        streams=streams,
        groups=groups,
        ranks=ranks,
        overflow_delay=[t.overflow_delay for t in cfg.contact_types.values()],
        busyness=sc.busyness,
        fifo_across_priorities=cfg.routing.queue_selection == "longest_waiting",
        combos=sorted((ch_index[c], type_index[t], seg_index[g]) for c, t, g in reachable(cfg)),
        policies=compile_policies(cfg),
        config=cfg,
        meta={"name": sc.name},
    )


def scaled_plan(plan: Plan, demand: float = 1.0, handle: float = 1.0, patience: float = 1.0) -> Plan:
    """The plan with every demand stream's rate multiplied by ``demand``, every handle and
    wrap-up time by ``handle`` and every patience (of segments and of channels) by ``patience``:
    what a sensitivity analysis varies. Everything else, staffing included, is kept."""
    if min(demand, handle, patience) <= 0:
        raise ValueError(f"scale factors must be > 0 (got {demand}, {handle}, {patience})")
    streams = [replace(s, rate=Step(s.rate.times, s.rate.values * demand)) for s in plan.streams]
    config = plan.config
    if patience != 1.0:
        channels = {
            n: c.model_copy(update={"patience": c.patience.scaled(patience)}) if c.patience is not None else c
            for n, c in config.channels.items()
        }
        config = config.model_copy(update={"channels": channels})
    return replace(
        plan,
        streams=streams,
        handle={k: d.scaled(handle) for k, d in plan.handle.items()},
        wrap=[w.scaled(handle) if w is not None else None for w in plan.wrap],
        patience=[p.scaled(patience) if p is not None else None for p in plan.patience],
        policies=plan.policies.with_patience_scaled(patience),
        config=config,
    )
