"""``ccsim sensitivity``: money assumptions are re-accounted on the frontier's replications (no
new simulation, and the same numbers a new simulation would give), operational ones re-simulate
the frontier's plans; the command writes sensitivity.csv and a page that names the assumption
that moves the answer most."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

import ccsim
import ccsim.optimize.sensitivities as sens
from ccsim.cli import app
from ccsim.confidence import t_half_width
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


@pytest.fixture(scope="module")
def answer(line: tuple[ccsim.Scenario, FrontierResult]) -> sens.SensitivityResult:
    scenario, result = line
    return sens.sensitivity(scenario, result=result, workers=1)


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
         "--max-eval-replications", "6", "--targets", "0.6,0.9", "--workers", "1", "--design", "sobol",
         "--indifference", "30 EUR"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"lost_revenue:callers", "agent_cost", "demand", "handle", "patience"} <= set(table["factor"])
    assert {"total_cost_at_low_ci95", "total_cost_at_high_ci95", "total_cost_change_ci95"} <= set(table)
    assert (pd.read_csv(out / "optimum.csv")["indifference"] == 30.0).all()  # 30 EUR, not 30%
    first = table.iloc[0]
    assert f"{first.total_cost_change:+,.0f}±{first.total_cost_change_ci95:,.0f}" in res.output
    indices = pd.read_csv(out / "sensitivity_global.csv")
    assert {"best_S1", "best_ST", "total_cost_S1"} <= set(indices.columns)
    page = (out / "sensitivity.html").read_text()
    assert 'id="fig-band-tornado"' in page and ("decides the answer" in page or "No assumption" in page)
    assert f"{first.total_cost_at_low:,.0f} ± {first.total_cost_at_low_ci95:,.0f} EUR" in page
    assert (out / "frontier.csv").exists()
    bad = CliRunner().invoke(app, ["sensitivity", str(CONFIG), "--design", "tornado"])
    assert bad.exit_code == 2 and "morris or sobol" in bad.output


COSTS = ["total_cost_at_low_ci95", "total_cost_at_high_ci95"]


def test_total_costs_have_half_widths_that_shrink_with_more_replications(
    line: tuple[ccsim.Scenario, FrontierResult], answer: sens.SensitivityResult
) -> None:
    scenario, result = line
    fewer = dataclasses.replace(result, samples={k: f.iloc[:4] for k, f in result.samples.items()})
    few = sens.sensitivity(scenario, result=fewer, workers=1).table.set_index("factor")
    full = answer.table.set_index("factor")
    priced = full.index[full["kind"] != "unpriced"]
    assert (full.loc[priced, COSTS] > 0).all().all()
    assert (full.loc[priced, COSTS] < few.loc[priced, COSTS]).all().all()
    assert answer.base["total_cost_ci95"] > 0
    # the half-width is the Student-t one of the cheapest point's replications
    base = answer.base
    best = next(f for f in result.samples.values() if np.isclose(f["service_level"].mean(), base["best"]))
    assert base["total_cost"] == pytest.approx(best["total_cost"].mean())
    assert base["total_cost_ci95"] == pytest.approx(t_half_width(best["total_cost"].to_numpy()))


def test_the_cost_change_is_paired_on_common_random_numbers(answer: sens.SensitivityResult) -> None:
    """Low and high share the evaluation seed's replications, so the change is taken replication
    by replication: narrower than the two costs' intervals combined as if independent."""
    t = answer.table.set_index("factor")
    priced = t[t["kind"] != "unpriced"]
    unpaired = np.hypot(priced["total_cost_at_low_ci95"], priced["total_cost_at_high_ci95"])
    assert (priced["total_cost_change_ci95"] < unpaired).all()
    for factor in ("demand", "handle", "patience"):  # re-simulated: paired, not identical
        assert 0 < t.loc[factor, "total_cost_change_ci95"] < 0.8 * unpaired[factor]
    np.testing.assert_allclose(
        t["total_cost_change"], t["total_cost_at_high"] - t["total_cost_at_low"], rtol=1e-9, atol=1e-9
    )
    assert t.loc["experience", "total_cost_change_ci95"] == 0.0  # not priced: the same costs


