"""Schema of the agents' well-being: occupancy caps, recovery pauses and fatigue, the key
``agents.NAME.wellbeing``.

Optional; leaving it out leaves the agents taking contact after contact without tiring. What the
model does with it is described in ``docs/explanation/wellbeing.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ccsim.distributions import Seconds


class Wellbeing(BaseModel):
    """``agents.NAME.wellbeing``: when an agent of the group takes a short recovery pause (its
    rolling occupancy above ``occupancy_cap``, or ``max_contacts`` contacts in a row) and how
    much slower it gets with a long busy stretch (``fatigue``). Give at least one of
    ``occupancy_cap``, ``max_contacts`` and ``fatigue``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    occupancy_cap: float | None = Field(
        None,
        gt=0,
        le=1,
        description="an agent whose occupancy over the last 'window' is above this share when a "
        "contact ends takes a recovery pause, e.g. 0.9; 1 never pauses (measures the load only)",
    )
    window: Seconds = Field(
        1800.0, gt=0, le=86400.0, description="with 'occupancy_cap': the rolling window, e.g. '30min'"
    )
    max_contacts: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="an agent takes a recovery pause after this many contacts in one busy stretch",
    )
    pause: Seconds = Field(
        180.0,
        gt=0,
        le=14400.0,
        description="length of a recovery pause (off the phones, as a break), e.g. '3min'",
    )
    rest: Seconds = Field(
        300.0,
        gt=0,
        le=14400.0,
        description="idle time between contacts that ends a busy stretch (a pause or a break always "
        "does), e.g. '5min'",
    )
    fatigue: float = Field(
        0.0,
        ge=0,
        le=10,
        description="handle time grows by this share per hour of busy stretch: factor = 1 + "
        "fatigue x hours, e.g. 0.1 (10% slower after an hour); 0: no fatigue",
    )
    fatigue_max: float = Field(
        1.5, ge=1, le=10, description="with 'fatigue': the largest handle-time factor, e.g. 1.3"
    )

    @model_validator(mode="after")
    def _used(self) -> Wellbeing:
        given = self.model_fields_set
        pauses = self.occupancy_cap is not None or self.max_contacts is not None
        if not pauses and self.fatigue == 0:
            raise ValueError("give at least one of 'occupancy_cap', 'max_contacts' or 'fatigue' (> 0)")
        if "window" in given and self.occupancy_cap is None:
            raise ValueError(f"window = {self.window:g}s does nothing without 'occupancy_cap'")
        if "pause" in given and not pauses:
            raise ValueError(
                f"pause = {self.pause:g}s does nothing without 'occupancy_cap' or 'max_contacts'"
            )
        if "fatigue_max" in given and self.fatigue == 0:
            raise ValueError(f"fatigue_max = {self.fatigue_max:g} does nothing without 'fatigue' (> 0)")
        return self
