"""Schema of money and customer value: costs, customer value and churn, experience response
functions (CSAT, CES, NPS) and the service choices the frontier compares.

Every table here is optional and every default is stated. The defaults of the churn and
experience response functions are assumptions, not measurements: they give the direction and
rough size of the effects so that a planner can see them at work; replace them with values
from your own surveys and churn analyses (``docs/explanation/economics.md``). Agent costs per
paid hour and shrinkage are keys of ``[agents.NAME]``; partner prices are ``partners.NAME.price``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ccsim.config.errors import unknown_name
from ccsim.distributions import Seconds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def _check_points(at: list[float], value: list[float]) -> None:
    if not at or len(at) != len(value):
        raise ValueError(
            f"'at' and 'value' need the same number of points, at least one (got {len(at)} and {len(value)})"
        )
    if any(b <= a for a, b in itertools.pairwise(at)):
        raise ValueError(f"'at' must increase (got {at})")


class WaitCurve(_Model):
    """A response to the wait: straight lines through the points (``at``, ``value``), flat
    before the first and after the last point."""

    at: list[Seconds] = Field(description="waits, increasing, e.g. ['0s', '1min', '5min']")
    value: list[float] = Field(description="the response at each wait")

    @model_validator(mode="after")
    def _points(self) -> WaitCurve:
        _check_points(self.at, self.value)
        return self

    def __call__(self, wait: np.ndarray) -> np.ndarray:
        return np.interp(np.nan_to_num(wait), self.at, self.value)


class ScoreCurve(_Model):
    """A response to a score (e.g. the CSAT of a contact): straight lines through the points
    (``at``, ``value``), flat before the first and after the last point."""

    at: list[float] = Field(description="scores, increasing")
    value: list[float] = Field(description="the response at each score (a probability)")

    @model_validator(mode="after")
    def _points(self) -> ScoreCurve:
        _check_points(self.at, self.value)
        if any(not 0 <= v <= 1 for v in self.value):
            raise ValueError(f"values are probabilities in [0, 1] (got {self.value})")
        return self

    def __call__(self, score: np.ndarray) -> np.ndarray:
        return np.interp(score, self.at, self.value)


# --------------------------------------------------------------------------- costs


class Telephony(_Model):
    """``costs.telephony.CHANNEL``: the telephony (or platform) price per minute on a channel."""

    waiting: float = Field(0.0, ge=0, description="per minute a contact waits (queue, held line)")
    talking: float = Field(0.0, ge=0, description="per minute of talk time (wrap-up is not charged)")


class Costs(_Model):
    """``[costs]``: what serving contacts costs. Agents cost ``agents.NAME.cost_per_hour`` per
    paid hour (defaulting to ``agent_cost_per_hour``); paid hours are the hours on duty divided
    by 1 - shrinkage. Partners cost ``partners.NAME.price`` per contact they serve."""

    currency: str = Field("EUR", description="currency of every amount, shown in the outputs")
    agent_cost_per_hour: float = Field(
        0.0, ge=0, description="cost of a paid agent hour for groups without their own cost_per_hour"
    )
    shrinkage: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="share of paid time not available (breaks, training, absence) for groups "
        "without their own shrinkage",
    )
    telephony: dict[str, Telephony] = Field(
        default_factory=dict, description="price per minute of waiting and talking, by channel name"
    )
    self_service: float | dict[str, float] = Field(
        0.0, description="price of a self-service or IVR session: one number, or by channel name"
    )
    callback: float = Field(
        0.0, ge=0, description="cost of making a callback (the outbound call), besides agent time"
    )

    @field_validator("self_service")
    @classmethod
    def _non_negative(cls, v: float | dict[str, float]) -> float | dict[str, float]:
        values = v.values() if isinstance(v, dict) else [v]
        if any(x < 0 for x in values):
            raise ValueError(f"prices must be >= 0 (got {v})")
        return v

    def self_service_price(self, channel: str) -> float:
        if isinstance(self.self_service, dict):
            return float(self.self_service.get(channel, 0.0))
        return float(self.self_service)


# --------------------------------------------------------------------------- customer value


H = 3600.0


def _default_churn_wait() -> WaitCurve:
    return WaitCurve(at=[0.0, 60.0, 180.0, 600.0], value=[0.0, 0.0005, 0.0025, 0.01])


def _default_churn_wait_deferred() -> WaitCurve:
    return WaitCurve(at=[0.0, 4 * H, 24 * H, 72 * H], value=[0.0, 0.0005, 0.0025, 0.01])


class Churn(_Model):
    """Churn response: the probability that one contact's experience makes the customer leave.
    A contact's probability is ``1 - (1 - wait(w)) x product of (1 - p)`` over the events that
    happened to it (each ``p`` below). Defaults are assumptions."""

    wait: WaitCurve = Field(
        default_factory=_default_churn_wait,
        description="by the wait on a real-time channel (voice, chat, walk-in) (default 0 at 0s, "
        "0.05% at 1min, 0.25% at 3min, 1% at 10min)",
    )
    wait_deferred: WaitCurve = Field(
        default_factory=_default_churn_wait_deferred,
        description="by the wait on a deferred channel (e-mail, social) (default 0 at 0s, 0.05% "
        "at 4h, 0.25% at 24h, 1% at 72h)",
    )
    lost: float = Field(
        0.015, ge=0, le=1, description="not served: abandoned, blocked, balked or lost while closed"
    )
    unresolved: float = Field(0.01, ge=0, le=1, description="served but the issue was not resolved")
    repeat: float = Field(0.005, ge=0, le=1, description="the contact is not the first about its issue")
    broken_promise: float = Field(
        0.01, ge=0, le=1, description="a promised answer time (acknowledgement, callback) was missed"
    )


class SegmentValue(_Model):
    """``value.segments.NAME``: what a customer of the segment is worth."""

    lifetime_value: float = Field(
        0.0, ge=0, description="value of a customer (future margin); a churned customer loses it"
    )
    lost_per_contact: float = Field(
        0.0, ge=0, description="revenue lost per contact lost for good, added to the contact type's"
    )
    churn: Churn | None = Field(None, description="churn response of the segment (default: value.churn)")


class TypeValue(_Model):
    """``value.contact_types.NAME``: revenue at stake in a contact of the type."""

    lost_per_contact: float = Field(
        0.0, ge=0, description="revenue lost per contact lost for good (e.g. a lost sale)"
    )


class Uncertainty(_Model):
    """``value.uncertainty``: factors on every customer value for the low and high cases."""

    low: float = Field(0.5, ge=0, description="low case: lifetime values and lost revenue x this")
    high: float = Field(1.5, ge=0, description="high case: lifetime values and lost revenue x this")


class Value(_Model):
    """``[value]``: customer value at stake. A contact is *lost for good* when it is abandoned
    or blocked and does not try again (weighted by the segment's retrial shares), balks, or
    arrives while its channel is closed and is lost; it loses the segment's plus the contact
    type's ``lost_per_contact``. Churn loses the segment's ``lifetime_value``."""

    segments: dict[str, SegmentValue] = Field(default_factory=dict, description="by segment name")
    contact_types: dict[str, TypeValue] = Field(default_factory=dict, description="by contact type name")
    churn: Churn = Field(default_factory=lambda: Churn(), description="churn response of every segment")
    uncertainty: Uncertainty = Field(
        default_factory=lambda: Uncertainty(), description="low and high cases of customer value"
    )

    def churn_of(self, segment: str) -> Churn:
        seg = self.segments.get(segment)
        return seg.churn if seg is not None and seg.churn is not None else self.churn


# --------------------------------------------------------------------------- experience


def _csat_wait() -> WaitCurve:
    return WaitCurve(at=[0.0, 20.0, 60.0, 180.0, 600.0], value=[0.0, 0.1, 0.4, 1.0, 1.8])


def _ces_wait() -> WaitCurve:
    return WaitCurve(at=[0.0, 60.0, 300.0, 900.0], value=[0.0, 0.3, 1.0, 1.8])


def _csat_wait_deferred() -> WaitCurve:
    return WaitCurve(at=[0.0, 1 * H, 4 * H, 24 * H, 72 * H], value=[0.0, 0.1, 0.4, 1.0, 1.8])


def _ces_wait_deferred() -> WaitCurve:
    return WaitCurve(at=[0.0, 4 * H, 24 * H, 72 * H], value=[0.0, 0.3, 1.0, 1.8])


class _Score(_Model):
    """Shared behaviour of the CSAT and CES response functions."""

    low: float
    high: float
    base: float
    wait: WaitCurve
    wait_deferred: WaitCurve
    lost: float
    unresolved: float
    repeat: float
    escalated: float
    broken_promise: float
    self_service: float

    @model_validator(mode="after")
    def _scale(self) -> _Score:
        if not self.low < self.high:
            raise ValueError(f"low must be below high (got {self.low} and {self.high})")
        for name in ("lost", "unresolved", "repeat", "escalated", "broken_promise"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: penalties must be >= 0 (got {getattr(self, name)})")
        return self


class Csat(_Score):
    """``experience.csat``: satisfaction per contact on a 1-5 scale (higher is better):
    ``base`` minus the penalties of what happened to the contact, plus the ``early_answer``
    bonus of a promise beaten, kept within ``low``-``high``; a self-service session scores
    ``self_service``. The defaults are assumptions."""

    low: float = Field(1.0, description="lowest score of the scale")
    high: float = Field(5.0, description="highest score of the scale")
    base: float = Field(4.6, description="score of a contact answered at once and resolved")
    wait: WaitCurve = Field(
        default_factory=_csat_wait,
        description="penalty by the wait on a real-time channel (default 0 at 0s, 0.1 at 20s, 0.4 at "
        "1min, 1 at 3min, 1.8 at 10min)",
    )
    wait_deferred: WaitCurve = Field(
        default_factory=_csat_wait_deferred,
        description="penalty by the wait on a deferred channel (default 0 at 0s, 0.1 at 1h, 0.4 at "
        "4h, 1 at 24h, 1.8 at 72h)",
    )
    lost: float = Field(1.8, description="penalty when not served (abandoned, blocked, balked, closed)")
    unresolved: float = Field(1.2, description="penalty when served but not resolved")
    repeat: float = Field(0.5, description="penalty per earlier contact about the same issue")
    escalated: float = Field(0.3, description="penalty when passed to another support level")
    broken_promise: float = Field(0.8, description="penalty when a promised answer time was missed")
    self_service: float = Field(4.2, description="score of a self-service session")
    early_answer: WaitCurve | None = Field(
        None,
        description="bonus by how long before its promised time a contact was answered, e.g. "
        "{ at = ['0s', '4h', '12h'], value = [0, 0.1, 0.2] } (default: none)",
    )


class Ces(_Score):
    """``experience.ces``: customer effort score per contact on the 1-7 'the company made it
    easy to handle my issue' scale (higher is easier), built like the CSAT. The defaults are
    assumptions."""

    low: float = Field(1.0, description="lowest score of the scale")
    high: float = Field(7.0, description="highest score of the scale")
    base: float = Field(6.3, description="score of a contact answered at once and resolved")
    wait: WaitCurve = Field(
        default_factory=_ces_wait,
        description="penalty by the wait on a real-time channel (default 0 at 0s, 0.3 at 1min, 1 at "
        "5min, 1.8 at 15min)",
    )
    wait_deferred: WaitCurve = Field(
        default_factory=_ces_wait_deferred,
        description="penalty by the wait on a deferred channel (default 0 at 0s, 0.3 at 4h, 1 at "
        "24h, 1.8 at 72h)",
    )
    lost: float = Field(2.0, description="penalty when not served (abandoned, blocked, balked, closed)")
    unresolved: float = Field(1.5, description="penalty when served but not resolved")
    repeat: float = Field(0.8, description="penalty per earlier contact about the same issue")
    escalated: float = Field(0.6, description="penalty when passed to another support level")
    broken_promise: float = Field(0.5, description="penalty when a promised answer time was missed")
    self_service: float = Field(5.8, description="score of a self-service session")


def _promoter() -> ScoreCurve:
    return ScoreCurve(at=[1, 3, 4, 5], value=[0.0, 0.05, 0.3, 0.75])


def _detractor() -> ScoreCurve:
    return ScoreCurve(at=[1, 2, 3, 4, 5], value=[0.95, 0.8, 0.5, 0.15, 0.03])


class Nps(_Model):
    """``experience.nps``: probability that a customer is a promoter (9-10) or a detractor (0-6)
    given the contact's CSAT; NPS = 100 x (promoters - detractors) / rated contacts."""

    promoter: ScoreCurve = Field(default_factory=_promoter, description="P(promoter) by CSAT")
    detractor: ScoreCurve = Field(default_factory=_detractor, description="P(detractor) by CSAT")


class Experience(_Model):
    """``[experience]``: response functions that estimate each contact's CSAT (1-5, higher is
    better), CES (customer effort score on the 1-7 'easy to handle' scale, higher is easier)
    and NPS from what happened to it. Their defaults are assumptions."""

    csat: Csat = Field(default_factory=lambda: Csat(), description="satisfaction, 1-5")
    ces: Ces = Field(default_factory=lambda: Ces(), description="ease, 1-7 (7: very easy)")
    nps: Nps = Field(default_factory=lambda: Nps(), description="promoters and detractors by CSAT")


# --------------------------------------------------------------------------- frontier


class Frontier(_Model):
    """``[frontier]``: what ``ccsim frontier`` compares: a range of service-level targets and,
    optionally, named service choices, each a set of config overrides by dotted path."""

    targets: list[float] = Field(
        default_factory=lambda: [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95],
        description="service-level targets to optimise for, each in (0, 1)",
    )
    channels: list[str] | None = Field(
        None,
        description="channels whose target is varied (default: the real-time channels with a "
        "service level); the others keep their own target",
    )
    choices: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="named service choices: overrides such as "
        "{ \"channels.phone.callback.accept\" = 0 }; 'as_configured' is always compared",
    )

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: list[float]) -> list[float]:
        if not v or any(not 0 < t < 1 for t in v):
            raise ValueError(f"targets must be in (0, 1), at least one (got {v})")
        return sorted(set(v))


