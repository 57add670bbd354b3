"""From a call log to a scenario and back: calibrate ccsim from data and back-test it.

>>> from ccsim.calibrate import read_log, calibrate, backtest   # doctest: +SKIP
>>> log = read_log(["january.txt", "february.txt"])             # doctest: +SKIP
>>> cal = calibrate(log)                                         # doctest: +SKIP
>>> Path("bank.toml").write_text(cal.to_toml())                  # doctest: +SKIP
>>> bt = backtest(read_log("october.txt"), cal.scenario())       # doctest: +SKIP
>>> bt.comparison                                                # doctest: +SKIP

The log format is documented in ``ccsim.calibrate.logs`` and ``docs/howto/calibrate.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "Backtest",
    "Calibration",
    "CallLog",
    "LogError",
    "Options",
    "backtest",
    "calibrate",
    "fit_scale",
    "read_log",
    "to_log",
    "write_log",
]

if TYPE_CHECKING:
    from ccsim.calibrate.backtesting import Backtest, backtest, fit_scale
    from ccsim.calibrate.calllog import CallLog, LogError
    from ccsim.calibrate.logs import read_log, to_log, write_log
    from ccsim.calibrate.scenario import Calibration, Options, calibrate

_WHERE = {
    "Backtest": "backtesting",
    "backtest": "backtesting",
    "fit_scale": "backtesting",
    "CallLog": "calllog",
    "LogError": "calllog",
    "read_log": "logs",
    "to_log": "logs",
    "write_log": "logs",
    "Calibration": "scenario",
    "Options": "scenario",
    "calibrate": "scenario",
}


def __getattr__(name: str) -> object:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"ccsim.calibrate.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'ccsim.calibrate' has no attribute {name!r}")
