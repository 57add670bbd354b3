"""Loading a scenario: TOML -> validated ``Scenario``; overrides by dotted path."""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ccsim.config import economics as E
from ccsim.config import policies as P
from ccsim.config import schema as S
from ccsim.config.errors import ConfigError, format_path, from_validation_error, suggest
from ccsim.config.limits import check_plan, check_sizes
from ccsim.config.plans import plan_overrides
from ccsim.distributions import REQUIRE_UNITS

_DIST_KEYS = {"dist", "mean", "value", "low", "high", "cv", "k", "values", "file", "column"}


def _fields(model: type[BaseModel]) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items()}


KNOWN_KEYS: dict[str, set[str]] = {
    "": _fields(S.ScenarioConfig),
    "scenario": _fields(S.ScenarioSection),
    "scenario.busyness": _DIST_KEYS,
    "channels.*": _fields(S.Channel),
    "channels.*.service_level": _fields(S.ServiceLevel),
    "channels.*.hours": _fields(S.Hours),
    "segments.*": _fields(S.Segment),
    "segments.*.patience": _DIST_KEYS,
    "contact_types.*": _fields(S.ContactType),
    "contact_types.*.handle": _DIST_KEYS,
    "contact_types.*.wrap_up": _DIST_KEYS,
    "demand": _fields(S.Demand),
    "demand.rates": _fields(S.ProfileFile),
    "demand.profile": _fields(S.ProfileFile),
    "agents.*": _fields(S.AgentGroup),
    "agents.*.shifts": _fields(S.Shift),
    "agents.*.staffing": _fields(S.ProfileFile),
    "routing": _fields(S.Routing),
    "channels.*.non_service": _fields(P.NonService),
    "channels.*.announcement": _fields(P.Announcement),
    "channels.*.callback": _fields(P.Callback),
    "channels.*.acknowledgement": _fields(P.Acknowledgement),
    "channels.*.patience": _DIST_KEYS,
    "segments.*.personal": _fields(P.Personal),
    "segments.*.identification": _fields(P.Identification),
    "segments.*.retrial": _fields(P.Retrial),
    "contact_types.*.repeat": _fields(P.Repeat),
    "contact_types.*.escalation": _fields(P.Escalation),
    "contact_types.*.decline": _DIST_KEYS,
    "demand.self_service": _fields(P.SelfService),
    "partners.*": _fields(P.Partner),
    "costs": _fields(E.Costs),
    "costs.telephony.*": _fields(E.Telephony),
    "value": _fields(E.Value),
    "value.segments.*": _fields(E.SegmentValue),
    "value.contact_types.*": _fields(E.TypeValue),
    "value.churn": _fields(E.Churn),
    "value.segments.*.churn": _fields(E.Churn),
    "value.uncertainty": _fields(E.Uncertainty),
    "experience": _fields(E.Experience),
    "experience.csat": _fields(E.Csat),
    "experience.ces": _fields(E.Ces),
    "experience.nps": _fields(E.Nps),
    "frontier": _fields(E.Frontier),
    "sensitivity": _fields(E.Sensitivity),
    "sensitivity.*": _fields(E.Range),
}


class Scenario:
    """A validated scenario. Attribute access mirrors the TOML: ``scenario.agents["pool"].count``.

    ``raw`` keeps what the user wrote (after overrides), ``config`` the validated model and
    ``base_dir`` the folder relative to which files named in the config are read.
    """

    def __init__(self, raw: dict[str, Any], base_dir: Path, source: str | None = None):
        self.raw = raw
        self.base_dir = base_dir
        self.source = source
        try:
            self.config = S.ScenarioConfig.model_validate(raw, context=_context(base_dir))
        except ValidationError as exc:
            raise ConfigError(from_validation_error(exc, raw, KNOWN_KEYS), source) from None
        problems = cross_check(self.config) or check_sizes(self.config) or choice_paths(self)
        if problems:
            raise ConfigError(problems, source)
        from ccsim.model.plan import compile_plan  # schedules and files are checked here too

        try:
            self.plan = compile_plan(self)
        except ConfigError as exc:
            raise ConfigError(exc.problems, source) from None
        problems = check_plan(self.plan)
        if problems:
            raise ConfigError(problems, source)

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


STAFFING_FORMS = ("count", "staffing", "shifts")  # an agent group has exactly one of them


def _table_pattern(parts: list[str]) -> str | None:
    """The ``KNOWN_KEYS`` entry of a table's path (names as ``*``, list indices left out)."""
    names = [p for p in parts if not p.isdigit()]
    for key in KNOWN_KEYS:
        pattern = key.split(".") if key else []
        if len(pattern) == len(names) and all(q in ("*", n) for q, n in zip(pattern, names, strict=True)):
            return key
    return None


