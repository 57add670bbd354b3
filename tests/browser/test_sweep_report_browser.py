"""The sweep report in a real headless Chromium: it loads from a file with no console errors and
no network, every figure is drawn (KPIs against each factor, the two-factor heatmap), a failed
point does not break it, and it fits a laptop screen; a screenshot is kept as a test artifact.

Uses the browser and helpers of test_report_browser.py; skipped without Chromium.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from test_report_browser import (  # the browser fixture and helpers of the run report's test
    CHROMIUM,
    LAPTOP,
    ROOT,
    artifacts,
    browser,
    capture,
    load,
    no_console_errors,
    no_network,
)

import ccsim
from ccsim.experiments import sweep
from ccsim.report import render_sweep

__all__ = ["browser"]  # a fixture, used by name

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)"
)


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-factor grid on the quickstart centre (three channels, two teams), one point failing."""
    scenario = ccsim.load(ROOT / "configs" / "quickstart.toml").with_overrides({"scenario.duration": "2h"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failing point
        results = sweep(
            scenario,
            {
                "agents.specialists.count": [14, 16, 18, -1],
                "channels.phone.service_level.within": ["20s", "30s"],
            },
            replications=2,
            seed=42,
            executor="serial",
            progress=False,
            out=tmp_path_factory.mktemp("sweep"),
        )
    assert len(results.failed) == 2
    return render_sweep(results)


def test_sweep_report_loads_offline_without_errors_and_draws_every_figure(
    browser: Any, sweep_report: Path
) -> None:
    browser.get_log("browser")  # drop what came before
    browser.get_log("performance")
    load(browser, sweep_report)
    no_console_errors(browser)
    no_network(browser)
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('.figure')).map(f => [f.id, f.clientWidth,"
        " f.clientHeight, f.querySelectorAll('g.trace.scatter path.js-line').length,"
        " f.querySelectorAll('g.hm image').length])"
    )
    assert {d[0] for d in drawn} == {"fig-factor-1", "fig-factor-2", "fig-heatmap"}
    for fig_id, width, height, lines, heatmaps in drawn:
        assert width > 600 and height > 300, f"{fig_id} is drawn too small ({width}x{height})"
        if fig_id == "fig-heatmap":
            assert heatmaps == 6, f"{fig_id}: {heatmaps} heatmaps drawn"  # 3 channels' SL, ASA, ...
        else:
            assert lines > 0, f"{fig_id} has no lines drawn"
    failed = browser.execute_script(
        "return Array.from(document.querySelectorAll('#fig-heatmap text'))"
        ".filter(t => t.textContent === 'failed').length"
    )
    assert failed == 12  # the failed row (-1 specialists, 2 thresholds) in each of the 6 maps
    rows = browser.execute_script("return document.querySelectorAll('#points table.data tr').length")
    assert rows == 1 + 8
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
    capture(browser, artifacts() / "sweep-report.png", scale=0.75)
