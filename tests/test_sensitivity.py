"""``ccsim sensitivity``: money assumptions are re-accounted on the frontier's replications (no
new simulation, and the same numbers a new simulation would give), operational ones re-simulate
the frontier's plans; the command writes sensitivity.csv and a page that names the assumption
that moves the answer most."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

import ccsim
import ccsim.optimize.sensitivities as sens
from ccsim.cli import app
from ccsim.optimize import frontier
from ccsim.optimize.evaluation import replicate
from ccsim.optimize.frontiers import FrontierResult

CONFIG = ROOT / "configs" / "priced_line.toml"


@pytest.fixture(scope="module")
def line() -> tuple[ccsim.Scenario, FrontierResult]:
    raw = copy.deepcopy(ccsim.load(CONFIG).raw)
    raw["value"]["segments"]["callers"]["lifetime_value"] = 150.0  # churn priced too
    scenario = ccsim.from_dict(raw)
    result = frontier(
        scenario, targets=[0.6, 0.8, 0.9], replications=6, eval_replications=8, max_eval_replications=8,
        choices={}, workers=1,
    )  # fmt: skip
    return scenario, result


def test_money_assumptions_are_re_accounted_without_simulating(
    line: tuple[ccsim.Scenario, FrontierResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, result = line
    calls: list[str] = []

    def counting(scn, channels, indices, seed, workers=None, executor=None):  # type: ignore[no-untyped-def]
        calls.append("simulated")
        return replicate(scn, channels, indices, seed, workers, executor)

    monkeypatch.setattr(sens, "replicate", counting)
    out = sens.sensitivity(scenario, result=result, workers=1)
    plans = {tuple(p.as_arrays()["pool"]) for p in result.plans.values()}
    # only demand, handle and patience simulate: each plan once at their low and at their high value
    assert len(calls) == 3 * 2 * len(plans)
    kinds = out.table.set_index("factor")["kind"]
    assert set(kinds[kinds == "money"].index) >= {"agent_cost", "churn", "lifetime_value:callers",
                                                 "lost_revenue:callers"}  # fmt: skip
    expected = ["factor", "low", "high", "band_low_at_low", "band_high_at_low", "band_low_at_high",
                "band_high_at_high", "best_at_low", "best_at_high", "total_cost_change"]  # fmt: skip
    assert set(expected) <= set(out.table.columns)
    assert out.table["swing"].is_monotonic_decreasing
    assert out.headline.startswith("The ") or out.headline.startswith("No assumption")
    unpriced = out.table.set_index("factor").loc["experience"]
    assert unpriced["total_cost_change"] == 0.0


def test_re_accounting_equals_a_new_simulation_at_the_moved_price(
    line: tuple[ccsim.Scenario, FrontierResult],
) -> None:
    """Total cost is linear in each price: re-accounting the replications gives what simulating
    the scenario with the moved price gives, replication by replication."""
    _, result = line
    (choice, target), frame = next(iter(result.samples.items()))
    plan = result.plans[(choice, target)]
    moved = plan.scenario.with_overrides(
        {
            "agents.pool.cost_per_hour": 40.0 * 1.25,
            "value.segments.callers.lifetime_value": 150.0 * 0.5,
            "value.segments.callers.lost_per_contact": 10.0 * 2.0,
        }
    )
    again = replicate(moved, ["phone"], list(range(len(frame))), plan.seed + 1, workers=1)
    moves = {"agent_cost": 1.25, "lifetime_value:callers": 0.5, "lost_revenue:callers": 2.0}
    np.testing.assert_allclose(sens.reaccount(frame, moves), again["total_cost"], rtol=1e-9)


def test_churn_scaling_is_the_churn_probability_scaled(line: tuple[ccsim.Scenario, FrontierResult]) -> None:
    _, result = line
    frame = next(iter(result.samples.values()))
    doubled = sens.reaccount(frame, {"churn": 2.0}) - frame["total_cost"].to_numpy()
    np.testing.assert_allclose(doubled, frame["lost_lifetime_value"].to_numpy())


def test_operational_factors_scale_the_plan() -> None:
    scenario = ccsim.load(CONFIG)
    busier = sens.moved(scenario, "demand", 1.5)
    base = ccsim.simulate(scenario, replications=4, seed=2, contacts=False, workers=1)
    more = ccsim.simulate(busier, replications=4, seed=2, contacts=False, workers=1)
    ratio = more.kpi("offered")[0] / base.kpi("offered")[0]
    assert 1.35 < ratio < 1.65
    slower = sens.moved(scenario, "handle", 2.0)
    assert slower.plan.handle[(0, 0)].mean == pytest.approx(2 * scenario.plan.handle[(0, 0)].mean)
    assert scenario.plan.handle[(0, 0)].mean == pytest.approx(240.0)  # the original is untouched
    with pytest.raises(ValueError):
        sens.moved(scenario, "lifetime_value", 2.0)


def test_cli_sensitivity_writes_its_table_and_page(tmp_path: Path) -> None:
    out = tmp_path / "s"
    res = CliRunner().invoke(
        app,
        ["sensitivity", str(CONFIG), "-o", str(out), "-r", "4", "--eval-replications", "6",
         "--max-eval-replications", "6", "--targets", "0.6,0.9", "--workers", "1", "--design", "sobol"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"lost_revenue:callers", "agent_cost", "demand", "handle", "patience"} <= set(table["factor"])
    indices = pd.read_csv(out / "sensitivity_global.csv")
    assert {"best_S1", "best_ST", "total_cost_S1"} <= set(indices.columns)
    page = (out / "sensitivity.html").read_text()
    assert 'id="fig-band-tornado"' in page and ("decides the answer" in page or "No assumption" in page)
    assert (out / "frontier.csv").exists()
    bad = CliRunner().invoke(app, ["sensitivity", str(CONFIG), "--design", "tornado"])
    assert bad.exit_code == 2 and "morris or sobol" in bad.output
