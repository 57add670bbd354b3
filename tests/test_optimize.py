"""The staffing optimiser and the frontier: the plan meets its targets in an independent
simulation and one agent fewer in a binding interval does not; on a single-interval Erlang-A
scenario the frontier's optimum equals a brute-force enumeration of agent counts; shifts cover
a plan at least cost; the commands write what they say."""

from __future__ import annotations

import copy
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT

import ccsim
from ccsim import analytic
from ccsim.cli import optimize as cli_optimize
from ccsim.optimize import frontier, optimize_staffing, shifts_for
from ccsim.optimize.problem import build_problem, measure, with_staffing
from ccsim.optimize.staffing import StaffingPlan, analytic_start

# Three one-hour intervals of time-varying demand; the rates are chosen so that one agent more
# or less moves each interval's service level well clear of the 80% target (Erlang A: 0.86 or
# more with the right staffing, 0.75 or less with one agent fewer), so an independent
# simulation can tell both apart.
THREE_HOURS: dict[str, Any] = {
    "scenario": {"name": "three hours", "duration": "3h", "warmup": "30min", "interval": "1h",
                 "start": "08:00", "replications": 10, "seed": 11},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "4min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "3min"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s",
                "rates": ["1/min", "2.5/min", "1.25/min"]}],
    "agents": {"pool": {"count": 8, "skills": ["g"], "channels": ["phone"], "cost_per_hour": 30.0}},
}  # fmt: skip


@pytest.fixture(scope="module")
def plan() -> StaffingPlan:
    scenario = ccsim.from_dict(copy.deepcopy(THREE_HOURS))
    return optimize_staffing(scenario, replications=40, verify_replications=80)


def _sl(plan: StaffingPlan, staffing: dict[str, np.ndarray], seed: int, reps: int) -> Any:
    results = ccsim.simulate(
        with_staffing(plan.scenario, staffing), replications=reps, seed=seed, contacts=False
    )
    return measure(plan.problem, results).set_index("period")


def test_plan_meets_the_target_in_an_independent_simulation(plan: StaffingPlan) -> None:
    v = plan.verification
    assert v is not None and v.seed != plan.seed and v.replications == 80
    perf = v.performance.set_index("period")
    # every interval: the service level is at or above the target, beyond doubt
    assert (perf["service_level"] >= 0.8).all(), perf["service_level"].tolist()
    assert v.meets and v.consistent
    # and the plan is what the formula says for these well-separated steps
    assert plan.staffing["pool"].tolist() == [5, 10, 6]
    assert plan.cost == pytest.approx(21 * 30.0)


def test_one_agent_fewer_in_a_binding_interval_misses(plan: StaffingPlan) -> None:
    assert plan.binding, "the plan has no binding interval"
    v = plan.verification
    assert v is not None
    for group, k in plan.binding:
        fewer = {g: a.copy() for g, a in plan.as_arrays().items()}
        fewer[group][k] -= 1
        perf = _sl(plan, fewer, v.seed, v.replications)
        sl, se = perf.loc[k, "service_level"], perf.loc[k, "sl_se"]
        assert sl + 2 * se < 0.8, f"period {k} with one agent fewer: {sl:.3f} ± {2 * se:.3f}"


def test_the_plan_loads_from_its_csv(plan: StaffingPlan, tmp_path: Path) -> None:
    csv = plan.to_csv(tmp_path / "staffing.csv")
    raw = copy.deepcopy(THREE_HOURS)
    raw["agents"]["pool"] = {"staffing": {"file": csv.name, "column": "pool"}, "skills": ["g"],
                             "channels": ["phone"], "cost_per_hour": 30.0}  # fmt: skip
    loaded = ccsim.from_dict(raw, base_dir=tmp_path)
    a = ccsim.simulate(loaded, replications=2, contacts=False)
    b = ccsim.simulate(plan.scenario, replications=2, contacts=False)
    cols = ["offered", "served", "sl_numerator", "wait_all_s"]
    assert a.intervals[cols].equals(b.intervals[cols])
    assert 'staffing = { file = "staffing.csv", column = "pool" }' in plan.config_lines("staffing.csv")


def test_analytic_start_is_erlang_a_per_interval() -> None:
    scenario = ccsim.from_dict(copy.deepcopy(THREE_HOURS))
    pilot = ccsim.simulate(scenario, replications=20, contacts=False)
    problem = build_problem(scenario, pilot)
    start = analytic_start(problem)["pool"]
    for k in range(3):
        rate, handle = problem.rate["phone"][k], problem.handle["phone"][k]
        assert rate * 60 == pytest.approx([1.0, 2.5, 1.25][k], rel=0.1)  # measured in the pilot
        assert start[k] == analytic.agents_for_service_level(rate, handle, 20, 0.8, patience=240)


