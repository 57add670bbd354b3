"""Compile a validated config into a ``Plan``: names as indices, schedules as step functions.

The plan is static (no randomness); ``sampling`` draws the contacts of one replication from it
and ``centre`` simulates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ccsim.config import limits
from ccsim.config.loader import reachable
from ccsim.config.schema import ScenarioConfig, ServiceLevel
from ccsim.distributions import Distribution
from ccsim.model import timeline
from ccsim.model.policies import Policies, compile_policies
from ccsim.model.proactiveplan import compile_proactive
from ccsim.model.rotaplan import RotaPlan, compile_rota
from ccsim.model.siteplan import SitePlan, capped, compile_sites, local_agents
from ccsim.model.timeline import Clock, Floats, Step
from ccsim.model.wellbeingplan import WellbeingPlan, compile_wellbeing


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
    service_level: ServiceLevel | None  # threshold, target and definition (None: no SL)


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
    rota: RotaPlan | None = None  # absence, breaks and blocks (None: on duty as staffed)
    wellbeing: WellbeingPlan | None = None  # recovery pauses and fatigue (None: never tire)


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
    partner_names: list[str]  # outsourcing partners, in the config's order
    # (channel, type) -> ranks of able groups; rank r is tried after r x overflow delay
    ranks: dict[tuple[int, int], list[list[int]]]
    overflow_delay: list[float]  # per type
    busyness: Distribution | None
    fifo_across_priorities: bool
    # every (channel, type, queue segment) a contact can be in, demand and journeys included
    combos: list[tuple[int, int, int]]
    policies: Policies  # journey and routing policies by index: the engine reads these
    config: ScenarioConfig
    sites: SitePlan | None = None  # several sites (None: one implicit site)
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


@dataclass(frozen=True)
class _Names:
    """The index of each name of a config: channels, contact types, segments, skills."""

    channels: dict[str, int]
    types: dict[str, int]
    segments: dict[str, int]
    skills: dict[str, int]

    @staticmethod
    def of(cfg: ScenarioConfig) -> _Names:
        skills: list[str] = []  # the agents' skills in the order met, then the types' own
        for g in cfg.agents.values():
            skills += [s for s in g.proficiency if s not in skills]
        for tname, t in cfg.contact_types.items():
            if (t.skill or tname) not in skills:
                skills.append(t.skill or tname)
        return _Names(
            channels={n: i for i, n in enumerate(cfg.channels)},
            types={n: i for i, n in enumerate(cfg.contact_types)},
            segments={n: i for i, n in enumerate(cfg.segments)},
            skills={n: i for i, n in enumerate(skills)},
        )


def compile_plan(cfg: ScenarioConfig, base_dir: Path) -> Plan:
    """The plan of a validated config; files it names (rates, staffing) are read relative to
    ``base_dir`` (``ConfigError`` when a schedule or a file is wrong)."""
    sc = cfg.scenario
    clock = Clock(sc)
    horizon = clock.end + (sc.drain_limit if sc.drain else 0.0)
    names = _Names.of(cfg)
    type_skill = [names.skills[t.skill or n] for n, t in cfg.contact_types.items()]
    sites = compile_sites(cfg, horizon)
    groups = _groups(cfg, names, clock, base_dir, horizon, sites)
    streams = _streams(cfg, names, clock, base_dir)
    return Plan(
        clock=clock,
        horizon=horizon,
        drain=sc.drain,
        channels=_channels(cfg, clock, horizon),
        segment_names=list(names.segments),
        segment_priority=[s.priority for s in cfg.segments.values()],
        patience=[s.patience for s in cfg.segments.values()],
        type_names=list(names.types),
        type_skill=type_skill,
        handle=_handle(cfg),
        wrap=[t.wrap_up for t in cfg.contact_types.values()],
        skill_names=list(names.skills),
        streams=streams,
        groups=groups,
        partner_names=list(cfg.partners),
        ranks=_ranks(cfg, type_skill, groups),
        overflow_delay=[t.overflow_delay for t in cfg.contact_types.values()],
        busyness=sc.busyness,
        fifo_across_priorities=cfg.routing.queue_selection == "longest_waiting",
        combos=sorted((names.channels[c], names.types[t], names.segments[g]) for c, t, g in reachable(cfg)),
        policies=_policies(cfg, clock, streams),
        config=cfg,
        sites=sites,
        meta={"name": sc.name},
    )


def _policies(cfg: ScenarioConfig, clock: Clock, streams: list[StreamPlan]) -> Policies:
    """The policies by index, proactive campaigns included (they need the demand's rates)."""
    policies = compile_policies(cfg)
    if not cfg.proactive:
        return policies
    rates = [(s.rate.times, s.rate.values, dict(zip(s.types, s.type_shares, strict=True))) for s in streams]
    return replace(policies, proactive=compile_proactive(cfg, clock, rates, policies.scope))


def _channels(cfg: ScenarioConfig, clock: Clock, horizon: float) -> list[ChannelPlan]:
    return [
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
            service_level=c.service_level,
        )
        for n, c in cfg.channels.items()
    ]


