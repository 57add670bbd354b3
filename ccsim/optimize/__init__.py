"""Staffing optimisation and the service-level frontier (how much service is too much).

- ``optimize_staffing(scenario)``: the least-cost staffing per interval and group that meets
  every channel's service-level target in simulation (``ccsim.optimize.staffing``).
- ``shifts_for(plan)``: shifts that cover a plan at least cost (``ccsim.optimize.shifts``).
- ``frontier(scenario)``: total cost against service level, and the band of service levels
  that cannot be told apart from the cheapest (``ccsim.optimize.frontiers``, ``band``).
- ``sensitivity(scenario)``: the band under each soft assumption's low and high value
  (``ccsim.optimize.sensitivities``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "FrontierResult",
    "SensitivityResult",
    "StaffingPlan",
    "frontier",
    "optimize_staffing",
    "sensitivity",
    "shifts_for",
]

if TYPE_CHECKING:
    from ccsim.optimize.frontiers import FrontierResult, frontier
    from ccsim.optimize.sensitivities import SensitivityResult, sensitivity
    from ccsim.optimize.shifts import shifts_for
    from ccsim.optimize.staffing import StaffingPlan, optimize_staffing


def __getattr__(name: str) -> object:
    import importlib

    where = {
        "StaffingPlan": "staffing",
        "optimize_staffing": "staffing",
        "FrontierResult": "frontiers",
        "frontier": "frontiers",
        "shifts_for": "shifts",
        "SensitivityResult": "sensitivities",
        "sensitivity": "sensitivities",
    }
    if name in where:
        return getattr(importlib.import_module(f"ccsim.optimize.{where[name]}"), name)
    raise AttributeError(f"module 'ccsim.optimize' has no attribute {name!r}")