def _schema_knows(parts: list[str], key: str) -> bool:
    """True when ``key`` is a table of the schema inside the table at ``parts`` (e.g. ``costs``
    at the top, ``churn`` in ``value``): one that overrides may add when the file lacks it."""
    pattern = _table_pattern(parts)
    return pattern is not None and key in KNOWN_KEYS[pattern] and _table_pattern([*parts, key]) is not None


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set ``raw[a][b][c] = value`` for ``path = 'a.b.c'`` (list items by index). A table the
    file lacks is added when the schema knows it (``costs.agent_cost_per_hour``); setting an
    agent group's ``count``, ``staffing`` or ``shifts`` replaces the other two."""
    parts = path.split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[: i + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError([f"{here}: no item {part!r} (the list has {len(node)} items)"])
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
            if not last and key not in node:
                if not _schema_knows(parts[:i], key):
                    pattern = _table_pattern(parts[:i])
                    known = KNOWN_KEYS.get(pattern, set()) if pattern is not None else set()
                    hint = suggest(part, sorted({*map(str, node), *known}))
                    raise ConfigError([f"{here}: no such table in the config{hint}"])
                node[key] = {}
        else:
            raise ConfigError([f"{here}: cannot set a key inside a value"])
        if last:
            if key in STAFFING_FORMS and _table_pattern(parts[:i]) == "agents.*":
                for other in STAFFING_FORMS:
                    node.pop(other, None)
            node[key] = value
        else:
            node = node[key]


def read_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        raise ConfigError([f"file not found: {p}"])
    if p.is_dir():
        raise ConfigError([f"{p} is a folder; give a scenario .toml file"])
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"TOML syntax error: {exc}"], str(p)) from None


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    raw = read_toml(p)
    return Scenario(raw, p.resolve().parent, str(p))


def from_dict(raw: dict[str, Any], base_dir: str | Path = ".") -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML)."""
    return Scenario(copy.deepcopy(raw), Path(base_dir).resolve())


def _check_name(problems: list[str], path: str, name: str, known: Mapping[str, Any], what: str) -> None:
    if name not in known:
        hint = suggest(name, known)
        problems.append(f"{path}: unknown {what} {name!r}{hint}; known: {', '.join(known)}")


def cross_check(cfg: S.ScenarioConfig) -> list[str]:
    """Rules that span sections: names that must exist, skills some agent has, ..."""
    problems: list[str] = []
    for gname, group in cfg.agents.items():
        for j, ch in enumerate(group.channels):
            _check_name(problems, f"agents.{gname}.channels[{j}]", ch, cfg.channels, "channel")
    for tname, ctype in cfg.contact_types.items():
        for ch in ctype.handle_by_channel:
            _check_name(problems, f"contact_types.{tname}.handle_by_channel", ch, cfg.channels, "channel")
        for j, g in enumerate(ctype.groups or []):
            _check_name(problems, f"contact_types.{tname}.groups[{j}]", g, cfg.agents, "agent group")
    for i, d in enumerate(cfg.demand):
        _check_name(problems, f"demand[{i}].channel", d.channel, cfg.channels, "channel")
        types = d.contact_type if isinstance(d.contact_type, dict) else {d.contact_type: 1.0}
        segs = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        for t in types:
            _check_name(problems, f"demand[{i}].contact_type", t, cfg.contact_types, "contact type")
        for s in segs:
            _check_name(problems, f"demand[{i}].segment", s, cfg.segments, "segment")
    policy_names(cfg, problems)
    if problems:
        return problems
    served = {(ch, t) for ch, t, _ in reachable(cfg)}
    for ch, t in sorted(served):
        if ch not in cfg.channels:
            continue
        ctype = cfg.contact_types[t]
        skill = ctype.skill or t
        groups = ctype.groups or list(cfg.agents)
        able = [
            g
            for g in groups
            if g in cfg.agents and skill in cfg.agents[g].proficiency and ch in cfg.agents[g].channels
        ]
        if not able:
            all_skills = sorted({s for g in cfg.agents.values() for s in g.proficiency})
            if not any(skill in g.proficiency for g in cfg.agents.values()):
                problems.append(
                    f"contact_types.{t}: skill {skill!r} is not held by any agent group"
                    f"{suggest(skill, all_skills)}; skills held: {', '.join(all_skills)}"
                )
            else:
                problems.append(
                    f"contact_types.{t}: no agent group has skill {skill!r} on channel {ch!r}, "
                    f"so its {ch} contacts would never be served"
                )
    skill_names(cfg, problems)
    return problems


def skill_names(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """Every skill an agent group holds is one some contact type needs (a misspelt skill
    would leave the group idle and the type unserved)."""
    needed = sorted({t.skill or name for name, t in cfg.contact_types.items()})
    for gname, group in cfg.agents.items():
        listed = list(group.skills)
        for j, skill in enumerate(listed):
            if skill in needed:
                continue
            where = f"[{j}]" if isinstance(group.skills, list) else f".{skill}"
            close = difflib.get_close_matches(skill, needed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; skills needed: {', '.join(needed)}"
            problems.append(f"agents.{gname}.skills{where}: no contact type needs skill {skill!r}{hint}")


def choice_paths(scenario: Scenario) -> list[str]:
    """Every ``[frontier]`` choice sets paths that exist, to values the schema accepts."""
    problems: list[str] = []
    for name, overrides in scenario.config.frontier.choices.items():
        raw = copy.deepcopy(scenario.raw)
        raw.get("frontier", {}).pop("choices", None)
        try:
            for path, value in overrides.items():
                set_path(raw, path, value)
            S.ScenarioConfig.model_validate(raw, context=_context(scenario.base_dir))
        except ConfigError as exc:
            problems += [f"frontier.choices.{name}: {p}" for p in exc.problems]
        except ValidationError as exc:
            problems += [f"frontier.choices.{name}: {p}" for p in from_validation_error(exc, raw, KNOWN_KEYS)]
    return problems


def value_problems(scenario: Scenario, path: str, value: Any) -> list[str]:
    """What the schema says of ``value`` at dotted ``path`` alone (other values as they are):
    a sweep's levels are checked this way before any point runs."""
    raw = copy.deepcopy(scenario.raw)
    set_path(raw, path, value)
    try:
        S.ScenarioConfig.model_validate(raw, context=_context(scenario.base_dir))
    except ValidationError as exc:
        where = format_path([int(p) if p.isdigit() else p for p in path.split(".")])
        found = from_validation_error(exc, raw, KNOWN_KEYS)
        return [p for p in found if p.startswith((where + ":", where + ".", where + "["))]
    return []


