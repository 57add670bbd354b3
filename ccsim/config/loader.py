"""Reading a scenario's TOML and validating it into a ``ScenarioConfig``; overrides by dotted path.

The config knows nothing of the model: ``ccsim.scenario.Scenario`` compiles the validated config
into the plan.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ccsim.config import choice as C
from ccsim.config import economics as E
from ccsim.config import policies as P
from ccsim.config import proactive as PR
from ccsim.config import schema as S
from ccsim.config.errors import ConfigError, format_path, from_validation_error, suggest, unknown_name
from ccsim.config.limits import check_sizes
from ccsim.config.sites import Site, Window, site_problems
from ccsim.config.wellbeing import Wellbeing
from ccsim.distributions import REQUIRE_UNITS

_DIST_KEYS = {"dist", "mean", "value", "low", "high", "cv", "k", "values", "file", "column", "at", "survival"}


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
    "agents.*.wellbeing": _fields(Wellbeing),
    "routing": _fields(S.Routing),
    "sites.*": _fields(Site),
    "sites.*.hours": _fields(Window),
    "channels.*.non_service": _fields(P.NonService),
    "channels.*.announcement": _fields(P.Announcement),
    "channels.*.callback": _fields(P.Callback),
    "channels.*.acknowledgement": _fields(P.Acknowledgement),
    "channels.*.acknowledgement.chase": _fields(P.Chase),
    "channels.*.acknowledgement.chase.after": _DIST_KEYS,
    "channels.*.acknowledgement.chase.after_promise": _DIST_KEYS,
    "channels.*.acknowledgement.chase.handle": _DIST_KEYS,
    "routing.blending": _fields(P.Blending),
    "channels.*.patience": _DIST_KEYS,
    "segments.*.personal": _fields(P.Personal),
    "segments.*.identification": _fields(P.Identification),
    "segments.*.retrial": _fields(P.Retrial),
    "contact_types.*.repeat": _fields(P.Repeat),
    "contact_types.*.escalation": _fields(P.Escalation),
    "contact_types.*.decline": _DIST_KEYS,
    "demand.self_service": _fields(P.SelfService),
    "partners.*": _fields(P.Partner),
    "choice": _fields(C.Choice),
    "scope_communication": _fields(C.ScopeCommunication),
    "proactive.*": _fields(PR.Campaign),
    "proactive.*.prevents": _fields(PR.Prevents),
    "proactive.*.handle": _DIST_KEYS,
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
    "experience.csat.early_answer": _fields(E.WaitCurve),
    "experience.ces": _fields(E.Ces),
    "experience.nps": _fields(E.Nps),
    "frontier": _fields(E.Frontier),
    "sensitivity": _fields(E.Sensitivity),
    "sensitivity.*": _fields(E.Range),
}


class Source(Protocol):
    """What a scenario was read from: the TOML as parsed (after overrides) and the folder
    relative to which the files it names are read (``ccsim.scenario.Scenario`` is one)."""

    raw: dict[str, Any]
    base_dir: Path


def validate(raw: dict[str, Any], base_dir: Path, source: str | None = None) -> S.ScenarioConfig:
    """The validated config of ``raw``: the schema, then the rules that span sections, the sizes
    and the ``[frontier]`` choices (``ConfigError`` with every problem found, naming ``source``)."""
    try:
        config = S.ScenarioConfig.model_validate(raw, context=_context(base_dir))
    except ValidationError as exc:
        raise ConfigError(from_validation_error(exc, raw, KNOWN_KEYS), source) from None
    problems = cross_check(config) or check_sizes(config) or choice_paths(config, raw, base_dir)
    if problems:
        raise ConfigError(problems, source)
    return config


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


def _check_name(problems: list[str], path: str, name: str, known: Mapping[str, Any], what: str) -> None:
    if name not in known:
        problems.append(unknown_name(path, what, name, known))


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
    wellbeing_groups(cfg, problems)
    problems += site_problems(cfg)
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
    patience_profiles(cfg, problems)
    return problems


def patience_profiles(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """A segment's patience profile has one factor per interval of a whole day."""
    interval = cfg.scenario.interval
    per_day = 86_400.0 / interval
    for name, seg in cfg.segments.items():
        if seg.patience_profile is None:
            continue
        path = f"segments.{name}.patience_profile"
        if abs(per_day - round(per_day)) > 1e-9:
            problems.append(f"{path}: needs a scenario.interval that divides a day (got {interval:g}s)")
        elif len(seg.patience_profile) != round(per_day):
            problems.append(
                f"{path}: one factor per interval of the day from 00:00 is {round(per_day)} factors "
                f"with an interval of {interval:g}s (got {len(seg.patience_profile)})"
            )


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


