"""Schema of proactive contact (``[proactive.NAME]``): outbound contacts (notifications,
follow-ups) that agents make in idle or reserved time, each reached customer kept from making
a later inbound contact of a type with a share.

Each campaign is optional; leaving the table out leaves the behaviour off. What the model does
with it is described in ``docs/explanation/journeys.md`` ("Proactive contact").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

from ccsim.config.errors import unknown_name
from ccsim.distributions import Distribution, Seconds, units_required
from ccsim.units import parse_clock, parse_rate

DAY = 86400.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def _rate(value: object, info: ValidationInfo) -> object:
    return parse_rate(value, require_unit=units_required(info))


def _window(value: object) -> object:
    """'HH:MM-HH:MM' -> (open, close) in seconds after midnight."""
    if not isinstance(value, str) or len(value.split("-")) != 2:
        raise ValueError(f"malformed window {value!r}: write 'HH:MM-HH:MM', such as '09:00-17:00'")
    start, end = (parse_clock(p.strip()) for p in value.split("-"))
    if not start < end:
        raise ValueError(f"window {value!r}: the end must be after the start on the same day")
    return (start, end)


PerSecond = Annotated[float, BeforeValidator(_rate)]
Window = Annotated[tuple[float, float], BeforeValidator(_window)]


class Prevents(_Model):
    """``proactive.NAME.prevents``: the inbound contacts a reached customer no longer makes."""

    contact_type: str = Field(description="the inbound contact type it prevents, e.g. 'card_status'")
    share: float = Field(
        ge=0, le=1, description="inbound contacts of that type prevented per reached customer"
    )
    horizon: Seconds = Field(
        gt=0,
        description="the prevented contacts are among the arrivals of the type within this time "
        "after the outbound contact, in proportion to the arrivals expected in it, e.g. '4h'",
    )


class Campaign(_Model):
    """``[proactive.NAME]``: a daily volume of outbound contacts of one kind, worked by agents of
    ``groups`` within ``window`` each day: in idle time (``mode = "idle"``: only when no inbound
    contact the agent can take is waiting) or by ``agents`` agents reserved for it
    (``mode = "reserved"``). The day's contacts not made by the window's end are not made."""

    volume: PerSecond = Field(gt=0, description="outbound contacts per day, e.g. '400/day'")
    groups: list[str] = Field(min_length=1, description="agent groups that make them")
    handle: Distribution = Field(description="agent time per outbound contact")
    window: Window = Field(description="daily window in which they are made, e.g. '09:00-17:00'")
    mode: Literal["idle", "reserved"] = Field(
        "idle",
        description="'idle': in the agents' idle time, after all inbound work they can take; "
        "'reserved': 'agents' agents of the groups do nothing else in the window",
    )
    agents: int | None = Field(None, ge=1, le=100_000, description="with mode = 'reserved': agents reserved")
    reach: float = Field(
        1.0, ge=0, le=1, description="share of the outbound contacts that reach the customer"
    )
    prevents: Prevents | None = Field(
        None, description="the inbound contacts a reached customer no longer makes"
    )

    @model_validator(mode="after")
    def _mode(self) -> Campaign:
        if self.mode == "reserved" and self.agents is None:
            raise ValueError("mode = 'reserved' needs 'agents' (the agents reserved in the window)")
        if self.mode == "idle" and self.agents is not None:
            raise ValueError("'agents' is for mode = 'reserved'; idle-time work takes any idle agent")
        return self

    @property
    def daily(self) -> int:
        """The outbound contacts of a day (the volume rounded)."""
        return round(self.volume * DAY)


def name_problems(campaigns: dict[str, Campaign], names: dict[str, list[str]]) -> list[str]:
    """The agent groups and contact types a campaign names must exist."""
    found: list[tuple[str, str, str]] = []
    for name, c in campaigns.items():
        found += [(f"proactive.{name}.groups[{j}]", g, "agent group") for j, g in enumerate(c.groups)]
        if c.prevents is not None:
            found.append((f"proactive.{name}.prevents.contact_type", c.prevents.contact_type, "contact type"))
    problems = []
    for path, value, what in found:
        known = names[what]
        if value not in known:
            problems.append(unknown_name(path, what, value, known))
    for name, c in campaigns.items():
        if c.volume * DAY <= 0.5:  # round() gives 0 (a volume too large is refused with the sizes: limits.py)
            problems.append(f"proactive.{name}.volume: {c.volume * DAY:g} per day rounds to no contact")
    return problems
