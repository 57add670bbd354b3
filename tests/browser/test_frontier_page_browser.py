"""The frontier page (``ccsim frontier``'s frontier.html) in a real headless Chromium: it loads
from a file with no console errors and no network, draws its three figures, shows the answer
cards and the table of every point, and fits a laptop screen; a screenshot is kept as a test
artifact. Uses the browser and helpers of test_report_browser.py; skipped without Chromium.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_report_browser import (
    CHROMIUM,
    LAPTOP,
    artifacts,
    browser,
    capture,
    load,
    no_console_errors,
    no_network,
)

import ccsim
from ccsim.optimize import frontier
from ccsim.report.frontier_page import render_frontier

__all__ = ["browser"]  # a fixture, used by name

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)"
)

ONE_INTERVAL: dict[str, Any] = {
    "scenario": {"name": "one interval", "duration": "1h", "warmup": "20min", "interval": "1h", "seed": 3},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "3min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s", "rate": "2/min"}],
    "agents": {"pool": {"count": 8, "skills": ["g"], "channels": ["phone"], "cost_per_hour": 30.0}},
    "costs": {"telephony": {"phone": {"waiting": 0.05, "talking": 0.02}}},
    "value": {"segments": {"s": {"lifetime_value": 400.0, "lost_per_contact": 6.0}}},
    "frontier": {"targets": [0.3, 0.6, 0.9, 0.97]},
}


@pytest.fixture(scope="module")
def frontier_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = ccsim.from_dict(copy.deepcopy(ONE_INTERVAL))
    result = frontier(scenario, replications=4, eval_replications=4, refine=1)
    folder = tmp_path_factory.mktemp("frontier")
    return render_frontier(result, folder / "frontier.html", "one interval", {"seed": 3})


def test_frontier_page_loads_offline_and_draws_every_figure(browser: Any, frontier_page: Path) -> None:
    browser.get_log("browser")  # drop what came before
    browser.get_log("performance")
    load(browser, frontier_page)
    no_console_errors(browser)
    no_network(browser)
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('.figure')).map(f => [f.id, f.clientWidth,"
        " f.clientHeight, f.querySelectorAll('g.trace.scatter path.js-line').length])"
    )
    assert {d[0] for d in drawn} == {"fig-frontier", "fig-marginal", "fig-risk"}
    for fig_id, width, height, lines in drawn:
        assert width > 600 and height > 300, f"{fig_id} is drawn too small ({width}x{height})"
        assert lines > 0, f"{fig_id} has no lines drawn"
    cards = browser.execute_script("return document.querySelectorAll('#answer .card').length")
    assert cards == 3  # low, central and high customer value
    rows = browser.execute_script("return document.querySelectorAll('#points table.data tr').length")
    assert rows > 1 + 3  # the four targets (and refinements)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
    capture(browser, artifacts() / "frontier-page.png", scale=0.75)
