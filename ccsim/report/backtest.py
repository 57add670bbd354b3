"""The page of a back-test: the report of its simulated run, with the back-test section
(``ccsim.report.backtest_section``) after the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccsim.calibrate.backtesting import Backtest
from ccsim.report.data import from_results
from ccsim.report.page import build
from ccsim.report.parts import write_report

__all__ = ["render_backtest"]


def render_backtest(bt: Backtest, path: str | Path, manifest: dict[str, Any] | None = None) -> Path:
    """The report of the back-test's simulated run, with the back-test section after the summary."""
    data = from_results(bt.results, manifest)
    data.backtest = bt
    return write_report(build(data), Path(path))
