"""The run's page of every example config with the newer policies in a real headless Chromium:
it loads from a file with no console errors and no network, every figure is drawn, the section of
the policy is there (customers who react in the journeys section, the agents' load, the sites),
and nothing scrolls sideways on a laptop screen. Skipped without Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_report_browser import CHROMIUM, LAPTOP, ROOT, browser, load, no_console_errors, no_network

import ccsim
from ccsim.report import render_folder

__all__ = ["browser"]  # a fixture, used by name

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)"
)

# example config -> the section (its anchor) its policy adds to the page
SECTIONS = {
    "promises": "journeys",
    "channel_choice": "journeys",
    "proactive": "journeys",
    "wellbeing": "load",
    "two_sites": "sites",
    "absence_and_breaks": "agents",
}


@pytest.fixture(scope="module", params=sorted(SECTIONS))
def policy_report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The page of an example config's run (two replications keep the test quick)."""
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / f"{request.param}.toml"), replications=2)
    folder = results.write(tmp_path_factory.mktemp(request.param))
    return request.param, render_folder(folder, folder / f"report-{request.param}.html")


def test_policy_page_loads_offline_and_draws_every_figure(
    browser: Any, policy_report: tuple[str, Path]
) -> None:
    name, page = policy_report
    browser.get_log("browser")  # drop what came before
    browser.get_log("performance")
    load(browser, page)  # waits until every figure of the page is drawn
    no_console_errors(browser)
    no_network(browser)
    anchor = SECTIONS[name]
    assert browser.execute_script(f"return document.getElementById('{anchor}') !== null"), (
        f"{name}: the page has no section #{anchor}"
    )
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
