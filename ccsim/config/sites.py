"""Schema of a centre on several sites: ``[sites.NAME]`` with their hours, time offset, cost per
hour and agent groups, and the checks that span sections (groups, demand streams, routing).

Without ``[sites]`` the centre is one implicit site and nothing here applies. What the model
does with sites is described in ``docs/explanation/sites.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ccsim.config.clock import ClockTime, opening_windows
from ccsim.config.errors import unknown_name
from ccsim.units import parse_duration

DAY = 86400.0


def _offset(value: object) -> object:
    """A signed duration: '+1h', '-6h' or '0h' (the sign in front of the number)."""
    if isinstance(value, str) and value.strip().startswith(("+", "-")):
        text = value.strip()
        return (-1.0 if text[0] == "-" else 1.0) * parse_duration(text[1:], require_unit=True)
    return parse_duration(value, require_unit=True)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Window(_Model):
    """One daily opening window of a site, in its local time (close may be past midnight)."""

    open: ClockTime = Field(description="opening time, e.g. '08:00'")
    close: ClockTime = Field(description="closing time, e.g. '20:00'")


class Site(_Model):
    """``[sites.NAME]``: a building (or an outside provider's site) with its own agent groups,
    opening hours, local time and cost."""

    groups: list[str] = Field(
        min_length=1, description="agent groups working at this site (a group belongs to one site)"
    )
    hours: Annotated[list[Window] | None, BeforeValidator(opening_windows)] = Field(
        None,
        description="daily opening windows in the site's local time, e.g. '08:00-20:00': its "
        "agents work only while it is open, and its contacts go to the open sites while it is "
        "closed (default: always open)",
    )
    offset: Annotated[float, BeforeValidator(_offset)] = Field(
        0.0,
        gt=-DAY,
        lt=DAY,
        description="the site's local clock minus the scenario's clock, e.g. '+1h' or '-6h': its "
        "hours and its groups' shift starts are local times (default '0h')",
    )
    cost_per_hour: float | None = Field(
        None,
        ge=0,
        description="cost of a paid hour of its agents, for groups without their own "
        "cost_per_hour (default: costs.agent_cost_per_hour)",
    )
    share: float = Field(
        1.0,
        ge=0,
        description="relative share of the contacts whose home is this site, for demand streams "
        "without 'site' (default 1: equal shares)",
    )


class _Config(Protocol):
    """What the checks read of a scenario config (``schema.ScenarioConfig``)."""

    @property
    def sites(self) -> Mapping[str, Site]: ...
    @property
    def agents(self) -> Mapping[str, Any]: ...
    @property
    def demand(self) -> list[Any]: ...
    @property
    def routing(self) -> Any: ...


SITE_ROUTING_KEYS = ("sites", "site_overflow_delay")  # keys of [routing] that need [sites]


def site_problems(cfg: _Config) -> list[str]:
    """Rules that span sections: the sites' groups exist and each group belongs to exactly one
    site; demand streams name known sites; site routing keys need sites."""
    if not cfg.sites:
        return _without_sites(cfg)
    problems: list[str] = []
    home: dict[str, str] = {}
    for sname, site in cfg.sites.items():
        for j, g in enumerate(site.groups):
            path = f"sites.{sname}.groups[{j}]"
            if g not in cfg.agents:
                problems.append(unknown_name(path, "agent group", g, cfg.agents))
            elif g in home:
                problems.append(
                    f"{path}: agent group {g!r} is already at site {home[g]!r}; a group belongs to one site"
                )
            else:
                home[g] = sname
    for g in cfg.agents:
        if g not in home and not problems:
            problems.append(
                f"agents.{g}: not at any site; with [sites], list every agent group in one site's "
                f"groups (sites: {', '.join(cfg.sites)})"
            )
    if sum(s.share for s in cfg.sites.values()) <= 0:
        problems.append("sites: the shares are all 0; at least one site needs share > 0")
    for i, d in enumerate(cfg.demand):
        problems += _demand_site(i, d.site, cfg.sites)
    problems += _local_times(cfg, home)
    return problems


def _without_sites(cfg: _Config) -> list[str]:
    problems = [
        f"routing.{key}: applies to a centre on several sites; add [sites.NAME] tables or leave it out"
        for key in SITE_ROUTING_KEYS
        if key in cfg.routing.model_fields_set
    ]
    for i, d in enumerate(cfg.demand):
        if d.site is not None:
            problems.append(f"demand[{i}].site: no [sites.NAME] table is defined (got {d.site!r})")
    return problems


def _demand_site(i: int, site: str | dict[str, float] | None, sites: Mapping[str, Site]) -> list[str]:
    if site is None:
        return []
    mix = site if isinstance(site, dict) else {site: 1.0}
    problems = [unknown_name(f"demand[{i}].site", "site", s, sites) for s in mix if s not in sites]
    if not mix or any(v < 0 for v in mix.values()) or not 0 < sum(mix.values()) < float("inf"):
        problems.append(
            f"demand[{i}].site: shares must be >= 0, not all zero, with a finite sum (got {site})"
        )
    return problems


def _local_times(cfg: _Config, home: dict[str, str]) -> list[str]:
    """Clock times the offset does not convert (break windows, blocks), and shifts with a rota
    at a site with hours (the rota's roster follows the shifts, not the site's hours)."""
    problems = []
    for g, sname in home.items():
        site, group = cfg.sites[sname], cfg.agents[g]
        windows = [b for b in group.breaks or [] if b.window is not None]
        if site.offset and (windows or group.blocks):
            problems.append(
                f"agents.{g}: break windows and blocks are clock times of the scenario, but site "
                f"{sname!r} has offset {site.offset / 3600:+g}h; use breaks with 'after' or a site "
                "without offset"
            )
        rota = group.absence is not None or group.breaks or group.blocks
        if site.hours and group.shifts is not None and rota:
            problems.append(
                f"agents.{g}: a group with shifts and absence, breaks or blocks cannot be capped "
                f"by the hours of site {sname!r}; leave out the site's hours (the shifts say when "
                "its agents work)"
            )
    return problems
