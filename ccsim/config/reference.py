"""Generate the config reference (``docs/reference/config.md``) from the pydantic schema.

Regenerate with ``python -m ccsim.config.reference > docs/reference/config.md``; a test checks
that the committed file equals the output, so the reference never drifts from the schema.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from typing import Any

import annotated_types as at
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from ccsim import distributions as D
from ccsim.config import choice as C
from ccsim.config import economics as E
from ccsim.config import limits
from ccsim.config import policies as P
from ccsim.config import proactive as PR
from ccsim.config import rota as R
from ccsim.config import schema as S
from ccsim.config import sites as T
from ccsim.config import wellbeing as W
from ccsim.units import format_duration

# (anchor, heading, model): one section per TOML table, in the order of a scenario file
SECTIONS: list[tuple[str, str, type[BaseModel]]] = [
    ("scenario", "`[scenario]`", S.ScenarioSection),
    ("channel", "`[channels.NAME]`", S.Channel),
    ("service-level", "`channels.NAME.service_level`", S.ServiceLevel),
    ("hours", "`channels.NAME.hours`", S.Hours),
    ("segment", "`[segments.NAME]`", S.Segment),
    ("contact-type", "`[contact_types.NAME]`", S.ContactType),
    ("demand", "`[[demand]]`", S.Demand),
    ("agent-group", "`[agents.NAME]`", S.AgentGroup),
    ("shift", "`agents.NAME.shifts`", S.Shift),
    ("absence", "`agents.NAME.absence`", R.Absence),
    ("break", "`agents.NAME.breaks`", R.Break),
    ("block", "`agents.NAME.blocks`", R.Block),
    ("wellbeing", "`agents.NAME.wellbeing`", W.Wellbeing),
    ("profile-file", "CSV columns: `{ file = ..., column = ... }`", S.ProfileFile),
    ("routing", "`[routing]`", S.Routing),
    ("blending", "`routing.blending`", P.Blending),
    ("site", "`[sites.NAME]`", T.Site),
    ("site-hours", "`sites.NAME.hours`", T.Window),
    # the customer's journey (ccsim/config/policies.py)
    ("personal", "`segments.NAME.personal`", P.Personal),
    ("identification", "`segments.NAME.identification`", P.Identification),
    ("retrial", "`segments.NAME.retrial`", P.Retrial),
    ("repeat", "`contact_types.NAME.repeat`", P.Repeat),
    ("escalation", "`contact_types.NAME.escalation`", P.Escalation),
    ("self-service", "`demand.self_service`", P.SelfService),
    ("non-service", "`channels.NAME.non_service`", P.NonService),
    ("announcement", "`channels.NAME.announcement`", P.Announcement),
    ("callback", "`channels.NAME.callback`", P.Callback),
    ("acknowledgement", "`channels.NAME.acknowledgement`", P.Acknowledgement),
    ("chase", "`channels.NAME.acknowledgement.chase`", P.Chase),
    ("partner", "`[partners.NAME]`", P.Partner),
    # customers who react (ccsim/config/choice.py)
    ("choice", "`[choice]`", C.Choice),
    ("scope-communication", "`[scope_communication]`", C.ScopeCommunication),
    ("proactive", "`[proactive.NAME]`", PR.Campaign),
    ("prevents", "`proactive.NAME.prevents`", PR.Prevents),
    # money and experience (ccsim/config/economics.py)
    ("costs", "`[costs]`", E.Costs),
    ("telephony", "`costs.telephony.CHANNEL`", E.Telephony),
    ("value", "`[value]`", E.Value),
    ("segment-value", "`value.segments.NAME`", E.SegmentValue),
    ("type-value", "`value.contact_types.NAME`", E.TypeValue),
    ("churn", "`value.churn`, `value.segments.NAME.churn`", E.Churn),
    ("uncertainty", "`value.uncertainty`", E.Uncertainty),
    ("wait-curve", "wait curves", E.WaitCurve),
    ("experience", "`[experience]`", E.Experience),
    ("csat", "`experience.csat`", E.Csat),
    ("ces", "`experience.ces`", E.Ces),
    ("nps", "`experience.nps`", E.Nps),
    ("score-curve", "score curves", E.ScoreCurve),
    ("frontier", "`[frontier]`", E.Frontier),
    ("sensitivity", "`[sensitivity]`", E.Sensitivity),
    ("range", "`sensitivity.NAME`", E.Range),
]
# the members of the ``Distribution`` union, in the order they are declared
DISTRIBUTIONS: list[type[BaseModel]] = list(typing.get_args(typing.get_args(D.Distribution)[0]))
ANCHORS: dict[type, str] = {model: anchor for anchor, _, model in SECTIONS}
SPECIAL = {"_duration": "duration", "_rate": "rate", "_clock": "time of day"}
# keys whose validator accepts a shorthand the type alone does not show
SHORTHAND: dict[tuple[type[BaseModel], str], str] = {
    (S.Channel, "hours"): '`"HH:MM-HH:MM"`, or a list of such strings or of [tables](#hours)',
    (PR.Campaign, "window"): '`"HH:MM-HH:MM"` (times of day, within one day)',
    (T.Site, "hours"): '`"HH:MM-HH:MM"`, or a list of such strings or of [tables](#site-hours)',
    (T.Site, "offset"): 'a signed duration, e.g. `"+1h"`, `"-6h"`',
}

INTRO = """\
# Config reference