# --------------------------------------------------------------------------- sensitivity


class Range(_Model):
    """A soft assumption's low and high value, as multipliers of the value in the scenario."""

    low: float = Field(gt=0, description="multiplier at the low end, e.g. 0.5")
    high: float = Field(gt=0, description="multiplier at the high end, e.g. 2")

    @model_validator(mode="after")
    def _order(self) -> Range:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise ValueError(f"low must be <= high, both finite (got low={self.low}, high={self.high})")
        return self


def _range(low: float, high: float, what: str) -> Any:
    return Field(default_factory=lambda: Range(low=low, high=high), description=what)


class Sensitivity(_Model):
    """``[sensitivity]``: how far ``ccsim sensitivity`` varies each soft assumption, as
    multipliers. Money assumptions are re-accounted on the frontier's replications; operational
    ones re-simulate the frontier's plans on the same replications."""

    lifetime_value: Range = _range(0.5, 2.0, "each segment's lifetime value (money)")
    lost_revenue: Range = _range(0.5, 2.0, "each segment's revenue lost with a lost contact (money)")
    churn: Range = _range(0.5, 2.0, "every churn probability (the churn response curves scaled; money)")
    experience: Range = _range(0.5, 2.0, "the CSAT/NPS response curves (reported, not priced)")
    agent_cost: Range = _range(0.9, 1.1, "every agent group's cost per paid hour (money)")
    demand: Range = _range(0.9, 1.1, "the volume of every demand stream (re-simulated)")
    handle: Range = _range(0.9, 1.1, "every handle and wrap-up time (re-simulated)")
    patience: Range = _range(0.75, 1.5, "every patience (re-simulated)")
    design: Literal["morris", "sobol"] = Field(
        "morris", description="global design over the money assumptions (SALib): 'morris' or 'sobol'"
    )
    samples: int = Field(
        64, ge=4, le=100_000, description="trajectories (Morris) or base samples (Sobol) of the global design"
    )


