"""Schema of how customers react to the service they expect: the channel they choose
(``[choice]``) and the scope the centre communicates (``[scope_communication]``).

Each table is optional; leaving it out leaves the behaviour off. What the model does with each
is described in ``docs/explanation/journeys.md`` ("Customers who choose their channel",
"Communicating the scope").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ccsim.config.errors import unknown_name
from ccsim.distributions import Seconds

DAYS_PER_MONTH = 365.25 / 12  # a month of the cost: the mean calendar month


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Choice(_Model):
    """``[choice]``: customers who choose their channel. A share ``share`` of the first
    arrivals of every demand stream on one of ``channels`` chooses, as it arrives, among those
    of ``channels`` that are open (or keep contacts for the opening), by a multinomial logit:
    channel c is taken with probability exp(V_c) / sum of exp(V_k), where
    V_c = preference + the contact type's + the segment's - (expected wait on c) / ``wait_scale``.
    The expected wait is the wait-time announcement's predictor on c (0 when nobody waits
    ahead and an agent able is free), plus the time to the opening on a closed channel that
    keeps contacts."""

    channels: list[str] = Field(min_length=2, description="the channels customers choose among")
    share: float = Field(1.0, ge=0, le=1, description="share of each stream's first arrivals who choose")
    wait_scale: Seconds = Field(
        gt=0, description="expected wait that costs one unit of preference, e.g. '5min'"
    )
    preference: dict[str, float] = Field(
        default_factory=dict,
        description="preference (logit utility) of each channel, by name; a channel left out has 0",
    )
    contact_types: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="preference added for a contact type, by type and channel name, e.g. "
        "{ fraud = { phone = 2 } }",
    )
    segments: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="preference added for a segment, by segment and channel name"
    )

    @model_validator(mode="after")
    def _distinct(self) -> Choice:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels must be distinct (got {self.channels})")
        tables = [self.preference, *self.contact_types.values(), *self.segments.values()]
        if any(abs(v) > 50 for table in tables for v in table.values()):
            raise ValueError("preferences are logit utilities: keep them within -50..50")
        return self


class ScopeCommunication(_Model):
    """``[scope_communication]``: the centre says clearly what it serves and what it does not
    (web site, voice menu, letters). Of the arrivals of contact types with ``in_scope = false``,
    a share ``reduction`` no longer contacts the centre. It costs ``cost_per_day`` or
    ``cost_per_month`` (a month is 365.25 / 12 days), a service cost in the money tables."""

    reduction: float = Field(ge=0, le=1, description="share of out-of-scope contacts that no longer come")
    cost_per_day: float | None = Field(None, ge=0, description="its cost per day (currency units)")
    cost_per_month: float | None = Field(None, ge=0, description="its cost per month (currency units)")

    @model_validator(mode="after")
    def _one_cost(self) -> ScopeCommunication:
        if self.cost_per_day is not None and self.cost_per_month is not None:
            raise ValueError("give 'cost_per_day' or 'cost_per_month', not both")
        return self

    @property
    def daily_cost(self) -> float:
        """The cost per day (currency units)."""
        if self.cost_per_month is not None:
            return self.cost_per_month / DAYS_PER_MONTH
        return self.cost_per_day or 0.0


def name_problems(
    choice: Choice | None,
    scope: ScopeCommunication | None,
    names: dict[str, list[str]],
    out_of_scope: list[str],
) -> list[str]:
    """Names ``[choice]`` uses must exist (``names``: the known 'channel', 'contact type' and
    'segment' names), and ``[scope_communication]`` needs a type outside the scope to act on."""
    problems = _choice_names(choice, names) if choice is not None else []
    if scope is not None and scope.reduction > 0 and not out_of_scope:
        problems.append(
            f"scope_communication.reduction: {scope.reduction} acts on contact types with "
            "in_scope = false, and there are none"
        )
    return problems


def _choice_names(choice: Choice, names: dict[str, list[str]]) -> list[str]:
    found = [(f"choice.channels[{j}]", c, "channel") for j, c in enumerate(choice.channels)]
    preferences = [("choice.preference", c, "channel") for c in choice.preference]
    for key, what in (("contact_types", "contact type"), ("segments", "segment")):
        for name, prefs in getattr(choice, key).items():
            found.append((f"choice.{key}", name, what))
            preferences += [(f"choice.{key}.{name}", c, "channel") for c in prefs]
    problems = []
    for path, name, what in found + preferences:
        known = names[what]
        if name not in known:
            problems.append(unknown_name(path, what, name, known))
    for path, name, _ in preferences:
        if name in names["channel"] and name not in choice.channels:
            problems.append(f"{path}: {name!r} is not one of choice.channels {choice.channels}")
    return problems