<!-- Generated from ccsim/config/schema.py and ccsim/distributions.py by
     `python -m ccsim.config.reference > docs/reference/config.md`. Do not edit by hand. -->

A scenario is one TOML file. Each section below is one TOML table: its keys, their type, the
default used when a key is left out ("required" if it must be given), the allowed bounds and
what the key means. Unknown keys are rejected, with a suggestion when a known key is close.

Value formats:

- **duration**: a string with a unit, `"20s"`, `"4.5min"`, `"2h"`, `"1d"` (units `ms`, `s`,
  `min`, `h`, `d`, `w`). A bare number is refused (`handle = 300` could be seconds or
  minutes): write `"300s"` or `"5min"`. Only `0` may be written bare. At most 1000 days.
- **rate**: a count per time unit, `"19.5/min"`, `"1170/h"`, `"9000/day"`, `"40/30min"`. A
  bare number is refused (`rate = 40` could be per second, minute or hour): write `"40/h"` or
  `"40/min"`. Only `0` may be written bare.
- **time of day**: `"08:00"` or `"08:30:15"` (`"24:00"` is allowed).
- **number**: plain factors, shares, proficiencies, targets, counts and prices are written
  bare (`target = 0.8`, `count = 12`). Numbers must be finite: `inf` and `nan` are refused.
- **CSV column**: a column of rates says its unit, with `unit = "/h"` in the file reference or
  in its name (`calls_per_hour`, `calls_per_30min`); a column of durations for an empirical
  distribution likewise (`unit = "s"`, or a name such as `talk_s`, `talk_min`).
- **NAME**: a name you choose for a channel, segment, contact type or agent group (letters,
  digits, `_` and `-`). Other sections refer to it by this name, and overrides address
  values through it, e.g. `agents.pool.count`. Every name that refers to another must exist
  (a misspelt one is refused with the closest known name), and every skill an agent group
  holds must be needed by some contact type.
