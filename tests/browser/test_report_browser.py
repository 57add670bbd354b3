"""The report in a real headless Chromium: loads from a file, no console errors, no network, every
figure drawn, fits a laptop screen, prints; screenshots are kept as test artifacts. The same for
the report of a run with customer journeys (a scenario built here, and configs/retail_bank.toml).

Artifacts go to ``$CCSIM_ARTIFACTS`` (default ``tests/artifacts/``, git-ignored). With
``CCSIM_UPDATE_DOCS_IMG=1`` the screenshot in the docs (docs/img/report-quickstart.png) is
taken again. Needs Debian's ``chromium`` and ``chromium-driver``; skipped without Chromium.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ccsim
from ccsim.report import render_folder

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
DRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if Path(p).exists()), None
)
LAPTOP = (1366, 768)
DOCS_IMG = ROOT / "docs" / "img" / "report-quickstart.png"
RETAIL_BANK = ROOT / "configs" / "retail_bank.toml"
JOURNEY_FIGURES = {"fig-tiers", "fig-callbacks", "fig-repeats", "fig-escalations", "fig-announcement"}

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)"
)

ALL_DRAWN = """
const plots = document.querySelectorAll('.figure');
return plots.length > 0 && Array.from(plots).every(
  p => p.classList.contains('js-plotly-plot') && p.querySelector('svg.main-svg') !== null);
"""


def artifacts() -> Path:
    folder = Path(os.environ.get("CCSIM_ARTIFACTS", ROOT / "tests" / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / "quickstart.toml"))
    folder = results.write(
        tmp_path_factory.mktemp("quickstart"),
        manifest={
            "source": "configs/quickstart.toml",
            "command": "ccsim run configs/quickstart.toml",
            "started": "Mon Jun  3 08:00:00 2024",
        },
    )
    return render_folder(folder)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if DRIVER is None:
        pytest.fail("chromedriver not found: install Debian's chromium-driver next to chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def load(driver: Any, page: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(*LAPTOP)
    driver.get(page.as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(ALL_DRAWN))
    time.sleep(0.2)  # let plotly's resize settle before measuring or capturing


def capture(driver: Any, path: Path, height: int | None = None, scale: float = 1.0) -> Path:
    """A PNG of the page from the top (the whole page unless ``height`` is given)."""
    width = driver.execute_script("return document.documentElement.clientWidth")
    full = driver.execute_script("return document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": width, "height": min(height or full, full), "scale": scale}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def no_network(driver: Any) -> None:
    """The page asked for nothing beyond the file itself (read from the performance log)."""
    requests = [
        json.loads(e["message"])["message"]["params"]["request"]["url"]
        for e in driver.get_log("performance")
        if '"Network.requestWillBeSent"' in e["message"]
    ]
    remote = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not remote, f"the page reached the network: {remote}"


def no_console_errors(driver: Any) -> None:
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"console errors: {severe}"


def test_report_loads_offline_without_errors_and_draws_every_figure(browser: Any, report: Path) -> None:
    browser.get_log("performance")  # drop what came before
    load(browser, report)
    no_console_errors(browser)
    no_network(browser)
    figures = browser.execute_script("return Array.from(document.querySelectorAll('.figure')).map(f => f.id)")
    expected = {
        "fig-spread",
        "fig-offered",
        "fig-sl",
        "fig-backlog",
        "fig-ecdf",
        "fig-percentiles",
        "fig-segments",
        "fig-occupancy",
        "fig-outcomes",
        "fig-experience",  # the quickstart has no prices: a note instead of the cost figures
    }
    assert set(figures) == expected
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.figure'))"
        ".map(f => [f.id, f.clientWidth, f.clientHeight])"
    )
    for fig_id, width, height in sizes:
        assert width > 600 and height > 150, f"{fig_id} is drawn too small ({width}x{height})"
    capture(browser, artifacts() / "report-quickstart-full.png")


def test_report_fits_a_laptop_screen(browser: Any, report: Path) -> None:
    load(browser, report)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
    cards = browser.execute_script("return document.querySelectorAll('.card').length")
    assert cards >= 5
    details = browser.execute_script("return document.querySelector('details pre.config').textContent")
    assert "[scenario]" in details


def test_report_prints(browser: Any, report: Path) -> None:
    load(browser, report)
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
    (artifacts() / "report-quickstart.pdf").write_bytes(pdf)


def test_screenshot_for_the_docs(browser: Any, report: Path) -> None:
    """The top of the report (header, KPI cards, first figures), scaled to stay small."""
    browser.set_window_size(1280, 900)
    browser.get(report.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(lambda d: d.execute_script(ALL_DRAWN))
    time.sleep(0.2)
    top = browser.execute_script(
        "const f = document.getElementById('fig-offered'); return f.offsetTop + f.offsetHeight + 16"
    )
    shot = capture(browser, artifacts() / "report-quickstart.png", height=int(top), scale=0.75)
    assert shot.stat().st_size < 500_000
    if os.environ.get("CCSIM_UPDATE_DOCS_IMG"):
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMG)


@pytest.fixture(
    scope="module",
    params=[
        "journeys",
        pytest.param(
            "retail_bank",
            marks=pytest.mark.skipif(
                not RETAIL_BANK.exists(), reason="configs/retail_bank.toml not written yet"
            ),
        ),
    ],
)
def journey_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a run with journey policies, rendered from its output folder."""
    if request.param == "journeys":
        from test_report import journey_raw  # the scenario of the unit tests

        results = ccsim.simulate(ccsim.from_dict(journey_raw()))
    else:
        results = ccsim.simulate(ccsim.load(RETAIL_BANK), replications=2)  # 2 keep the test quick
    folder = results.write(tmp_path_factory.mktemp(request.param))
    return render_folder(folder, folder / f"report-{request.param}.html")


def test_journey_report_draws_every_figure_without_errors(browser: Any, journey_report: Path) -> None:
    browser.get_log("browser")  # drop what came before
    load(browser, journey_report)
    no_console_errors(browser)
    figures = set(
        browser.execute_script("return Array.from(document.querySelectorAll('.figure')).map(f => f.id)")
    )
    assert figures >= JOURNEY_FIGURES | {"fig-offered", "fig-outcomes"}
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('#journeys .figure'))"
        ".map(f => [f.id, f.clientWidth, f.clientHeight, f.querySelectorAll('g.trace').length])"
    )
    assert {d[0] for d in drawn} == JOURNEY_FIGURES
    for fig_id, width, height, traces in drawn:
        assert width > 600 and height > 150, f"{fig_id} is drawn too small ({width}x{height})"
        assert traces > 0, f"{fig_id} has nothing drawn in it"
    cards = browser.execute_script("return document.querySelectorAll('#journeys .card').length")
    assert cards >= 3  # first-contact resolution, personal share, promises kept
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {LAPTOP[0]}px"
    top, height = browser.execute_script(
        "const s = document.getElementById('journeys'); return [s.offsetTop, s.offsetHeight]"
    )
    width = browser.execute_script("return document.documentElement.clientWidth")
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": 0.75},
        },
    )
    (artifacts() / f"{journey_report.stem}-journeys.png").write_bytes(base64.b64decode(shot["data"]))
