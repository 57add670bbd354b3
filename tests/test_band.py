"""The frontier's answer as a band: screening on paired replications keeps the cheapest point and
drops the clearly dearer ones; on an Erlang-A line priced per agent hour and per abandoned call
(a closed-form cost curve) the band holds the exact optimum and no more than one agent either
side; common random numbers make paired intervals narrower than independent seeds; a scenario
without prices is refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

import ccsim
from ccsim import analytic, replications
from ccsim.cli import app
from ccsim.config.errors import ConfigError
from ccsim.optimize import frontier
from ccsim.optimize.answer import band_sentences
from ccsim.optimize.band import paired, screen
from ccsim.optimize.evaluation import replicate
from ccsim.optimize.problem import with_staffing


def test_screening_keeps_the_cheapest_and_drops_the_clearly_dearer() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(1000.0, 80.0, size=40)  # the day-to-day noise every point shares
    samples = {
        "a": common + 50 + rng.normal(0, 5, 40),
        "b": common + rng.normal(0, 5, 40),  # cheapest
        "c": common + 1 + rng.normal(0, 5, 40),  # as cheap, within the noise
        "d": common + 30 + rng.normal(0, 5, 40),
    }
    band = screen(samples, alpha=0.05, indifference=10.0)
    assert band.in_band == {"a": False, "b": True, "c": True, "d": False}
    assert band.best in ("b", "c")
    other = "c" if band.best == "b" else "b"
    assert band.equivalent[other] and band.resolved
    assert band.vs_best["a"] - band.vs_best_ci95["a"] > 0  # significantly dearer
    assert 0 < band.spread <= 10.0
    # an indifference smaller than the noise leaves the band undecided
    assert not screen(samples, alpha=0.05, indifference=0.01).resolved


def test_screening_keeps_the_best_at_the_stated_confidence() -> None:
    """Over many noisy draws, the truly cheapest of five points is in the band at least 95% of
    the time (Bonferroni makes it conservative)."""
    rng = np.random.default_rng(7)
    means = np.array([10.0, 4.0, 0.0, 1.0, 6.0])
    misses = 0
    for _ in range(400):
        common = rng.normal(0, 20, size=10)
        samples = {i: common + m + rng.normal(0, 3, 10) for i, m in enumerate(means)}
        misses += not screen(samples, alpha=0.05).in_band[2]
    assert misses / 400 <= 0.05


# configs/priced_line.toml: an Erlang-A line (M/M/n+M) over three hours, priced per agent hour
# and per abandoned call: total cost(n) = 40 n x 3 h + 10 x calls abandoned, the abandonment
# from ccsim.analytic.
LINE: dict[str, Any] = ccsim.load(ROOT / "configs" / "priced_line.toml").raw


def _exact_cost(n: int) -> float:
    rate, hours = 2.0 / 60.0, 3.0
    m = analytic.erlang_a(rate, 240.0, n, 180.0)
    return 40.0 * n * hours + 10.0 * rate * hours * 3600 * m.p_abandon


def test_band_holds_the_exact_optimum_of_a_priced_erlang_a_line() -> None:
    exact = {n: _exact_cost(n) for n in range(5, 18)}
    best = min(exact, key=lambda n: exact[n])
    assert best == 10 and min(exact[9], exact[11]) - exact[10] > 10  # a clear optimum
    scenario = ccsim.from_dict(copy.deepcopy(LINE))
    result = frontier(scenario, replications=10, eval_replications=20, workers=1)
    pts = result.points.assign(agents=(result.points["agent_hours"] / 3).round().astype(int))
    # each point's simulated total cost agrees with the closed form
    for p in pts.itertuples(index=False):
        assert abs(p.total_cost - exact[p.agents]) <= max(2.0 * p.total_cost_ci95, 0.03 * exact[p.agents])
    assert best in set(pts["agents"]), "the search must reach the optimum"
    band = pts[pts["in_band"]]
    assert best in set(band["agents"])
    assert set(band["agents"]) <= {best - 1, best, best + 1}
    row = result.optimum[result.optimum["value_case"] == "central"].iloc[0]
    n_sl = pts.groupby("agents")["service_level"].mean()
    assert row["band_low"] >= n_sl.get(best - 1, n_sl[best]) - 1e-9
    assert row["band_high"] <= n_sl.get(best + 1, n_sl[best]) + 1e-9
    assert row["band_low"] <= n_sl[best] <= row["band_high"]
    assert band_sentences(row, result)[0].startswith("Aim for ")


def test_common_random_numbers_narrow_the_paired_interval() -> None:
    scenario = ccsim.from_dict(copy.deepcopy(LINE))
    ten, eleven = (with_staffing(scenario, {"pool": [n]}) for n in (10, 11))
    reps = list(range(16))
    a = replicate(ten, ["phone"], reps, seed=21, workers=1)["total_cost"].to_numpy()
    same = replicate(eleven, ["phone"], reps, seed=21, workers=1)["total_cost"].to_numpy()
    other = replicate(eleven, ["phone"], reps, seed=99, workers=1)["total_cost"].to_numpy()
    _, crn = paired(same, a, None, 0.05, 1)
    _, independent = paired(other, a, None, 0.05, 1)
    assert crn < 0.5 * independent


def test_a_frontier_without_prices_is_refused(tmp_path: Path) -> None:
    raw = copy.deepcopy(LINE)
    del raw["value"]
    with pytest.raises(ConfigError, match="customers are worth nothing"):
        frontier(ccsim.from_dict(raw))
    raw = copy.deepcopy(LINE)
    raw["agents"]["pool"]["cost_per_hour"] = 0.0
    with pytest.raises(ConfigError, match="cost nothing"):
        frontier(ccsim.from_dict(raw))
    res = CliRunner().invoke(app, ["frontier", "configs/quickstart.toml", "-o", str(tmp_path / "f")])
    assert res.exit_code == 2, res.output
    assert "frontier needs prices" in res.output and "Traceback" not in res.output


def test_the_frontier_gives_the_same_numbers_on_workers_and_a_dask_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The frontier's search, evaluation and band on one process, two local workers and a real
    local Dask scheduler with two worker processes: the same numbers."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(replications, "SERIAL_BELOW_S", 0.0)  # spread even these small runs
    monkeypatch.setattr(replications, "CHUNK_S", 1e-9)
    scenario = ccsim.load(ROOT / "configs" / "priced_line.toml")
    settings: dict[str, Any] = {
        "targets": [0.6, 0.9],
        "replications": 4,
        "eval_replications": 6,
        "max_eval_replications": 6,
        "refine": 0,
    }
    here = frontier(scenario, workers=1, **settings)
    two = frontier(scenario, workers=2, **settings)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        dask = frontier(scenario, executor=cluster.scheduler_address, **settings)
    for other in (two, dask):
        pd.testing.assert_frame_equal(here.points, other.points, check_exact=True)
        pd.testing.assert_frame_equal(here.optimum, other.optimum, check_exact=True)
