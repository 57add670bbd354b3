"""The compiled sites of a centre: which site each agent group works at, when each site is open
(its local hours over the scenario's simulated time), each demand stream's shares of home sites,
and how contacts are routed across sites (``sites.SiteRouting`` uses it in the engine)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsim.config.schema import AgentGroup, Hours, ScenarioConfig
from ccsim.config.sites import Window
from ccsim.model import timeline
from ccsim.model.timeline import DAY, Clock, Floats, Step


@dataclass(frozen=True)
class SitePlan:
    """The sites by index, in the config's order."""

    names: list[str]
    group_site: list[int]  # per agent group: its site
    open: list[Step]  # per site: 1.0 while open, over simulated time
    shares: list[list[float]]  # per demand stream: the share of each site as home (sum 1)
    local_first: bool  # else one virtual queue
    delay: float  # local first: the wait after which other sites' agents may take a contact
    cost_per_hour: list[float | None]  # per site (None: costs.agent_cost_per_hour)

    def open_at(self, t: Floats) -> NDArray[np.bool_]:
        """(sites, len(t)): whether each site is open at the simulated times ``t``."""
        rows = [s.values[np.searchsorted(s.times, t, side="right") - 1] > 0.5 for s in self.open]
        return np.array(rows, dtype=bool)


def compile_sites(cfg: ScenarioConfig, horizon: float) -> SitePlan | None:
    """The sites of a validated config, or None without ``[sites]`` (one implicit site)."""
    if not cfg.sites:
        return None
    names = list(cfg.sites)
    site_of = {g: k for k, s in enumerate(cfg.sites.values()) for g in s.groups}
    default = [s.share for s in cfg.sites.values()]
    shares = []
    for d in cfg.demand:
        mix = d.site if isinstance(d.site, dict) else ({d.site: 1.0} if d.site is not None else None)
        raw = [mix.get(n, 0.0) for n in names] if mix is not None else default
        shares.append([float(v) / sum(raw) for v in raw])
    return SitePlan(
        names=names,
        group_site=[site_of[g] for g in cfg.agents],
        open=[_opening(cfg, s.hours, s.offset, horizon) for s in cfg.sites.values()],
        shares=shares,
        local_first=cfg.routing.sites == "local_first",
        delay=cfg.routing.site_overflow_delay,
        cost_per_hour=[s.cost_per_hour for s in cfg.sites.values()],
    )


def _opening(cfg: ScenarioConfig, hours: list[Window] | None, offset: float, horizon: float) -> Step:
    """A site's opening hours in local time (local clock = scenario clock + offset)."""
    if not hours:
        return Step(np.array([0.0]), np.array([1.0]))
    local = Clock(cfg.scenario.model_copy(update={"start": (cfg.scenario.start + offset) % DAY}))
    windows = [Hours.model_construct(open=w.open, close=w.close) for w in hours]
    return timeline.opening(windows, local, horizon)


def local_agents(cfg: ScenarioConfig) -> dict[str, AgentGroup]:
    """The agent groups with the shift starts of groups at a site with an offset converted from
    the site's local time to the scenario's clock."""
    offset = {g: s.offset for s in cfg.sites.values() for g in s.groups if s.offset}
    out = dict(cfg.agents)
    for name, off in offset.items():
        group = cfg.agents[name]
        if group.shifts is not None:
            shifts = [sh.model_copy(update={"start": (sh.start - off) % DAY}) for sh in group.shifts]
            out[name] = group.model_copy(update={"shifts": shifts})
    return out


def capped(staffing: Step, sites: SitePlan | None, group: int) -> Step:
    """A group's staffing while its site is open (0 while closed)."""
    if sites is None:
        return staffing
    is_open = sites.open[sites.group_site[group]]
    if len(is_open.times) == 1 and is_open.values[0] > 0.5:
        return staffing
    times = np.union1d(staffing.times, is_open.times)
    a = staffing.values[np.searchsorted(staffing.times, times, side="right") - 1]
    b = is_open.values[np.searchsorted(is_open.times, times, side="right") - 1]
    return Step(times, a * (b > 0.5))