@pytest.mark.slow
def test_multi_skill_plan_meets_its_target() -> None:
    """Two groups with overflow: the simulation-based search keeps the channel on target."""
    scenario = ccsim.load(ROOT / "configs" / "multiskill.toml").with_overrides({"scenario.duration": "4h"})
    plan = optimize_staffing(scenario, replications=20, verify_replications=40, max_simulations=40)
    assert plan.verification is not None and plan.verification.consistent
    assert set(plan.staffing.columns) == {"period", "start", "sales", "service"}
    assert (plan.performance["meets"]).all()


def test_shifts_cover_the_plan_at_least_cost(plan: StaffingPlan) -> None:
    # requirements 5, 10, 6 with two-hour shifts starting on the hour: at least 5 start at 8:00
    # and 6 at 9:00 or 10:00, and 5 + 6 = 11 shifts also cover 9:00 (11 >= 10)
    shifts = shifts_for(plan, lengths=["2h"])
    cover = shifts.coverage
    assert (cover["on_duty"] >= cover["required"]).all()
    assert shifts.paid_hours == pytest.approx(22.0)
    assert shifts.cost == pytest.approx(22.0 * 30.0)
    results = ccsim.simulate(shifts.scenario, replications=2, contacts=False)
    assert results.agents["agents"].round().tolist() == cover["on_duty"].tolist() * 2
    assert "shifts = [" in shifts.config_lines()


ONE_INTERVAL: dict[str, Any] = {
    "scenario": {"name": "one interval", "duration": "1h", "warmup": "20min", "interval": "1h",
                 "replications": 20, "seed": 3},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "3min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s", "rate": "2/min"}],
    "agents": {"pool": {"count": 8, "skills": ["g"], "channels": ["phone"], "cost_per_hour": 30.0}},
    "costs": {"telephony": {"phone": {"waiting": 0.05, "talking": 0.02}}},
    "value": {"segments": {"s": {"lifetime_value": 400.0, "lost_per_contact": 6.0}}},
    "frontier": {"targets": [0.3, 0.6, 0.9, 0.97]},
}  # fmt: skip


def test_frontier_optimum_equals_brute_force_enumeration() -> None:
    """Single-interval Erlang A (M/M/n+M): the frontier's cheapest point is the agent count
    with the least total cost among all counts, each simulated with the same seed."""
    scenario = ccsim.from_dict(copy.deepcopy(ONE_INTERVAL))
    result = frontier(scenario, replications=12, eval_replications=12, max_eval_replications=12, refine=6)
    best = result.optimum[result.optimum["value_case"] == "central"].iloc[0]
    totals = {}
    for n in range(5, 16):
        r = ccsim.simulate(with_staffing(scenario, {"pool": [n]}), replications=12, seed=4, contacts=False)
        totals[n] = r.money.kpi("total_cost")[0]
    brute = min(totals, key=lambda n: totals[n])
    assert 5 < brute < 15, "the enumeration must bracket the optimum"
    assert best["agent_hours"] == brute
    assert best["total_cost"] == pytest.approx(totals[brute])
    # every frontier point is one of the enumerated counts, at the same cost
    for p in result.points.itertuples(index=False):
        assert p.total_cost == pytest.approx(totals[int(p.agent_hours)])
    # more service costs more and loses less along the frontier
    pts = result.points.sort_values("service_level")
    assert pts["service_cost"].is_monotonic_increasing and pts["lost_value"].is_monotonic_decreasing
    assert (result.marginal["service_cost_per_point"] > 0).all()
    # a higher customer value never makes less service the answer
    targets = result.optimum.set_index("value_case")["target"]
    assert targets["low"] <= targets["central"] <= targets["high"]