def _handle(cfg: ScenarioConfig) -> dict[tuple[int, int], Distribution]:
    """The handle time of each (contact type, channel)."""
    return {
        (ti, ci): t.handle_on(cn)
        for ti, t in enumerate(cfg.contact_types.values())
        for ci, cn in enumerate(cfg.channels)
    }


def _streams(cfg: ScenarioConfig, names: _Names, clock: Clock, base_dir: Path) -> list[StreamPlan]:
    streams = []
    for i, d in enumerate(cfg.demand):
        tmix = d.contact_type if isinstance(d.contact_type, dict) else {d.contact_type: 1.0}
        smix = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        streams.append(
            StreamPlan(
                index=i,
                channel=names.channels[d.channel],
                rate=timeline.demand_rate(d, i, clock, base_dir),
                types=[names.types[t] for t in tmix],
                type_shares=[float(v) / sum(tmix.values()) for v in tmix.values()],
                segments=[names.segments[s] for s in smix],
                segment_shares=[float(v) / sum(smix.values()) for v in smix.values()],
            )
        )
    return streams


def _groups(
    cfg: ScenarioConfig, names: _Names, clock: Clock, base_dir: Path, horizon: float, sites: SitePlan | None
) -> list[GroupPlan]:
    """The agent groups; at several sites, shifts in the site's local time and the staffing
    capped by the site's hours."""
    agents = local_agents(cfg) if sites is not None else cfg.agents
    return [
        GroupPlan(
            name=n,
            staffing=capped(timeline.staffing(g, n, clock, base_dir, horizon), sites, k),
            channels=frozenset(names.channels[c] for c in g.channels),
            proficiency={names.skills[s]: p for s, p in g.proficiency.items()},
            rota=compile_rota(n, g),
            wellbeing=compile_wellbeing(g),
        )
        for k, (n, g) in enumerate(agents.items())
    ]


def _ranks(
    cfg: ScenarioConfig, type_skill: list[int], groups: list[GroupPlan]
) -> dict[tuple[int, int], list[list[int]]]:
    """The ranks of able groups of each (channel, type): all able groups in one rank, or the
    type's listed groups, one rank each in the order given."""
    group_index = {g.name: i for i, g in enumerate(groups)}
    ranks: dict[tuple[int, int], list[list[int]]] = {}
    for ci in range(len(cfg.channels)):
        for ti, t in enumerate(cfg.contact_types.values()):
            skill = type_skill[ti]
            able = [gi for gi, g in enumerate(groups) if ci in g.channels and skill in g.proficiency]
            if t.groups:
                order = [group_index[g] for g in t.groups if group_index[g] in able]
                ranks[(ci, ti)] = [[g] for g in order]
            else:
                ranks[(ci, ti)] = [able] if able else []
    return ranks


def check_plan(plan: Plan) -> list[str]:
    """Agents on duty and the expected contacts of one replication, against the limits of
    ``ccsim.config.limits`` (before any replication runs)."""
    problems = []
    agents = sum(float(np.max(g.staffing.values)) for g in plan.groups)
    if agents > limits.MAX_AGENTS:
        problems.append(
            f"agents: up to {agents:,.0f} agents on duty at once; at most {limits.MAX_AGENTS:,} are allowed"
        )
    busy = plan.busyness.mean if plan.busyness is not None else 1.0
    expected = busy * sum(_integral(s.rate.times, s.rate.values, plan.clock.end) for s in plan.streams)
    if not expected <= limits.MAX_CONTACTS:  # also catches an overflow to inf or nan
        problems.append(
            f"demand: about {expected:,.4g} arrivals expected per replication (warm-up "
            f"included); at most {limits.MAX_CONTACTS:,} are allowed: check the rates' units, the "
            "volumes and the duration"
        )
    return problems


def _integral(times: Floats, values: Floats, end: float) -> float:
    """The integral of a step function over ``[0, end)``."""
    edges = np.append(np.minimum(times, end), end)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(values * np.diff(edges)))


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
        policies=plan.policies.with_patience_scaled(patience).with_demand_scaled(demand),
        config=config,
    )