"""


def _doc(obj: object) -> str:
    """A class docstring as Markdown (RST double backticks become single ones)."""
    text = inspect.cleandoc(obj.__doc__ or "")
    text = re.sub(r"^``\[[^`]*\]``:\s*", "", text)
    text = text.replace("``", "`")
    return text[:1].upper() + text[1:]


def _special(metadata: list[Any]) -> str | None:
    for m in metadata:
        if isinstance(m, BeforeValidator):
            return SPECIAL.get(getattr(m.func, "__name__", ""))
    return None


def _type(tp: Any, metadata: list[Any] | None = None) -> str:
    """A readable type: 'duration', 'list of rate', 'table of number', a link to a section."""
    meta = list(metadata or [])
    if typing.get_origin(tp) is typing.Annotated:
        base, *extra = typing.get_args(tp)
        for e in extra:
            meta.extend(e.metadata if isinstance(e, FieldInfo) else [e])
        if any(isinstance(e, FieldInfo) and e.discriminator == "dist" for e in extra):
            return "[distribution](#distributions)"
        return _type(base, meta)
    special = _special(meta)
    if special:
        return special
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if {a for a in args if a is not type(None)} <= set(DISTRIBUTIONS):
            return "[distribution](#distributions)"
        return " or ".join(_type(a, meta) for a in args if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(f'`"{a}"`' for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"table of {_type(args[1])} by name"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        anchor = ANCHORS.get(tp, tp.__name__.lower())
        return f"[table](#{anchor})"
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _bounds(metadata: list[Any]) -> str:
    signs = [(at.Gt, "gt", ">"), (at.Ge, "ge", ">="), (at.Lt, "lt", "<"), (at.Le, "le", "<=")]
    out = [f"{sign} {getattr(m, attr)}" for m in metadata for cls, attr, sign in signs if isinstance(m, cls)]
    out += [f"at least {m.min_length} entry" for m in metadata if isinstance(m, at.MinLen)]
    return ", ".join(out)


def _inner_bounds(tp: Any) -> str:
    """Bounds on list items, e.g. the agent counts of ``staffing``."""
    for arg in typing.get_args(tp):
        if typing.get_origin(arg) is list:
            (item,) = typing.get_args(arg)
            if typing.get_origin(item) is typing.Annotated:
                meta = [m for e in typing.get_args(item)[1:] for m in getattr(e, "metadata", [e])]
                if _bounds(meta):
                    return f"each item {_bounds(meta)}"
    return ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "`{}`" if value == {} else "all defaults"
    value = field.default
    if value is None:
        return "not set"
    kind = _special(field.metadata)
    if kind == "duration":
        return f'`"{format_duration(value)}"`'
    if kind == "time of day":
        return f'`"{int(value) // 3600:02d}:{int(value) % 3600 // 60:02d}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def key_table(model: type[BaseModel]) -> list[str]:
    """The Markdown table of a model's keys."""
    lines = ["| key | type | default | bounds | description |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        desc = field.description or ""
        sub = typing.get_args(field.annotation) or (field.annotation,)
        nested = [t for t in sub if isinstance(t, type) and issubclass(t, BaseModel)]
        if not desc and nested:
            desc = _doc(nested[0]).split("\n", 1)[0]
        bounds = ", ".join(b for b in (_bounds(field.metadata), _inner_bounds(field.annotation)) if b)
        kind = SHORTHAND.get((model, name)) or _type(field.annotation, field.metadata)
        cells = [f"`{field.alias or name}`", kind, _default(field), bounds or "", desc]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def limits_section() -> list[str]:
    """The size limits checked at load (``ccsim.config.limits``)."""
    out = ['<a id="limits"></a>', "", "## Limits", "", _doc(limits).split("\n\n")[1], ""]
    out += ["| what | at most |", "|---|---|"]
    out += [f"| {what} | {value:,} |" for what, value in limits.LIMITS.items()]
    return [*out, ""]


def render_config_reference() -> str:
    """The whole config reference as Markdown."""
    out = [INTRO, *limits_section(), "## File layout", "", "The top-level tables of a scenario file:", ""]
    out += [*key_table(S.ScenarioConfig), ""]
    for anchor, heading, model in SECTIONS:
        out += [f'<a id="{anchor}"></a>', "", f"## {heading}", "", _doc(model), ""]
        out += [*key_table(model), ""]
    out += ['<a id="distributions"></a>', "", "## Distributions", ""]
    out += [
        "A random duration (handle time, wrap-up, patience) or factor (busyness) is an inline "
        'table with a `dist` key, e.g. `{ dist = "lognormal", mean = "4min", cv = 0.8 }`. '
        "Means and values are durations, except for `scenario.busyness`, where they are plain "
        "factors (write `mean = 1`).",
        "",
    ]
    for model in DISTRIBUTIONS:
        name = typing.get_args(model.model_fields["dist"].annotation)[0]
        out += [f'<a id="dist-{name}"></a>', "", f'### `dist = "{name}"`', "", _doc(model), ""]
        out += [*key_table(model), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render_config_reference())


if __name__ == "__main__":
    main()
