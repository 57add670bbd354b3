"""A scenario: what the user wrote, its validated config and the plan compiled from it.

``ccsim.config`` reads and validates the TOML and knows nothing of the model;
``ccsim.model.plan`` compiles a validated config into the plan the engine runs. ``Scenario``
holds the three together, so that an override (``with_overrides``, a sweep's point, a staffing
plan put in place) is validated and compiled again as a whole, and every mistake is a
``ConfigError`` naming the file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccsim.config import schema as S
from ccsim.config.errors import ConfigError
from ccsim.config.loader import read_toml, set_path, validate
from ccsim.config.plans import staffing_overrides
from ccsim.model.plan import Plan, check_plan, compile_plan


class Scenario:
    """A validated scenario. Attribute access mirrors the TOML: ``scenario.agents["pool"].count``.

    ``raw`` keeps what the user wrote (after overrides), ``config`` the validated model,
    ``base_dir`` the folder relative to which files named in the config are read and ``plan``
    the compiled plan.
    """

    def __init__(self, raw: dict[str, Any], base_dir: Path, source: str | None = None):
        self.raw = raw
        self.base_dir = base_dir
        self.source = source
        self.config = validate(raw, base_dir, source)
        self.plan = _compile(self.config, base_dir, source)

    # mirror of the TOML sections
    @property
    def scenario(self) -> S.ScenarioSection:
        return self.config.scenario

    @property
    def name(self) -> str:
        return self.config.scenario.name

    @property
    def channels(self) -> dict[str, S.Channel]:
        return self.config.channels

    @property
    def segments(self) -> dict[str, S.Segment]:
        return self.config.segments

    @property
    def contact_types(self) -> dict[str, S.ContactType]:
        return self.config.contact_types

    @property
    def demand(self) -> list[S.Demand]:
        return self.config.demand

    @property
    def agents(self) -> dict[str, S.AgentGroup]:
        return self.config.agents

    @property
    def routing(self) -> S.Routing:
        return self.config.routing

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new, re-validated scenario with values replaced by dotted path.

        ``{"agents.pool.count": 105, "demand.0.rate": "20/min"}``; list items by index.
        """
        raw = copy.deepcopy(self.raw)
        for path, value in overrides.items():
            set_path(raw, path, value)
        return Scenario(raw, self.base_dir, self.source)

    def with_plan(self, plan: str | Path) -> Scenario:
        """A new scenario with a staffing plan of ``ccsim optimize`` in place: ``plan`` is its
        output folder (or the ``staffing.csv`` in it); each group of the plan gets its column
        as ``staffing``, replacing its ``count``, ``staffing`` or ``shifts``."""
        return self.with_overrides(plan_overrides(self, plan))

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, source={self.source!r})"


def _compile(config: S.ScenarioConfig, base_dir: Path, source: str | None) -> Plan:
    """The plan of a validated config, within the size limits (schedules and the files they
    name are checked here too)."""
    try:
        plan = compile_plan(config, base_dir)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source) from None
    problems = check_plan(plan)
    if problems:
        raise ConfigError(problems, source)
    return plan


def plan_overrides(scenario: Scenario, plan: str | Path) -> dict[str, Any]:
    """The overrides that put the staffing plan at ``plan`` (a folder of ``ccsim optimize`` or
    its staffing CSV) into ``scenario`` (``ccsim.config.plans``): its groups must be the
    scenario's, its periods start where the scenario's intervals do."""
    clock = scenario.plan.clock
    starts = [clock.label(k).split(" ")[-1] for k in range(clock.n_intervals)]
    return staffing_overrides(plan, list(scenario.agents), starts, scenario.source)


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    raw = read_toml(p)
    return Scenario(raw, p.resolve().parent, str(p))


def from_dict(raw: dict[str, Any], base_dir: str | Path = ".") -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML)."""
    return Scenario(copy.deepcopy(raw), Path(base_dir).resolve())
