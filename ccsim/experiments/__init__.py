"""Experiments at scale: sweeps over config values, on local cores or a Dask cluster.

>>> import ccsim
>>> from ccsim.experiments import Range, lhs
>>> scenario = ccsim.load("configs/quickstart.toml")                             # doctest: +SKIP
>>> res = ccsim.sweep(scenario, {"agents.specialists.count": [14, 16, 18]},
...                   replications=5, out="out/sweeps/specialists")               # doctest: +SKIP
>>> res.summary[["agents.specialists.count", "service_level", "service_level_ci95"]]  # doctest: +SKIP

Modules: ``designs`` (factors and designs), ``tasks`` (one point), ``store`` (the output
folder), ``results`` (``SweepResults``), ``runner`` (``sweep``), ``spec`` (the sweep file of
``ccsim sweep``); the executors are ``ccsim.executors``.
"""

from __future__ import annotations

from ccsim.executors import (
    DaskExecutor,
    Executor,
    FuturesExecutor,
    ProcessExecutor,
    SerialExecutor,
)
from ccsim.experiments.designs import Design, Levels, Range, lhs, random
from ccsim.experiments.results import SweepResults, column_name
from ccsim.experiments.runner import sweep

__all__ = [
    "DaskExecutor",
    "Design",
    "Executor",
    "FuturesExecutor",
    "Levels",
    "ProcessExecutor",
    "Range",
    "SerialExecutor",
    "SweepResults",
    "column_name",
    "lhs",
    "load_sweep",
    "random",
    "sweep",
]


def load_sweep(folder: str) -> SweepResults:
    """Read the output folder of a sweep (finished or interrupted)."""
    return SweepResults.load(folder)
