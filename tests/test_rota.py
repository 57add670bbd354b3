"""Absence, breaks and blocks (``agents.NAME.absence``, ``.breaks``, ``.blocks``): the rota
takes them off the staffing; their effect on the service level, their common random numbers,
their hours and their cost."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, base_raw
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app
from ccsim.confidence import t_half_width
from ccsim.model.rota import Rota
from ccsim.model.store import OUTCOMES
from ccsim.optimize.problem import build_problem
from ccsim.optimize.staffing import analytic_start


def _scenario(**agents):
    raw = base_raw()
    raw["scenario"].update({"start": "08:00", "duration": "8h", "replications": 4})
    raw["agents"]["pool"].update(agents)
    return ccsim.from_dict(raw)


def _phone_sl(results) -> pd.Series:
    iv = results.intervals
    g = iv.groupby("replication")[["sl_numerator", "sl_denominator"]].sum()
    return g["sl_numerator"] / g["sl_denominator"]


@pytest.mark.parametrize(
    "agents",
    [
        {"count": 9},
        {"count": None, "staffing": [7, 8, 9, 10, 10, 9, 9, 8, 8, 9, 10, 10, 9, 8, 7, 7]},
        {
            "count": None,
            "shifts": [
                {"start": "07:00", "length": "6h", "count": 6},
                {"start": "11:00", "length": "6h", "count": 5},
            ],
        },
    ],
    ids=["count", "staffing", "shifts"],
)
def test_a_rota_without_absence_or_breaks_changes_nothing(agents):
    """absence with a rate of 0: the rota rebuilds the staffing agent by agent, exactly."""
    plain = _scenario(**agents)
    rota = s = _scenario(**agents, absence={"rate": 0.0})
    a = ccsim.simulate(plain, workers=1)
    b = ccsim.simulate(rota, workers=1)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    assert (b.agents["absent_s"] == 0).all() and (b.agents["off_phone_s"] == 0).all()
    assert (b.agents["rostered_s"] <= a.agents["staffed_s"] + 1e-6).all()  # agents may run over
    level = np.array([s.plan.groups[0].staffing.at(s.plan.clock.warmup + 1800 * k + 1) for k in range(16)])
    rostered = b.agents.groupby("interval")["rostered_s"].mean().to_numpy()
    assert rostered == pytest.approx(1800 * level)
    assert "absent_s" not in a.agents.columns  # off by default: the tables as before


def test_absence_costs_what_fewer_agents_cost_with_more_spread():
    """10% absence of 20 agents lowers the service level as 18 agents do, on average; the
    days differ more (how many are absent varies)."""
    reps = 60
    base = {"scenario.duration": "4h", "demand.0.rate": "3.4/min", "scenario.warmup": "30min"}
    absent = _scenario(count=20, absence={"rate": 0.1}).with_overrides(base)
    fewer = _scenario(count=18).with_overrides(base)
    full = _scenario(count=20).with_overrides(base)
    sl_a = _phone_sl(ccsim.simulate(absent, replications=reps, workers=1))
    sl_f = _phone_sl(ccsim.simulate(fewer, replications=reps, workers=1))
    sl_20 = _phone_sl(ccsim.simulate(full, replications=reps, workers=1))
    diff = (sl_a - sl_f).to_numpy()  # paired: the same customers
    assert abs(diff.mean()) < max(0.02, 2 * t_half_width(diff)), (sl_a.mean(), sl_f.mean())
    assert sl_20.mean() - sl_a.mean() > 0.03  # absence does cost service
    assert sl_a.std() > 1.5 * sl_f.std()  # with more day-to-day spread


def _peaked(window: list[str] | None):
    """A peak from 10:00 to 12:00 (the intervals 4-7 of a day from 08:00) and breaks of 30
    minutes staggered over ``window``."""
    profile = [2] * 4 + [6] * 4 + [2] * 8
    agents = (
        {"count": 12} if window is None else {"count": 12, "breaks": [{"window": window, "length": "30min"}]}
    )
    s = _scenario(**agents).with_overrides(
        {
            "demand.0": {
                "channel": "phone",
                "contact_type": "general",
                "segment": "standard",
                "volume": 1000,
                "profile": profile,
            }
        }
    )
    return ccsim.simulate(s, replications=20, workers=1)


def test_breaks_in_the_peak_cost_service_level_there_and_outside_it_do_not():
    def peak_sl(r):
        iv = r.intervals[r.intervals["interval"].between(4, 7)]
        return iv["sl_numerator"].sum() / iv["sl_denominator"].sum()

    none, peak, late = _peaked(None), _peaked(["10:00", "12:00"]), _peaked(["13:00", "15:00"])
    assert peak_sl(none) - peak_sl(peak) > 0.05
    assert peak_sl(late) == pytest.approx(peak_sl(none), abs=1e-12)  # the peak is before the breaks
    assert (late.agents["off_phone_s"].sum() / 20) == pytest.approx(12 * 1800)  # 12 agents x 30 min
    assert peak.agents["off_phone_s"].sum() == pytest.approx(late.agents["off_phone_s"].sum())


def test_absences_are_common_random_numbers_across_routing():
    """Two scenarios that differ in routing (and in another group's staffing) see the same
    absences."""
    raw = base_raw()
    raw["scenario"].update({"start": "08:00", "duration": "8h", "replications": 3})
    raw["agents"]["pool"]["absence"] = {"rate": 0.2, "correlation": 0.1, "leave_early": 0.1}
    raw["agents"]["backup"] = {"count": 3, "skills": ["general"], "channels": ["phone"]}
    a = ccsim.from_dict(raw)
    b = a.with_overrides(
        {
            "contact_types.general.groups": ["backup", "pool"],
            "contact_types.general.overflow_delay": "30s",
            "agents.backup.count": 5,
        }
    )
    ra, rb = (ccsim.simulate(s, workers=1) for s in (a, b))
    pool_a = ra.agents[ra.agents["agent_group"] == "pool"].reset_index(drop=True)
    pool_b = rb.agents[rb.agents["agent_group"] == "pool"].reset_index(drop=True)
    for col in ("rostered_s", "absent_s", "off_phone_s"):
        pd.testing.assert_series_equal(pool_a[col], pool_b[col])
    assert pool_a["absent_s"].sum() > 0
    assert not ra.intervals["served"].equals(rb.intervals["served"])  # the routing did differ


def test_absence_draws_are_kept_for_the_agents_two_staffings_share():
    """More agents rostered: those both plans have are absent on the same days."""
    plan = _scenario(count=10, absence={"rate": 0.3}).plan
    more = _scenario(count=14, absence={"rate": 0.3}).plan
    for rep in range(5):
        a, b = Rota(plan, 3, rep).pieces, Rota(more, 3, rep).pieces
        assert a is not None and b is not None
        # absent among the first 10 of 14 is at most the absent of 14, and at least absent(14) - 4
        assert b["absent"].max() - 4 <= a["absent"].max() <= b["absent"].max()


def test_correlation_spreads_the_days_absence_with_the_same_mean():
    def rates(corr: float) -> np.ndarray:
        s = _scenario(count=40, absence={"rate": 0.1, "correlation": corr}).with_overrides(
            {"scenario.duration": "1h"}
        )
        out = []
        for rep in range(300):
            p = Rota(s.plan, 5, rep).pieces
            assert p is not None
            k = np.searchsorted(p["start"], s.plan.clock.warmup, side="right") - 1  # the measured day
            out.append(p["absent"][k] / 40)
        return np.array(out)

    plain, corr = rates(0.0), rates(0.2)
    assert abs(plain.mean() - 0.1) < 0.01 and abs(corr.mean() - 0.1) < 0.02
    assert corr.std() > 1.5 * plain.std()  # binomial sd 0.047; beta-binomial about 0.15


def test_leaving_early_and_blocks_take_agents_off_and_conservation_holds():
    s = _scenario(
        count=9,
        absence={"rate": 0.0, "leave_early": 0.5},
        blocks=[{"start": "09:00", "length": "1h", "agents": 3}],
    )
    r = ccsim.simulate(s, workers=1)
    ag = r.agents.groupby("interval")[["absent_s", "off_phone_s"]].mean()
    assert ag["off_phone_s"].iloc[2:4].to_numpy() == pytest.approx([3 * 1800, 3 * 1800])  # 09:00-10:00
    assert ag["absent_s"].iloc[-1] > ag["absent_s"].iloc[0]  # leaving early: more absent later
    offered = r.intervals.groupby("replication")["offered"].sum()
    ended = r.intervals.groupby("replication")[list(OUTCOMES)].sum().sum(axis=1)
    assert (offered == ended).all()


def test_paid_hours_count_breaks_and_paid_absence():
    s = _scenario(count=9, absence={"rate": 0.2}, blocks=[{"start": "09:00", "length": "1h", "agents": 2}])
    s = s.with_overrides({"costs.agent_cost_per_hour": 30.0, "costs.shrinkage": 0.1})
    r = ccsim.simulate(s, workers=1)
    ag = r.agents
    paid = (ag["staffed_s"] + ag["off_phone_s"] + ag["absent_s"]).sum() / 3600 / 0.9
    assert r.money.per_replication.query("group_by == 'all'")["staffing"].sum() == pytest.approx(30 * paid)
    unpaid = s.with_overrides({"agents.pool.absence.paid": False})
    r2 = ccsim.simulate(unpaid, workers=1)
    assert r2.money.per_replication.query("group_by == 'all'")["staffing"].sum() < 30 * paid


def test_kpis_split_planned_and_unplanned_shrinkage():
    r = ccsim.simulate(ccsim.load(ROOT / "configs" / "absence_and_breaks.toml"), workers=1)
    team = r.summary[r.summary["group"] == "team"].iloc[0]
    assert 0.0 < team["absence_rate"] < 0.25 and 0.05 < team["planned_shrinkage"] < 0.2
    assert team["absent_hours_ci95"] >= 0 and team["off_phone_hours"] > 0
    overall = r.per_replication[r.per_replication["group_by"] == "all"]
    assert overall["absence_rate"].notna().all()  # beside the day's service level


def test_the_optimiser_rosters_for_those_on_duty():
    s = _scenario(count=9, absence={"rate": 0.2})
    pilot = ccsim.simulate(s, workers=1)
    problem = build_problem(s, pilot)
    assert problem.availability("pool", 0) == pytest.approx(0.8, abs=0.15)
    plain = build_problem(_scenario(count=9), ccsim.simulate(_scenario(count=9), workers=1))
    assert analytic_start(problem)["pool"].sum() > 1.1 * analytic_start(plain)["pool"].sum()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("absence", {"rate": 1.2}, "agents.pool.absence.rate: must be < 1.0 (got 1.2)"),
        (
            "breaks",
            [{"after": "2h", "window": ["10:00", "11:00"], "length": "15min"}],
            "give exactly one of 'after'",
        ),
        ("breaks", [{"window": ["10:00", "10:10"], "length": "15min"}], "shorter than the break"),
        (
            "blocks",
            [{"start": "10:00", "length": 15, "agents": 2}],
            "agents.pool.blocks[0].length: a duration needs a unit",
        ),
    ],
)
def test_bad_rota_keys_name_path_rule_and_value(tmp_path, key, value, message):
    raw = base_raw()
    raw["agents"]["pool"][key] = value
    with pytest.raises(ccsim.ConfigError) as info:
        ccsim.from_dict(raw)
    assert message in str(info.value)
    text = (ROOT / "configs" / "absence_and_breaks.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("absence = { rate = 0.08", "absence = { rate = 1.08"))
    result = CliRunner().invoke(app, ["run", str(bad), "-r", "1"])
    assert result.exit_code == 2 and "agents.team.absence.rate: must be < 1.0 (got 1.08)" in result.output


def test_results_reference_lists_the_rota_columns():
    text = (ROOT / "docs" / "reference" / "results.md").read_text(encoding="utf-8")
    documented = set()
    for table in re.findall(r"^\| column with a rota \|.*?(?=^[^|]|\Z)", text, re.MULTILINE | re.DOTALL):
        for row in table.splitlines()[2:]:
            documented.update(re.findall(r"`([^`]+)`", row.split("|")[1]))
    r = ccsim.simulate(ccsim.load(ROOT / "configs" / "absence_and_breaks.toml"), replications=2, workers=1)
    plain = ccsim.simulate(ccsim.load(ROOT / "configs" / "erlang_a.toml"), replications=2, workers=1)
    new = (set(r.agents.columns) - set(plain.agents.columns)) | {
        c.removesuffix("_ci95") for c in set(r.summary.columns) - set(plain.summary.columns)
    }
    assert new == documented