def test_cheapest_points_with_different_replications_keep_the_table_consistent() -> None:
    """The band's points get more replications than the others, so the cheapest points at low
    and at high may have different numbers: the row compares them on the replications both have."""
    rng = np.random.default_rng(5)
    common = rng.normal(100_000, 2_000, 40)  # the evaluation seed's replications: shared noise
    lo = sens.Setting(0.7, 0.9, 0.8, common + rng.normal(0, 100, 40))
    hi = sens.Setting(0.6, 0.8, 0.7, common[:20] + 500 + rng.normal(0, 100, 20))
    base = sens.Setting(0.65, 0.85, 0.75, common[:30] + 200 + rng.normal(0, 100, 30))
    factor = sens.Factor("demand", "demand volume", "operation", 0.9, 1.1)
    row = sens._row(factor, {"low": lo, "high": hi}, base)
    assert row["total_cost_change"] == pytest.approx(row["total_cost_at_high"] - row["total_cost_at_low"])
    assert row["total_cost_at_low"] == pytest.approx(float(np.mean(lo.costs[:20])))
    assert abs(row["total_cost_change"] - 500) < 3 * row["total_cost_change_ci95"]
    assert row["total_cost_change_ci95"] < 100  # paired: the shared 2,000 of noise cancels
    assert row["total_cost_at_high_vs_base"] == pytest.approx(float(np.mean(hi.costs - base.costs[:20])))
    assert row["total_cost_at_low_vs_base"] == pytest.approx(float(np.mean(lo.costs[:30] - base.costs)))


def test_a_cost_change_its_interval_establishes_ranks_above_a_noisy_larger_one() -> None:
    """No band moves: the tie-break is the part of the cost change the interval establishes."""
    bands = {"band_low_at_low": 0.7, "band_high_at_low": 0.8}
    bands |= {"band_low_at_high": 0.7, "band_high_at_high": 0.8}
    table = pd.DataFrame([
        {**bands, "total_cost_change": 100.0, "total_cost_change_ci95": 500.0},  # cannot be told from 0
        {**bands, "total_cost_change": 90.0, "total_cost_change_ci95": 10.0},  # shown: 80 at least
        {**bands, "total_cost_change": 95.0, "total_cost_change_ci95": 500.0},
    ])  # fmt: skip
    order = sens._ranked(table)["total_cost_change"].tolist()
    assert order == [90.0, 100.0, 95.0]  # established first, then the larger of the noisy ones
    big_noisy = table.assign(
        total_cost_change=[50_000.0, 1_040.0, 0.0], total_cost_change_ci95=[49_000.0, 0.0, 0.0]
    )
    assert sens._ranked(big_noisy)["total_cost_change"].tolist()[0] == 1_040.0  # 1,040 shown beats 1,000


def _quiet_table(change: float, half: float) -> pd.DataFrame:
    """One factor that leaves the band where it is and changes the total cost by ``change``."""
    return pd.DataFrame(
        [{"label": "demand volume", "low": 0.9, "high": 1.1, "band_low_at_low": 0.7, "band_high_at_low": 0.8,
          "band_low_at_high": 0.7, "band_high_at_high": 0.8, "total_cost_change": change,
          "total_cost_change_ci95": half}]
    )  # fmt: skip


def test_the_headline_does_not_claim_a_cost_change_it_cannot_tell_from_zero() -> None:
    base = {"band_low": 0.7, "band_high": 0.8}
    unsure = sens.headline(_quiet_table(120.0, 300.0), base, "service level", "EUR")
    assert "No assumption moves the answer" in unsure
    assert "moves the total cost most" not in unsure
    assert "the largest change in total cost, with the demand volume (+120 ± 300 EUR" in unsure
    assert "cannot be told from zero" in unsure
    sure = sens.headline(_quiet_table(-1200.0, 300.0), base, "service level", "EUR")
    assert "the demand volume moves the total cost most (-1,200 ± 300 EUR, low to high)" in sure
    assert "cannot be told from zero" not in sure