def choice_paths(cfg: S.ScenarioConfig, raw: dict[str, Any], base_dir: Path) -> list[str]:
    """Every ``[frontier]`` choice sets paths that exist, to values the schema accepts."""
    problems: list[str] = []
    for name, overrides in cfg.frontier.choices.items():
        chosen = copy.deepcopy(raw)
        chosen.get("frontier", {}).pop("choices", None)
        try:
            for path, value in overrides.items():
                set_path(chosen, path, value)
            S.ScenarioConfig.model_validate(chosen, context=_context(base_dir))
        except ConfigError as exc:
            problems += [f"frontier.choices.{name}: {p}" for p in exc.problems]
        except ValidationError as exc:
            found = from_validation_error(exc, chosen, KNOWN_KEYS)
            problems += [f"frontier.choices.{name}: {p}" for p in found]
    return problems


def value_problems(scenario: Source, path: str, value: Any) -> list[str]:
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


def wellbeing_groups(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """Recovery pauses and fatigue are for pooled agents: not a group of personal agents."""
    personal = {s.personal.group: name for name, s in cfg.segments.items() if s.personal is not None}
    for name, group in cfg.agents.items():
        if group.wellbeing is not None and name in personal:
            problems.append(
                f"agents.{name}.wellbeing: not supported for a group of personal agents (segment "
                f"{personal[name]!r} has its customers' personal agents in it)"
            )


def policy_names(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """Names used by the journey policies must exist."""
    chans, types, segs, groups = cfg.channels, cfg.contact_types, cfg.segments, cfg.agents
    for name, chan in chans.items():
        if chan.fallback_channel is not None:
            _check_name(
                problems, f"channels.{name}.fallback_channel", chan.fallback_channel, chans, "channel"
            )
    for name, chan in chans.items():
        ack = chan.acknowledgement
        if ack is not None:
            for sname in ack.segments:
                _check_name(problems, f"channels.{name}.acknowledgement.segments", sname, segs, "segment")
            for cname in (ack.chase.channels or {}) if ack.chase is not None else {}:
                where = f"channels.{name}.acknowledgement.chase.channels"
                _check_name(problems, where, cname, chans, "channel")
    promise_rules(cfg, problems)
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
    names = {"channel": list(chans), "contact type": list(types), "segment": list(segs)}
    out_of_scope = [name for name, t in types.items() if not t.in_scope]
    problems += C.name_problems(cfg.choice, cfg.scope_communication, names, out_of_scope)
    problems += PR.name_problems(cfg.proactive, names | {"agent group": list(groups)})
    for name, p in cfg.partners.items():
        for j, tname in enumerate(p.contact_types):
            _check_name(problems, f"partners.{name}.contact_types[{j}]", tname, types, "contact type")
        for j, cname in enumerate(p.channels):
            _check_name(problems, f"partners.{name}.channels[{j}]", cname, chans, "channel")


def promise_rules(cfg: S.ScenarioConfig, problems: list[str]) -> None:
    """Promise ordering needs promises, and a blending rule needs agents who blend."""
    receipts = [c for c, ch in cfg.channels.items() if ch.acknowledgement and ch.acknowledgement.receipt]
    if cfg.routing.deferred_order == "promise" and not receipts:
        problems.append(
            "routing.deferred_order: 'promise' orders the work of channels with an acknowledgement "
            "that promises an answer time, and no channel has one (value 'promise')"
        )
    blend = cfg.routing.blending.rule
    if blend != "realtime_first" and not any(
        any(cfg.channels[c].realtime for c in g.channels if c in cfg.channels)
        and any(not cfg.channels[c].realtime for c in g.channels if c in cfg.channels)
        for g in cfg.agents.values()
    ):
        problems.append(
            f"routing.blending.rule: {blend!r} applies to agent groups that serve both real-time and "
            "deferred channels, and no group does"
        )


def reachable(cfg: S.ScenarioConfig) -> set[tuple[str, str, str]]:
    """Every (channel, contact type, segment) a contact can have: from the demand, and from
    what contacts lead to (retrials, repeats, escalations, fallbacks). The segment is the
    customer's own; an unrecognised caller waits in its 'otherwise' segment's queue."""
    found: set[tuple[str, str, str]] = set()
    todo: list[tuple[str, str, str]] = []
    for d in cfg.demand:
        types = d.contact_type if isinstance(d.contact_type, dict) else {d.contact_type: 1.0}
        segs = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        channels = [d.channel]
        if cfg.choice is not None and d.channel in cfg.choice.channels:  # it may choose another
            channels = cfg.choice.channels
        todo += [(c, t, s) for c in channels for t in types for s in segs]
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
        chase = chan.acknowledgement.chase if chan.acknowledgement is not None else None
        if chase is not None:
            nxt += [(c, t, s) for c in chase.channels or {}]
        todo += [x for x in nxt if x not in found]
    return found
