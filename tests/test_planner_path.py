"""A planner's path in one command: targets judged with their intervals in the terminal, money
with --prices or --set, an optimiser's plan run with --plan, and its folder drawn by report."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import ROOT, base_raw
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app
from ccsim.cli.tables import duration_pm, shortfall_lines, target_cell
from ccsim.report.data import to_toml

runner = CliRunner(env={"COLUMNS": "80"})


def write_config(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(to_toml(raw))
    tomllib.loads(path.read_text())
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "small.toml", base_raw())


# ------------------------------------------------------------------ 1. targets in the terminal


def test_the_terminal_judges_a_target_with_its_interval() -> None:
    assert target_cell({"sl_target": 0.8, "service_level": 0.809, "service_level_ci95": 0.068}) == "80% ~"
    assert target_cell({"sl_target": 0.8, "service_level": 0.85, "service_level_ci95": 0.02}) == "80% ✓"
    assert target_cell({"sl_target": 0.8, "service_level": 0.70, "service_level_ci95": 0.02}) == "80% ✗"
    assert target_cell({"sl_target": float("nan"), "service_level": 0.7, "service_level_ci95": 0.1}) == ""


def test_deferred_waits_in_minutes_or_hours() -> None:
    assert duration_pm(8.7, 0.9) == "8.7±0.9s"
    assert duration_pm(1487.2, 871.0) == "24.8±14.5min"
    assert duration_pm(3 * 3600.0, 600.0) == "3.0±0.2h"


def test_intervals_below_target_are_counted_with_clock_times() -> None:
    raw = base_raw(**{"scenario.start": "09:00", "agents.pool.count": 8})
    results = ccsim.simulate(ccsim.from_dict(raw), replications=3)
    (line,) = shortfall_lines(results)
    ivs = results.intervals
    phone = ivs[ivs["channel"] == "phone"].groupby("interval")[["sl_numerator", "sl_denominator"]].sum()
    below = int((phone["sl_numerator"] / phone["sl_denominator"] < 0.8).sum())
    assert below > 0
    assert line.startswith(f"phone: {below} of 4 half-hours below 80%: 09:")
    assert set(ivs["clock"]) == {"09:00", "09:30", "10:00", "10:30"}


def test_run_table_fits_80_columns(tmp_path: Path) -> None:
    cfg = str(ROOT / "configs" / "retail_bank.toml")
    result = runner.invoke(app, ["run", cfg, "-r", "2", "-o", str(tmp_path / "o"), "--no-contacts"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert "…" not in result.output
    assert "relationship" in result.output and "min" in result.output  # e-mail waits in minutes
    assert any(" half-hours " in x and ("below" in x or "at or above" in x) for x in lines)
    assert "interval 1" not in result.output and "(worst: " in result.output


# ------------------------------------------------------------------ 3. money in one command


def test_set_adds_a_table_the_schema_knows(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["run", str(config), "-r", "2", "-o", str(out), "--set", "costs.agent_cost_per_hour=30"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    money = pd.read_csv(out / "money.csv").set_index("group_by")
    assert money.loc["all", "staffing"] == pytest.approx(30 * 9 * 2, rel=1e-6)  # 9 agents, 2h
    assert "No prices set" not in (out / "report.html").read_text()


def test_set_still_refuses_an_unknown_table(config: Path) -> None:
    result = runner.invoke(app, ["run", str(config), "--set", "cost.agent_cost_per_hour=30"])
    assert result.exit_code == 2
    assert "cost: no such table in the config (did you mean 'costs'?)" in result.output


def test_run_with_a_prices_file_and_an_unpriced_report(config: Path, tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text("[costs]\nagent_cost_per_hour = 25\n\n[agents.pool]\nshrinkage = 0.5\n")
    result = runner.invoke(
        app, ["run", str(config), "-r", "2", "-o", str(tmp_path / "p"), "--prices", str(prices)]
    )
    assert result.exit_code == 0, result.output
    money = pd.read_csv(tmp_path / "p" / "money.csv").set_index("group_by")
    assert money.loc["all", "staffing"] == pytest.approx(25 * 9 * 2 / 0.5, rel=1e-6)
    result = runner.invoke(app, ["run", str(config), "-r", "2", "-o", str(tmp_path / "u")])
    assert result.exit_code == 0
    page = (tmp_path / "u" / "report.html").read_text()
    assert "No prices set" in page and 'id="fig-costs"' not in page


# ------------------------------------------------------------------ 4. plans


def test_set_staffing_replaces_count(config: Path, tmp_path: Path) -> None:
    plan = tmp_path / "staffing.csv"
    plan.write_text("start,pool\n00:00,9\n00:30,10\n01:00,11\n01:30,12\n")
    spec = f'{{file = "{plan}", column = "pool"}}'
    result = runner.invoke(
        app,
        ["run", str(config), "-r", "1", "-o", str(tmp_path / "o"), "--set", f"agents.pool.staffing={spec}"],
    )
    assert result.exit_code == 0, result.output
    agents = pd.read_parquet(tmp_path / "o" / "agents.parquet")
    staffed = agents.groupby("interval")["staffed_s"].sum() / 1800
    assert staffed.round().tolist() == [9, 10, 11, 12]


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("plan")
    cfg = write_config(tmp / "small.toml", base_raw(**{"scenario.start": "08:00"}))
    out = tmp / "small-plan"
    args = [
        "optimize",
        str(cfg),
        "-o",
        str(out),
        "-r",
        "2",
        "--verify-replications",
        "2",
        "--max-simulations",
        "20",
        "-q",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return cfg, out


def test_run_a_plan_of_optimize(plan_folder: tuple[Path, Path], tmp_path: Path) -> None:
    cfg, folder = plan_folder
    plan = pd.read_csv(folder / "staffing.csv")
    scenario = ccsim.load(cfg).with_plan(folder)
    assert "count" not in scenario.raw["agents"]["pool"]
    result = runner.invoke(
        app, ["run", str(cfg), "--plan", str(folder), "-r", "1", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    agents = pd.read_parquet(tmp_path / "o" / "agents.parquet")
    staffed = (agents.groupby("interval")["staffed_s"].sum() / 1800).round().astype(int).tolist()
    assert staffed == plan["pool"].tolist()
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["config"]["agents"]["pool"]["staffing"]["column"] == "pool"


def test_a_plan_for_another_start_is_refused(plan_folder: tuple[Path, Path]) -> None:
    cfg, folder = plan_folder
    result = runner.invoke(app, ["run", str(cfg), "--plan", str(folder), "--set", "scenario.start=07:00"])
    assert result.exit_code == 2
    assert "made for another scenario.start" in result.output


def test_report_draws_an_optimize_folder(plan_folder: tuple[Path, Path]) -> None:
    _, folder = plan_folder
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    for part in ("Staffing plan", 'id="fig-plan"', 'id="fig-verification"', "P(day meets)", "--plan"):
        assert part in page, part


# ------------------------------------------------------------------ 2. sweeps


def _two_channels() -> dict[str, Any]:
    raw = base_raw(**{"scenario.duration": "1h"})
    raw["channels"]["chat"] = {"kind": "chat", "service_level": {"within": "1min", "target": 0.8}}
    raw["demand"].append(
        {"channel": "chat", "contact_type": "general", "segment": "standard", "rate": "1/min"}
    )
    raw["agents"]["pool"]["channels"] = ["phone", "chat"]
    return raw


def test_sweep_table_shows_each_channel_in_percent(tmp_path: Path) -> None:
    sweep_file = tmp_path / "s.toml"
    write_config(tmp_path / "two.toml", _two_channels())
    sweep_file.write_text(
        '[sweep]\nconfig = "two.toml"\nreplications = 2\nseed = 1\n\n'
        '[factors]\n"agents.pool.count" = [9, 12]\n'
    )
    result = runner.invoke(
        app, ["sweep", str(sweep_file), "--serial", "--no-report", "-o", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    res = ccsim.load_sweep(tmp_path / "s")
    header = next(x for x in result.output.splitlines() if "SL phone" in x)
    assert "SL chat" in header
    phone = res.summary["service_level.channel.phone"].iloc[0]
    assert f"{100 * phone:.1f}±" in result.output
    assert max(len(x) for x in result.output.splitlines()) <= 80 and "…" not in result.output
    assert "total_cost" not in res.summary.columns  # no prices


def test_a_priced_sweep_carries_the_money_columns(tmp_path: Path) -> None:
    scenario = ccsim.from_dict(_two_channels()).with_overrides({"costs.agent_cost_per_hour": 30})
    res = ccsim.sweep(
        scenario, {"agents.pool.count": [9, 12]}, replications=2, out=tmp_path / "m", progress=False
    )
    for col in (
        "staffing",
        "total_cost",
        "cost_per_contact",
        "total_cost.channel.phone",
        "csat.channel.chat",
    ):
        assert col in res.summary.columns and f"{col}_ci95" in res.summary.columns, col
        assert col in res.per_replication.columns
    assert res.summary["staffing"].tolist() == pytest.approx([30 * 9, 30 * 12])
    again = ccsim.load_sweep(tmp_path / "m")
    assert again.summary["staffing"].tolist() == pytest.approx([30 * 9, 30 * 12])
