"""ccsim: a contact-centre simulator.

>>> import ccsim
>>> scenario = ccsim.load("configs/quickstart.toml")          # doctest: +SKIP
>>> results = ccsim.simulate(scenario, replications=5, seed=1)  # doctest: +SKIP
>>> results.summary                                            # doctest: +SKIP

The public names (``__all__``, also what ``dir(ccsim)`` lists) are imported on first use
(PEP 562), so that ``import ccsim`` or of one of its modules (``ccsim.units``, in a worker
process) does not load them all: functions and classes from the modules below, and the
subpackages ``ccsim.experiments``, ``ccsim.economics``, ``ccsim.optimize``, ``ccsim.calibrate``
and ``ccsim.report`` as attributes. Modules inside the package import the module that defines a
name, never ``ccsim`` itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_NAMES = {
    "load": "ccsim.api",
    "simulate": "ccsim.api",
    "ConfigError": "ccsim.config",
    "Scenario": "ccsim.scenario",
    "from_dict": "ccsim.scenario",
    "sweep": "ccsim.experiments",
    "load_sweep": "ccsim.experiments",
    "SweepResults": "ccsim.experiments",
    "Results": "ccsim.results",
    "compare": "ccsim.paired",
    "Paired": "ccsim.paired",
}
_SUBPACKAGES = ("calibrate", "economics", "experiments", "optimize", "report")

__all__ = [
    "ConfigError",
    "Paired",
    "Results",
    "Scenario",
    "SweepResults",
    "__version__",
    "calibrate",
    "compare",
    "economics",
    "experiments",
    "from_dict",
    "load",
    "load_sweep",
    "optimize",
    "report",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:
    from ccsim import calibrate, economics, experiments, optimize, report
    from ccsim.api import load, simulate
    from ccsim.config import ConfigError
    from ccsim.experiments import SweepResults, load_sweep, sweep
    from ccsim.paired import Paired, compare
    from ccsim.results import Results
    from ccsim.scenario import Scenario, from_dict


def __getattr__(name: str) -> Any:
    """Import a public name on first use (``ccsim.experiments.load_sweep`` works after a bare
    ``import ccsim``)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"ccsim.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'ccsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
