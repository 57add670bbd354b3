"""ccsim: a contact-centre simulator.

>>> import ccsim
>>> scenario = ccsim.load("configs/quickstart.toml")          # doctest: +SKIP
>>> results = ccsim.simulate(scenario, replications=5, seed=1)  # doctest: +SKIP
>>> results.summary                                            # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Results",
    "Scenario",
    "SweepResults",
    "__version__",
    "from_dict",
    "load",
    "report",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:
    from ccsim import report
    from ccsim.api import load, simulate
    from ccsim.config import ConfigError, Scenario, from_dict
    from ccsim.experiments import SweepResults, sweep
    from ccsim.results import Results


def __getattr__(name: str) -> Any:
    """Import lazily, so ``import ccsim`` (and ``ccsim --help``) stays fast."""
    if name in ("load", "simulate"):
        from ccsim import api

        return getattr(api, name)
    if name in ("ConfigError", "Scenario", "from_dict"):
        from ccsim import config

        return getattr(config, name)
    if name in ("sweep", "SweepResults"):
        from ccsim import experiments

        return getattr(experiments, name)
    if name == "report":
        import importlib

        return importlib.import_module("ccsim.report")
    if name == "Results":
        from ccsim.results import Results

        return Results
    raise AttributeError(f"module 'ccsim' has no attribute {name!r}")
