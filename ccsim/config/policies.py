"""Schema of the service policies and customer behaviour a planner can switch on (the
customer's journey): personal agents, caller identification, announcements, callbacks,
acknowledgements and chasers, retrials, repeat contacts, escalation, self-service, outsourcing
partners, blending rules.

Each table here is optional; leaving it out leaves the behaviour off. What the model does with
each is described in ``docs/explanation/journeys.md``.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ccsim.distributions import Distribution, Seconds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def _check_mix(mix: dict[str, float] | None) -> None:
    if mix is not None and (
        not mix or any(v < 0 for v in mix.values()) or not 0 < sum(mix.values()) < math.inf
    ):
        raise ValueError(f"mix shares must be >= 0, not all zero, with a finite sum (got {mix})")


class Personal(_Model):
    """``segments.NAME.personal``: each customer of the segment belongs to a personal agent of
    ``group``; every agent has a deputy (the next seat of the group). A contact waits for its
    personal agent up to ``wait``, then for the deputy up to ``deputy_wait``, then goes to any
    agent able to serve it (the pool)."""

    group: str = Field(description="agent group of the personal agents")
    wait: Seconds = Field(60.0, ge=0, description="longest wait for the personal agent")
    deputy_wait: Seconds = Field(30.0, ge=0, description="then the longest wait for the deputy")
    customers: int = Field(
        1000, ge=1, le=10**9, description="customers of the segment, spread evenly over the group's seats"
    )


class Identification(_Model):
    """``segments.NAME.identification``: caller identification on arrival."""

    share: float = Field(ge=0, le=1, description="share of the segment's contacts recognised")
    otherwise: str = Field(description="segment an unrecognised contact is routed as, e.g. 'standard'")


class Retrial(_Model):
    """``segments.NAME.retrial``: customers who abandon or are blocked try again."""

    abandoned: float = Field(0.0, ge=0, le=1, description="share of those who abandon who try again")
    blocked: float = Field(0.0, ge=0, le=1, description="share of those blocked who try again")
    balked: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of those who hang up on hearing the predicted wait who try again "
        "(default: as 'abandoned')",
    )
    delay: Distribution = Field(description="time until the next attempt")
    channels: dict[str, float] | None = Field(
        None, description="channel of the next attempt, as shares (default: the same channel)"
    )
    max_attempts: int = Field(3, ge=1, le=100, description="attempts in all, the first included")

    @model_validator(mode="after")
    def _mix(self) -> Retrial:
        _check_mix(self.channels)
        return self

    def share_of(self, outcome: str) -> float:
        """The share who try again after ``outcome``: 'abandoned', 'blocked' or 'balked'."""
        if outcome == "blocked":
            return self.blocked
        if outcome == "balked" and self.balked is not None:
            return self.balked
        return self.abandoned


class Repeat(_Model):
    """``contact_types.NAME.repeat``: an unresolved contact comes back as a repeat contact."""

    delay: Distribution = Field(description="time from the end of the contact to the repeat")
    channels: dict[str, float] | None = Field(
        None, description="channel of the repeat, as shares (default: the same channel)"
    )
    max_contacts: int = Field(4, ge=1, le=100, description="contacts about one issue at most")

    @model_validator(mode="after")
    def _mix(self) -> Repeat:
        _check_mix(self.channels)
        return self


class Escalation(_Model):
    """``contact_types.NAME.escalation``: a share of contacts is escalated to a higher support
    level, a contact of another type (other skill, handle time, priority) created at the end."""

    share: float = Field(ge=0, le=1, description="share of served contacts escalated")
    to: str = Field(description="contact type of the next support level")
    channel: str | None = Field(None, description="channel it is worked on (default: the same)")


class SelfService(_Model):
    """``demand.self_service``: a share of the stream is resolved by self-service or IVR."""

    share: float = Field(ge=0, le=1, description="share resolved by self-service")
    fail: float = Field(0.0, ge=0, le=1, description="share of those that fail and reach an agent")
    delay: Distribution | None = Field(None, description="time until a failed session reaches an agent")

    @model_validator(mode="after")
    def _delay(self) -> SelfService:
        if self.fail > 0 and self.delay is None:
            raise ValueError("give 'delay' when 'fail' > 0")
        return self


class NonService(_Model):
    """``channels.NAME.non_service``: calls to the service line that are not service calls."""

    share: float = Field(ge=0, le=1, description="share of arrivals that are not service calls")
    handling: Literal["telephony", "agent"] = Field(
        "telephony",
        description="'telephony': recognised and passed through without agent time; 'agent': an "
        "agent answers and transfers them",
    )
    time: Distribution | None = Field(None, description="agent time to answer and transfer ('agent')")

    @model_validator(mode="after")
    def _time(self) -> NonService:
        if self.handling == "agent" and self.time is None:
            raise ValueError("give 'time' (the agent's transfer time) with handling = 'agent'")
        return self


class Announcement(_Model):
    """``channels.NAME.announcement``: callers who must wait hear a predicted wait (queue
    length x mean handle time / agents able); of those hearing more than ``threshold``, a
    share ``balk`` leaves at once."""

    threshold: Seconds = Field(0.0, ge=0, description="predictions above this may make callers balk")
    balk: float = Field(0.0, ge=0, le=1, description="share of those hearing a long prediction who leave")


class Callback(_Model):
    """``channels.NAME.callback``: virtual hold. Callers still waiting after ``offer_after`` (or
    on arrival, when the predicted wait exceeds ``offer_if_predicted_over``) are offered a call
    back; a share ``accept`` takes it and leaves the queue. The callback is worked by an agent
    when no real-time contact waits ('when_free'), or at the latest ``promise`` after the
    request ('by_promise': it becomes urgent when the promise is near)."""

    offer_after: Seconds | None = Field(None, gt=0, description="offer to those who waited this long")
    offer_if_predicted_over: Seconds | None = Field(
        None, gt=0, description="offer on arrival when the predicted wait is longer"
    )
    accept: float = Field(ge=0, le=1, description="share of those offered who accept")
    promise: Seconds = Field(3600.0, gt=0, description="promised time to the call back")
    mode: Literal["when_free", "by_promise"] = Field("by_promise", description="when callbacks are made")
    urgent_before: Seconds = Field(
        600.0, ge=0, description="'by_promise': the callback becomes urgent this long before the promise"
    )

    @model_validator(mode="after")
    def _trigger(self) -> Callback:
        if self.offer_after is None and self.offer_if_predicted_over is None:
            raise ValueError("give 'offer_after' and/or 'offer_if_predicted_over'")
        return self


class Chase(_Model):
    """``channels.NAME.acknowledgement.chase``: customers still waiting for an answer contact
    again. Without a receipt (``promise = "none"``) a share ``unacknowledged`` chases ``after``
    the first contact; with one, a share ``missed`` chases ``after_promise`` once the promise has
    passed. The chase is a new contact (origin 'chase', same customer and contact type) on a
    channel drawn from ``channels``, with its own handle time; answered before the first
    contact, it closes it (outcome 'chased')."""

    unacknowledged: float = Field(
        0.5, ge=0, le=1, description="share of customers given no receipt who chase if not yet answered"
    )
    after: Distribution | None = Field(
        None, description="without a receipt: time from the first contact to the chase"
    )
    missed: float = Field(
        0.5, ge=0, le=1, description="share of customers past their promise who chase if not yet answered"
    )
    after_promise: Distribution | None = Field(
        None, description="with a receipt: time from the missed promise to the chase"
    )
    channels: dict[str, float] | None = Field(
        None, description="channel of the chase, as shares, e.g. { phone = 0.8, email = 0.2 } (default: same)"
    )
    handle: Distribution | None = Field(
        None, description="handle time of a chase (default: the contact type's on the chase's channel)"
    )

    @model_validator(mode="after")
    def _timing(self) -> Chase:
        _check_mix(self.channels)
        if self.after is None and self.after_promise is None:
            raise ValueError("give 'after' (no receipt) and/or 'after_promise' (promise missed)")
        return self


class Acknowledgement(_Model):
    """``channels.NAME.acknowledgement``: deferred channels send a receipt with a promised
    response time: fixed (by segment if ``segments`` says so), or from the backlog (contacts
    waiting x mean handle / agents able, times ``factor``, at least ``minimum``); ``"none"``
    sends no receipt (for comparing with ``chase``). A contact whose promise is nearer than
    ``urgent_before`` overtakes real-time work."""

    promise: Seconds | Literal["backlog", "none"] = Field(
        description="a fixed time, e.g. '24h'; 'backlog'; or 'none' (no receipt, with 'chase')"
    )
    factor: float = Field(1.5, gt=0, description="'backlog': safety factor on the estimate")
    minimum: Seconds = Field(3600.0, ge=0, description="'backlog': shortest promise")
    segments: dict[str, Seconds] = Field(
        default_factory=dict,
        description="a fixed promise by segment name, overriding 'promise', e.g. { vip = '4h' }",
    )
    urgent_before: Seconds | None = Field(
        None,
        ge=0,
        description="a contact this near its promise (or past it) goes before real-time work "
        "(default: never)",
    )
    chase: Chase | None = Field(None, description="customers still waiting contact again")

    @model_validator(mode="after")
    def _positive(self) -> Acknowledgement:
        if isinstance(self.promise, float) and not self.promise > 0:
            raise ValueError(f"a fixed promise must be > 0 (got {self.promise!r})")
        if any(not v > 0 for v in self.segments.values()):
            raise ValueError(f"segments: promises must be > 0 (got {self.segments})")
        if self.promise == "none":
            if self.chase is None:
                raise ValueError("promise = 'none' sends no receipt: give 'chase' or leave the table out")
            if self.segments or self.urgent_before is not None:
                raise ValueError("promise = 'none': 'segments' and 'urgent_before' need a promise")
            if self.chase.after is None:
                raise ValueError("promise = 'none': give chase.after (the time until customers chase)")
        elif self.chase is not None and self.chase.after_promise is None:
            raise ValueError("with a promise, give chase.after_promise (the time after a missed promise)")
        return self

    @property
    def receipt(self) -> bool:
        """Whether a receipt with a promise is sent."""
        return self.promise != "none"


class Blending(_Model):
    """``routing.blending``: how agents who serve both real-time and deferred channels (e-mail,
    social, callbacks not yet urgent) choose. 'realtime_first': deferred work only when no
    real-time contact the agent could take waits. 'reserve': as that, and deferred work only
    while at least ``reserve`` other agents of the group stay idle for real-time arrivals.
    'threshold': deferred work first while at most ``queue_below`` real-time contacts the
    agent could take wait, real-time first above it. Deadline-driven deferred work is set by
    ``routing.deferred_order`` and ``acknowledgement.urgent_before``."""

    rule: Literal["realtime_first", "reserve", "threshold"] = Field(
        "realtime_first", description="'realtime_first', 'reserve' or 'threshold'"
    )
    reserve: int | None = Field(
        None, ge=1, le=100_000, description="'reserve': idle agents of a blended group kept for real-time"
    )
    queue_below: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="'threshold': deferred work first while at most this many real-time contacts wait",
    )

    @model_validator(mode="after")
    def _rule_keys(self) -> Blending:
        if (self.rule == "reserve") != (self.reserve is not None):
            raise ValueError(f"'reserve' goes with rule = 'reserve' (rule is {self.rule!r})")
        if (self.rule == "threshold") != (self.queue_below is not None):
            raise ValueError(f"'queue_below' goes with rule = 'threshold' (rule is {self.rule!r})")
        return self


class Partner(_Model):
    """``[partners.NAME]``: an outsourcing partner that takes contacts the centre cannot
    answer in time, up to ``capacity`` at once, at a price per contact."""

    capacity: int = Field(ge=1, le=1_000_000, description="contacts the partner handles at once")
    contact_types: list[str] = Field(min_length=1, description="contact types it takes")
    channels: list[str] = Field(min_length=1, description="channels it takes them on")
    after: Seconds | None = Field(None, ge=0, description="send contacts that waited this long")
    queue_over: int | None = Field(
        None, ge=0, description="send arrivals that find more than this many waiting on the channel"
    )
    handle_factor: float = Field(1.0, gt=0, le=100, description="handle time relative to the centre's")
    resolution: float = Field(1.0, ge=0, le=1, description="share of its contacts resolved")
    price: float = Field(0.0, ge=0, description="price per contact (currency units)")

    @model_validator(mode="after")
    def _rule(self) -> Partner:
        if self.after is None and self.queue_over is None:
            raise ValueError("give the rule that sends contacts: 'after' and/or 'queue_over'")
        return self
