"""Schema of the agents as they really are: absence (unplanned shrinkage) and breaks and blocks
of planned off-phone time (planned shrinkage), keys of ``[agents.NAME]``.

Each is optional; leaving it out leaves the agents always there when staffed. What the model
does with them is described in ``docs/explanation/absence-and-breaks.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ccsim.config.clock import ClockTime
from ccsim.distributions import Seconds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Absence(_Model):
    """``agents.NAME.absence``: unplanned absence (sickness, no-shows), drawn per day and
    replication for each rostered agent of the group."""

    rate: float = Field(
        ge=0, lt=1, description="mean share of the rostered agents absent for a whole day, e.g. 0.08"
    )
    correlation: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="day-level correlation of the absences: 0 draws each agent independently "
        "(binomial); above 0 the day's absence rate is drawn first from a beta distribution with "
        "mean 'rate' and this intra-class correlation (beta-binomial: flu days and quiet days)",
    )
    leave_early: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of the agents present on a day who leave before their shift ends, at a "
        "time uniform over their shift (intraday absence)",
    )
    paid: bool = Field(True, description="absent hours are paid (sick pay) and count in the staffing cost")


class Break(_Model):
    """One break of ``agents.NAME.breaks``, taken by every agent of the group once per shift:
    either ``after`` a time from the start of the agent's shift, or within a ``window`` of clock
    times. The agents' breaks are staggered: their starts are spread evenly over ``spread`` (with
    ``after``) or over the window."""

    length: Seconds = Field(gt=0, description="length of the break, e.g. '15min'")
    after: Seconds | None = Field(None, ge=0, description="from the start of the shift, e.g. '2h'")
    spread: Seconds = Field(
        1800.0, ge=0, description="with 'after': the agents' break starts are spread over this span"
    )
    window: tuple[ClockTime, ClockTime] | None = Field(
        None, description="clock times the break lies within, e.g. ['11:30', '14:00'] for lunch"
    )

    @model_validator(mode="after")
    def _one_form(self) -> Break:
        if (self.after is None) == (self.window is None):
            raise ValueError("give exactly one of 'after' (time into the shift) or 'window' (clock times)")
        if self.window is not None:
            w0, w1 = self.window
            if not w0 < w1:
                raise ValueError(
                    f"window: the first clock time must be before the second (got {self.window})"
                )
            if w1 - w0 < self.length:
                raise ValueError(
                    f"window: {(w1 - w0) / 60:g}min is shorter than the break ({self.length / 60:g}min)"
                )
        return self


class Block(_Model):
    """One block of ``agents.NAME.blocks``: every day, ``agents`` of the group leave the phones
    for training or a meeting from ``start`` for ``length``."""

    start: ClockTime = Field(description="time of day the block starts, e.g. '14:00'")
    length: Seconds = Field(gt=0, description="length of the block, e.g. '1h'")
    agents: int = Field(ge=1, le=100_000, description="agents taking part (as many as are on duty, if fewer)")
