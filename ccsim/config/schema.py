"""The pydantic schema of a scenario TOML file.

Every model forbids unknown keys; every field has bounds and a description (the config
reference in ``docs/reference/config.md`` is generated from this file). Times are stored in
seconds and rates per second once loaded. Cross-references (a demand stream naming a channel,
a contact type needing a skill no agent has, ...) are checked in ``Scenario``'s validator.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ccsim.config import economics as E
from ccsim.config.choice import Choice, ScopeCommunication
from ccsim.config.clock import ClockTime, opening_windows
from ccsim.config.policies import (
    Acknowledgement,
    Announcement,
    Blending,
    Callback,
    Escalation,
    Identification,
    NonService,
    Partner,
    Personal,
    Repeat,
    Retrial,
    SelfService,
)
from ccsim.config.proactive import Campaign
from ccsim.config.rota import Absence, Block, Break
from ccsim.config.sites import Site
from ccsim.config.wellbeing import Wellbeing
from ccsim.distributions import Distribution, Factor, Seconds, units_required
from ccsim.units import parse_duration, parse_rate


def _rate(value: object, info: ValidationInfo) -> object:
    return parse_rate(value, require_unit=units_required(info))


PerSecond = Annotated[float, BeforeValidator(_rate)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- scenario


def _plain_numbers(value: object) -> object:
    """The busyness factor is a number, not a duration: refuse values written with units, and
    mark the numbers as plain factors (a scenario file's durations need a unit)."""
    if not isinstance(value, dict):
        return value
    out: dict[object, object] = {}
    for key, v in value.items():
        if key != "dist" and isinstance(v, str):
            raise ValueError(f"{key}: the busyness factor is a plain number, e.g. mean = 1 (got {v!r})")
        if key in ("mean", "value", "low", "high") and isinstance(v, int | float) and not isinstance(v, bool):
            v = Factor(v)
        elif key == "values" and isinstance(v, list):
            v = [Factor(x) if isinstance(x, int | float) and not isinstance(x, bool) else x for x in v]
        out[key] = v
    return out


class ScenarioSection(_Model):
    """``[scenario]``: the run's horizon, reporting step and randomness."""

    name: str = Field("scenario", description="a name shown in every output")
    duration: Seconds = Field(gt=0, description="measured time, e.g. '8h' or '5d'")
    warmup: Seconds = Field(0.0, ge=0, description="simulated before the measured time, not measured")
    interval: Seconds = Field(1800.0, gt=0, description="reporting and staffing step (default 30min)")
    start: ClockTime = Field(
        0.0, description="time of day at which the measured time starts (default '00:00')"
    )
    replications: int = Field(1, ge=1, le=10_000, description="independent replications")
    seed: int = Field(1, ge=0, description="root seed of all random streams")
    drain: bool = Field(
        True,
        description="after the end, arrivals stop and contacts present are finished (true), "
        "or they are cut off and recorded as 'unfinished' (false)",
    )
    drain_limit: Seconds = Field(
        7 * 86400.0, gt=0, description="longest drain; contacts left after it are 'unfinished'"
    )
    busyness: Annotated[Distribution | None, BeforeValidator(_plain_numbers)] = Field(
        None,
        description="day-level busyness factor (for example gamma with mean 1 and cv 0.1): each "
        "day's demand rates of every stream are multiplied by one draw",
    )

    @model_validator(mode="after")
    def _interval_fits(self) -> ScenarioSection:
        if self.interval > self.duration:
            raise ValueError(
                f"interval ({self.interval:g}s) must not be longer than duration ({self.duration:g}s)"
            )
        return self


# --------------------------------------------------------------------------- channels


class ServiceLevel(_Model):
    """How the service level of a channel is defined and what it should reach."""

    within: Seconds = Field(gt=0, description="answer-time threshold, e.g. '20s' or '24h'")
    target: float = Field(0.8, ge=0, le=1, description="target share, e.g. 0.8")
    definition: Literal["offered", "answered", "offered_excl_short", "answered_or_abandoned"] = Field(
        "offered",
        description="'offered': answered within threshold / (answered + abandoned); "
        "'answered': answered within / answered; 'offered_excl_short': like 'offered' but "
        "abandons within short_abandon are left out; 'answered_or_abandoned': (answered within + "
        "abandoned within) / (answered + abandoned)",
    )
    short_abandon: Seconds = Field(
        5.0, ge=0, description="abandons quicker than this are ignored by 'offered_excl_short'"
    )
    abandon_cap: float | None = Field(
        None, gt=0, le=1, description="largest acceptable abandonment rate (optional)"
    )


class Hours(_Model):
    """One daily opening window (clock times); close may be past midnight ('22:00'-'06:00')."""

    open: ClockTime = Field(description="opening time, e.g. '08:00'")
    close: ClockTime = Field(description="closing time, e.g. '20:00'")


class Channel(_Model):
    """``[channels.NAME]``: a way customers reach the centre."""

    kind: Literal["voice", "chat", "email", "walk_in", "social"] = Field(
        description="voice, chat and walk_in (a desk with its own queue) are real-time; email and "
        "social are deferred (no abandonment, answered oldest first)"
    )
    service_level: ServiceLevel | None = Field(
        None, description="threshold, target and definition of the service level"
    )
    lines: int | None = Field(
        None, ge=1, le=1_000_000, description="voice only: trunk lines, held while waiting and in service"
    )
    concurrency: int = Field(1, ge=1, le=100, description="chat only: contacts an agent holds at once")
    concurrency_stretch: float = Field(
        0.0,
        ge=0,
        le=100,
        description="chat only: handle time is multiplied by 1 + stretch x (chats held - 1)",
    )
    hours: Annotated[list[Hours] | None, BeforeValidator(opening_windows)] = Field(
        None, description="daily opening windows, e.g. '08:00-20:00' (default: always open)"
    )
    after_hours: Literal["lost", "queue", "voicemail", "fallback"] | None = Field(
        None,
        description="what happens to a contact arriving while closed: 'lost' (outcome 'closed'; "
        "default for real-time channels), 'queue' (waits for opening; default for deferred ones), "
        "'voicemail' (a message that becomes a callback when the channel opens) or 'fallback' "
        "(moves to 'fallback_channel', e.g. chat falls back to e-mail)",
    )
    fallback_channel: str | None = Field(None, description="with after_hours = 'fallback'")
    patience: Distribution | None = Field(
        None, description="patience on this channel, overriding the segment's (e.g. at a walk-in desk)"
    )
    non_service: NonService | None = Field(None, description="calls that are not service calls")
    announcement: Announcement | None = Field(None, description="wait-time announcement")
    callback: Callback | None = Field(None, description="callback offer (virtual hold)")
    acknowledgement: Acknowledgement | None = Field(
        None, description="deferred channels: receipt with a promised response time"
    )

    @model_validator(mode="after")
    def _kind_rules(self) -> Channel:
        if self.lines is not None and self.kind != "voice":
            raise ValueError(f"lines only apply to voice channels (this one is {self.kind!r})")
        if self.concurrency != 1 and self.kind != "chat":
            raise ValueError(f"concurrency only applies to chat channels (this one is {self.kind!r})")
        if (self.after_hours == "fallback") != (self.fallback_channel is not None):
            raise ValueError("after_hours = 'fallback' and fallback_channel go together")
        if self.acknowledgement is not None and self.realtime:
            raise ValueError(f"acknowledgement applies to deferred channels (this one is {self.kind!r})")
        return self

    @property
    def realtime(self) -> bool:
        return self.kind in ("voice", "chat", "walk_in")

    @property
    def closed_policy(self) -> str:
        if self.after_hours is not None:
            return self.after_hours
        return "lost" if self.realtime else "queue"


# --------------------------------------------------------------------------- customers


class Segment(_Model):
    """``[segments.NAME]``: a customer tier."""

    priority: int = Field(1, ge=0, description="smaller is served first")
    head_start: Seconds = Field(
        0.0,
        ge=0,
        description="with routing.priority = 'head_start': the segment's contacts count as having "
        "waited this much longer",
    )
    patience: Distribution | None = Field(
        None, description="time a contact waits before abandoning (omitted: never abandons)"
    )
    patience_profile: list[Annotated[float, Field(gt=0)]] | None = Field(
        None,
        description="factors on the patience of contacts arriving in each interval of the day, "
        "from 00:00, one per scenario.interval (48 with '30min'): 1.2 where callers wait 20% longer "
        "than 'patience' says (omitted: 1 all day)",
    )
    personal: Personal | None = Field(None, description="personal agent, then deputy, then pool")
    identification: Identification | None = Field(None, description="caller identification")
    retrial: Retrial | None = Field(None, description="attempts again after abandoning or a busy signal")

    @model_validator(mode="after")
    def _profile_needs_patience(self) -> Segment:
        if self.patience_profile is not None and self.patience is None:
            raise ValueError("patience_profile needs a patience to scale (this segment never abandons)")
        return self


class ContactType(_Model):
    """``[contact_types.NAME]``: a reason for contacting."""

    handle: Distribution = Field(description="handle (talk) time")
    wrap_up: Distribution | None = Field(None, description="after-contact work (optional)")
    handle_by_channel: dict[str, Distribution] = Field(
        default_factory=dict, description="handle time on a given channel, overriding 'handle'"
    )
    skill: str | None = Field(None, description="skill needed (default: the type's own name)")
    groups: list[str] | None = Field(
        None, description="agent groups in order of preference (default: any able group)"
    )
    overflow_delay: Seconds = Field(
        0.0,
        ge=0,
        description="with 'groups': a contact goes to a later group only when no earlier group "
        "has a free agent and it has waited at least this long",
    )

    priority: int | None = Field(
        None, ge=0, description="queue priority of this type, overriding the segment's (e.g. level 2)"
    )
    resolution: float = Field(1.0, ge=0, le=1, description="first-contact resolution: share resolved")
    repeat: Repeat | None = Field(None, description="unresolved contacts come back as repeats")
    escalation: Escalation | None = Field(None, description="escalation to a higher support level")
    in_scope: bool = Field(True, description="inside the agreed service scope")
    decline: Distribution | None = Field(
        None, description="agent time to decline it briefly (with routing.out_of_scope = 'decline')"
    )

    def handle_on(self, channel: str) -> Distribution:
        return self.handle_by_channel.get(channel, self.handle)


# --------------------------------------------------------------------------- demand


class ProfileFile(_Model):
    """A column of a CSV file holding one value per interval."""

    file: str = Field(description="CSV file, relative to the config file")
    column: str | None = Field(None, description="column to use (default: the first)")
    unit: str | None = Field(
        None,
        description="rates only: the unit of the column's numbers, e.g. '/h', '/min' or '/30min' "
        "(or said by the column's name, e.g. 'calls_per_hour'); profiles and staffing take none",
    )


class Demand(_Model):
    """``[[demand]]``: one stream of arrivals (Poisson, with a piecewise-constant rate).

    Give exactly one of ``rate`` (constant), ``rates`` (one rate per interval) or ``volume``
    with ``profile`` (contacts per day spread over the intervals by the profile's weights).
    Lists of at most one day repeat every day from ``scenario.start``.
    """

    channel: str = Field(description="channel name")
    contact_type: str | dict[str, float] = Field(description="a contact type, or a mix {type = share, ...}")
    segment: str | dict[str, float] = Field(description="a segment, or a mix {segment = share}")
    rate: PerSecond | None = Field(None, ge=0, description="constant rate, e.g. '19.5/min'")
    rates: list[Annotated[PerSecond, Field(ge=0)]] | ProfileFile | None = Field(
        None, description="one rate per interval (inline, or a CSV column whose unit is given)"
    )
    volume: float | None = Field(None, ge=0, description="contacts per day, spread by 'profile'")
    profile: list[float] | ProfileFile | None = Field(
        None, description="weights per interval of the day (normalised to sum 1)"
    )
    self_service: SelfService | None = Field(None, description="share resolved by self-service or IVR")
    site: str | dict[str, float] | None = Field(
        None,
        description="with [sites]: the home site of the stream's contacts, or a mix {site = share} "
        "(default: the sites' shares)",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Demand:
        forms = [self.rate is not None, self.rates is not None, self.volume is not None]
        if sum(forms) != 1:
            raise ValueError("give exactly one of 'rate', 'rates' or 'volume' (with 'profile')")
        if (self.volume is None) != (self.profile is None):
            raise ValueError("'volume' and 'profile' go together")
        for mix in (self.contact_type, self.segment):
            if isinstance(mix, dict):
                if not mix:
                    raise ValueError("a mix needs at least one entry")
                if any(v < 0 for v in mix.values()) or not 0 < sum(mix.values()) < math.inf:
                    raise ValueError(f"mix shares must be >= 0, not all zero, with a finite sum (got {mix})")
        return self


# --------------------------------------------------------------------------- agents


class Shift(_Model):
    """A daily shift: ``count`` agents from ``start`` for ``length``."""

    start: ClockTime = Field(description="time of day the shift starts, e.g. '08:00'")
    length: Seconds = Field(gt=0, description="shift length, e.g. '8h'")
    count: int = Field(ge=0, description="agents on this shift")


class AgentGroup(_Model):
    """``[agents.NAME]``: agents with the same skills, channels and schedule.

    Give exactly one of ``count`` (constant), ``staffing`` (one count per interval) or
    ``shifts``.
    """

    count: int | None = Field(None, ge=0, description="agents staffed all the time")
    staffing: list[Annotated[int, Field(ge=0)]] | ProfileFile | None = Field(
        None, description="agents per interval (inline, or a CSV column)"
    )
    shifts: list[Shift] | None = Field(None, description="daily shifts")
    skills: list[str] | dict[str, float] = Field(
        description="skills, or {skill = proficiency}: handle time is divided by proficiency"
    )
    channels: list[str] = Field(description="channels the agents work on")
    # money (ccsim.config.economics)
    cost_per_hour: float | None = Field(
        None, ge=0, description="cost of a paid hour of one agent (default: costs.agent_cost_per_hour)"
    )
    shrinkage: float | None = Field(
        None,
        ge=0,
        lt=1,
        description="share of paid time not available (breaks, training, absence): paid hours = "
        "hours on duty / (1 - shrinkage) (default: costs.shrinkage); with absence, breaks or "
        "blocks simulated, the share of paid time they leave out (holidays, say)",
    )
    # the agents as they really are (ccsim.config.rota)
    absence: Absence | None = Field(None, description="unplanned absence, drawn per day (off by default)")
    breaks: list[Break] | None = Field(None, description="breaks per shift, staggered across the agents")
    blocks: list[Block] | None = Field(None, description="daily training or meeting blocks off the phones")
    wellbeing: Wellbeing | None = Field(
        None, description="occupancy cap, recovery pauses and fatigue (off by default)"
    )

    @model_validator(mode="after")
    def _one_form(self) -> AgentGroup:
        forms = [self.count is not None, self.staffing is not None, self.shifts is not None]
        if sum(forms) != 1:
            raise ValueError("give exactly one of 'count', 'staffing' or 'shifts'")
        if isinstance(self.skills, dict) and any(not 0.01 <= v <= 100 for v in self.skills.values()):
            raise ValueError(f"proficiencies must be between 0.01 and 100 (got {self.skills})")
        if not self.skills:
            raise ValueError("an agent group needs at least one skill")
        if not self.channels:
            raise ValueError("an agent group needs at least one channel")
        return self

    @property
    def proficiency(self) -> dict[str, float]:
        if isinstance(self.skills, dict):
            return dict(self.skills)
        return {s: 1.0 for s in self.skills}


class Routing(_Model):
    """``[routing]``: how contacts and agents are matched (policies live in ccsim.model.routing).

    A new contact always goes to the agent idle the longest among the able groups (by rank).
    """

    queue_selection: Literal["priority_then_longest_waiting", "longest_waiting"] = Field(
        "priority_then_longest_waiting",
        description="which waiting contact a freed agent takes",
    )
    priority: Literal["strict", "head_start"] = Field(
        "strict",
        description="'strict': a smaller priority is always served first; 'head_start': contacts "
        "are taken longest-waiting first, each segment's head_start added to its waits",
    )
    out_of_scope: Literal["serve", "decline"] = Field(
        "serve", description="contact types outside the scope are served in full or declined briefly"
    )
    deferred_order: Literal["arrival", "promise"] = Field(
        "arrival",
        description="order of the deferred work of channels with an acknowledgement: 'arrival' "
        "(oldest first) or 'promise' (earliest promised answer first)",
    )
    blending: Blending = Field(
        default_factory=lambda: Blending(),
        description="how agents of both real-time and deferred channels choose their next contact",
    )
    sites: Literal["local_first", "virtual_queue"] = Field(
        "local_first",
        description="with [sites]: 'local_first': a contact waits for its site's agents and the "
        "other sites' agents may take it after site_overflow_delay; 'virtual_queue': all sites' "
        "agents serve one queue in order of arrival",
    )
    site_overflow_delay: Seconds = Field(
        0.0,
        ge=0,
        description="with sites = 'local_first': the wait after which other sites' agents may take "
        "a contact, e.g. '30s'",
    )


class ScenarioConfig(_Model):
    """A whole scenario file."""

    scenario: ScenarioSection
    channels: dict[Name, Channel] = Field(min_length=1)
    segments: dict[Name, Segment] = Field(min_length=1)
    contact_types: dict[Name, ContactType] = Field(min_length=1)
    demand: list[Demand] = Field(min_length=1)
    agents: dict[Name, AgentGroup] = Field(min_length=1)
    routing: Routing = Field(default_factory=lambda: Routing())
    partners: dict[Name, Partner] = Field(default_factory=dict, description="outsourcing partners")
    # customers who react (ccsim.config.choice)
    choice: Choice | None = Field(None, description="customers choose their channel by the expected wait")
    scope_communication: ScopeCommunication | None = Field(
        None, description="communicating the scope: fewer out-of-scope contacts, at a cost"
    )
    proactive: dict[Name, Campaign] = Field(
        default_factory=dict, description="proactive contact: outbound campaigns, by name"
    )
    sites: dict[Name, Site] = Field(
        default_factory=dict, description="the centre's sites (default: one implicit site)"
    )
    # money, customer value and experience (ccsim.config.economics)
    costs: E.Costs = Field(
        default_factory=lambda: E.Costs(), description="telephony, self-service and callback costs"
    )
    value: E.Value = Field(default_factory=lambda: E.Value(), description="customer value and churn")
    experience: E.Experience = Field(
        default_factory=lambda: E.Experience(), description="CSAT, CES and NPS response functions"
    )
    frontier: E.Frontier = Field(
        default_factory=lambda: E.Frontier(), description="targets and service choices for `ccsim frontier`"
    )
    sensitivity: E.Sensitivity = Field(
        default_factory=lambda: E.Sensitivity(),
        description="how far `ccsim sensitivity` varies each soft assumption",
    )

    @field_validator("costs", "value", "frontier")
    @classmethod
    def _economics_names(cls, v: object, info: ValidationInfo) -> object:
        return E.check_names(str(info.field_name), v, info)


def model_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (for editors)."""
    schema = ScenarioConfig.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "ccsim scenario"
    return schema


__all__ = [
    "AgentGroup",
    "Channel",
    "ContactType",
    "Demand",
    "Hours",
    "ProfileFile",
    "Routing",
    "ScenarioConfig",
    "ScenarioSection",
    "Segment",
    "ServiceLevel",
    "Shift",
    "model_json_schema",
    "parse_duration",
]