# --------------------------------------------------------------------------- names


def _unknown(path: str, names: object, known: dict[str, Any], what: str) -> list[str]:
    out = []
    for name in names if isinstance(names, list | dict) else []:
        if name not in known:
            out.append(unknown_name(path, what, name, known))
    return out


def check_names(field: str, value: Any, info: ValidationInfo) -> Any:
    """Names used by ``costs``, ``value`` and ``frontier`` must exist (called by the schema)."""
    data = info.data
    problems: list[str] = []
    if isinstance(value, Costs) and "channels" in data:
        problems += _unknown("telephony", value.telephony, data["channels"], "channel")
        if isinstance(value.self_service, dict):
            problems += _unknown("self_service", value.self_service, data["channels"], "channel")
    if isinstance(value, Value):
        if "segments" in data:
            problems += _unknown("segments", value.segments, data["segments"], "segment")
        if "contact_types" in data:
            problems += _unknown("contact_types", value.contact_types, data["contact_types"], "contact type")
    if isinstance(value, Frontier) and "channels" in data and value.channels is not None:
        problems += _unknown("channels", value.channels, data["channels"], "channel")
    if problems:
        raise ValueError("; ".join(problems))
    return value


__all__ = [
    "Ces",
    "Churn",
    "Costs",
    "Csat",
    "Experience",
    "Frontier",
    "Nps",
    "ScoreCurve",
    "SegmentValue",
    "Telephony",
    "TypeValue",
    "Uncertainty",
    "Value",
    "WaitCurve",
    "check_names",
]
