"""The sensitivity page (``ccsim sensitivity``'s sensitivity.html) in a real headless Chromium:
it loads from a file with no console errors and no network, opens with the sentence naming the
assumption that decides, draws both tornadoes with a bar per assumption and side, and fits a
laptop screen; a screenshot is kept as a test artifact. Skipped without Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_report_browser import (
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
from ccsim.optimize.sensitivities import sensitivity
from ccsim.report.sensitivity_page import render_sensitivity

__all__ = ["browser"]  # a fixture, used by name

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)"
)


@pytest.fixture(scope="module")
def sensitivity_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    scenario = ccsim.load(ROOT / "configs" / "priced_line.toml")
    result = sensitivity(
        scenario, targets=[0.6, 0.8, 0.9], replications=4, eval_replications=6, max_eval_replications=6,
        workers=1,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("sensitivity")
    return render_sensitivity(result, folder / "sensitivity.html", "priced line", {"seed": 5}), result


def test_sensitivity_page_loads_offline_and_draws_both_tornadoes(
    browser: Any, sensitivity_page: tuple[Path, Any]
) -> None:
    page, result = sensitivity_page
    browser.get_log("browser")
    browser.get_log("performance")
    load(browser, page)
    no_console_errors(browser)
    no_network(browser)
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('.figure')).map(f => [f.id, f.clientWidth,"
        " f.clientHeight, f.querySelectorAll('g.trace.bars path').length])"
    )
    assert {d[0] for d in drawn} == {"fig-band-tornado", "fig-cost-tornado"}
    for fig_id, width, height, bars in drawn:
        assert width > 600 and height > 300, f"{fig_id} is drawn too small ({width}x{height})"
        assert bars >= len(result.table), f"{fig_id} has {bars} bars for {len(result.table)} assumptions"
    answer = browser.execute_script("return document.querySelector('#answer p.answer').innerText")
    assert answer == result.headline
    rows = browser.execute_script("return document.querySelectorAll('#factors table.data tr').length")
    assert rows == 1 + len(result.table)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
    capture(browser, artifacts() / "sensitivity-page.png", scale=0.75)
