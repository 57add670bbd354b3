"""The compiled well-being rules of an agent group (``agents.NAME.wellbeing``), for
``wellbeing.Wellbeing`` to apply agent by agent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ccsim.config.schema import AgentGroup


@dataclass(frozen=True)
class WellbeingPlan:
    """When an agent pauses and how it tires (times in seconds)."""

    cap: float  # rolling occupancy above which it pauses (inf: no cap)
    window: float  # of the rolling occupancy
    max_contacts: int  # contacts in one busy stretch before a pause (0: no such rule)
    pause: float  # length of a recovery pause
    rest: float  # idle time that ends a busy stretch
    fatigue_per_s: float  # growth of the handle-time factor per second of busy stretch
    fatigue_max: float  # the factor's ceiling

    @property
    def pauses(self) -> bool:
        """Whether any rule can send an agent on a pause (a cap of 1 never does)."""
        return self.cap < 1.0 or self.max_contacts > 0

    def factor(self, stretch: float) -> float:
        """The handle-time factor after ``stretch`` seconds of busy stretch: linear, capped."""
        return min(1.0 + self.fatigue_per_s * stretch, self.fatigue_max)


def compile_wellbeing(group: AgentGroup) -> WellbeingPlan | None:
    """The rules of ``[agents.NAME].wellbeing``, or None when it has none."""
    w = group.wellbeing
    if w is None:
        return None
    return WellbeingPlan(
        cap=w.occupancy_cap if w.occupancy_cap is not None else math.inf,
        window=w.window,
        max_contacts=w.max_contacts or 0,
        pause=w.pause,
        rest=w.rest,
        fatigue_per_s=w.fatigue / 3600.0,
        fatigue_max=w.fatigue_max if w.fatigue > 0 else 1.0,
    )