def test_cli_optimize_writes_the_plan(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ccsim.cli import app

    config = tmp_path / "three.toml"
    config.write_text(_toml(THREE_HOURS))
    out = tmp_path / "plan"
    res = CliRunner().invoke(app, ["optimize", str(config), "-o", str(out), "-r", "10", "--shifts",
                                   "--shift-length", "2h"], env={"COLUMNS": "100"})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {"staffing.csv", "plan.toml", "verification.csv", "risk.csv", "shifts.csv", "optimize.json"} <= {
        p.name for p in out.iterdir()
    }
    facts = json.loads((out / "optimize.json").read_text())
    assert facts["cost"] > 0 and facts["verification"]["seed"] == 12
    assert "independent check" in res.output
    bad = CliRunner().invoke(app, ["optimize", str(config), "--target", "phone=high"])
    assert bad.exit_code == 2 and "CHANNEL=SHARE" in bad.output


def test_cli_frontier_and_the_study_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ccsim.cli import app

    config = tmp_path / "one.toml"
    config.write_text(_toml(ONE_INTERVAL))
    out = tmp_path / "frontier"
    res = CliRunner().invoke(app, ["frontier", str(config), "-o", str(out), "-r", "5", "--targets", "0.5,0.9",
                                   "--refine", "0"], env={"COLUMNS": "100"})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {"frontier.csv", "optimum.csv", "marginal.csv", "frontier.json", "frontier.html"} <= {
        p.name for p in out.iterdir()
    }
    from ccsim.optimize.frontiers import load_frontier
    from ccsim.report.money import frontier_figure, marginal_figure, risk_figure

    again = load_frontier(out)
    assert again.channels == ["phone"] and len(again.points) == 2
    page = (out / "frontier.html").read_text()
    assert "<title>Frontier: one interval" in page and 'id="answer"' in page and 'id="fig-frontier"' in page
    facts = json.loads((out / "frontier.json").read_text())
    assert facts["name"] == "one interval" and facts["command"].startswith("ccsim")
    (out / "frontier.html").unlink()  # `ccsim report` rebuilds the page from the folder
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert 'id="fig-marginal"' in (out / "frontier.html").read_text()
    for figure in (frontier_figure, marginal_figure, risk_figure):
        assert len(figure(again).data) > 0
    # the study in experiments/ runs, shortened, through the public API only
    study = ROOT / "experiments" / "frontier_study.py"
    monkeypatch.setattr(sys, "argv", [str(study), "--quick", "--out", str(tmp_path / "study")])
    runpy.run_path(str(study), run_name="__main__")
    assert (tmp_path / "study" / "frontier.csv").exists()


def _toml(raw: dict[str, Any]) -> str:
    """A scenario dict as TOML (enough for these tests: tables, strings, numbers, lists)."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines = []
    for section, body in raw.items():
        if isinstance(body, list):
            for item in body:
                lines += [f"[[{section}]]", *(f"{k} = {value(v)}" for k, v in item.items()), ""]
        else:
            lines += [f"[{section}]"]
            lines += [f"{k} = {value(v)}" for k, v in body.items()]
            lines.append("")
    return "\n".join(lines)


def test_frontier_page_reading_never_shows_negative_money() -> None:
    """The page's sentence on the optimum states a cost and a saving only where the neighbouring
    points are in order; elsewhere it says the differences are noise."""
    from types import SimpleNamespace

    import pandas as pd

    from ccsim.report.frontier_page import _reading

    optimum = pd.DataFrame(
        {
            "choice": ["c"],
            "value_case": ["central"],
            "target": [0.8],
            "service_level": [0.88],
            "best_choice": [True],
        }
    )
    marginal = pd.DataFrame(
        {
            "choice": ["c", "c"],
            "from_service_level": [0.85, 0.88],
            "to_service_level": [0.88, 0.90],
            "service_cost_per_point": [800.0, -480.0],
            "lost_value_per_point": [-2000.0, 890.0],
        }
    )
    text = _reading(SimpleNamespace(optimum=optimum, marginal=marginal, currency="EUR"))
    assert "costs 800 EUR" in text and "saves 2,000 EUR" in text
    assert "-" not in text.replace("</p>", "") and "noise" in text


def test_a_period_staffing_cannot_fix_is_left_alone() -> None:
    """E-mails that arrive overnight wait for the morning whatever the staffing: the first
    period's e-mail target cannot be met. The optimiser says so once adding agents there has
    not helped, and still finds the least-cost plan for the rest instead of spending its budget
    on agents that help nobody."""
    raw = copy.deepcopy(THREE_HOURS)
    raw["channels"]["email"] = {
        "kind": "email",
        "hours": "09:00-23:00",
        "after_hours": "queue",
        "service_level": {"within": "30min", "target": 0.8},
    }
    raw["scenario"]["warmup"] = "2h"
    raw["demand"].append({"channel": "email", "contact_type": "g", "segment": "s", "rate": "20/h"})
    raw["agents"]["pool"]["channels"] = ["phone", "email"]
    messages: list[str] = []
    plan = optimize_staffing(
        ccsim.from_dict(raw), replications=5, max_simulations=40, verify=False, progress=messages.append
    )
    assert any(m.startswith("left alone: email 08:00") for m in messages)
    assert plan.feasible
    assert plan.simulations < 40  # the budget was not spent on the hopeless period


def test_shifts_the_scenario_refuses_are_named_as_the_shifts_not_the_config(
    plan: StaffingPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--shifts` writes shifts into the scenario; if the scenario refuses them, the message says
    it is the shifts chosen, not something the user wrote."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ccsim.ConfigError(["agents.pool: a group with shifts and absence cannot be capped"], "x.toml")

    monkeypatch.setattr(cli_optimize, "shifts_for", refuse)
    with pytest.raises(ccsim.ConfigError) as info:
        cli_optimize._cover(plan, None, None, tmp_path)
    assert "--shifts: the scenario cannot take the shifts chosen: agents.pool:" in str(info.value)