def _context(base_dir: Path) -> dict[str, Any]:
    return {"base_dir": str(base_dir), REQUIRE_UNITS: True}


def policy_names(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """Names used by the journey policies must exist."""
    chans, types, segs, groups = cfg.channels, cfg.contact_types, cfg.segments, cfg.agents
    for name, chan in chans.items():
        if chan.fallback_channel is not None:
            _check_name(
                problems, f"channels.{name}.fallback_channel", chan.fallback_channel, chans, "channel"
            )
    for name, seg in segs.items():
        if seg.personal is not None:
            _check_name(
                problems, f"segments.{name}.personal.group", seg.personal.group, groups, "agent group"
            )
        if seg.identification is not None:
            other = seg.identification.otherwise
            _check_name(problems, f"segments.{name}.identification.otherwise", other, segs, "segment")
        if seg.retrial is not None:
            for cname in seg.retrial.channels or {}:
                _check_name(problems, f"segments.{name}.retrial.channels", cname, chans, "channel")
    for name, t in types.items():
        if t.repeat is not None:
            for cname in t.repeat.channels or {}:
                _check_name(problems, f"contact_types.{name}.repeat.channels", cname, chans, "channel")
        if t.escalation is not None:
            _check_name(
                problems, f"contact_types.{name}.escalation.to", t.escalation.to, types, "contact type"
            )
            if t.escalation.channel is not None:
                _check_name(
                    problems,
                    f"contact_types.{name}.escalation.channel",
                    t.escalation.channel,
                    chans,
                    "channel",
                )
        if not t.in_scope and cfg.routing.out_of_scope == "decline" and t.decline is None:
            problems.append(
                f"contact_types.{name}.decline: required for a type outside the scope when "
                "routing.out_of_scope = 'decline' (the agent time to decline it)"
            )
    for name, p in cfg.partners.items():
        for j, tname in enumerate(p.contact_types):
            _check_name(problems, f"partners.{name}.contact_types[{j}]", tname, types, "contact type")
        for j, cname in enumerate(p.channels):
            _check_name(problems, f"partners.{name}.channels[{j}]", cname, chans, "channel")


def reachable(cfg: S.ScenarioConfig) -> set[tuple[str, str, str]]:
    """Every (channel, contact type, segment) a contact can have: from the demand, and from
    what contacts lead to (retrials, repeats, escalations, fallbacks). The segment is the
    customer's own; an unrecognised caller waits in its 'otherwise' segment's queue."""
    found: set[tuple[str, str, str]] = set()
    todo: list[tuple[str, str, str]] = []
    for d in cfg.demand:
        types = d.contact_type if isinstance(d.contact_type, dict) else {d.contact_type: 1.0}
        segs = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        todo += [(d.channel, t, s) for t in types for s in segs]
    while todo:
        item = todo.pop()
        if item in found:
            continue
        found.add(item)
        ch, t, s = item
        seg, ctype, chan = cfg.segments[s], cfg.contact_types[t], cfg.channels[ch]
        nxt: list[tuple[str, str, str]] = []
        if seg.retrial is not None:
            nxt += [(c, t, s) for c in seg.retrial.channels or {}]
        if ctype.repeat is not None:
            nxt += [(c, t, s) for c in ctype.repeat.channels or {}]
        if ctype.escalation is not None:
            nxt.append((ctype.escalation.channel or ch, ctype.escalation.to, s))
        if chan.fallback_channel is not None:
            nxt.append((chan.fallback_channel, t, s))
        todo += [x for x in nxt if x not in found]
    return found
