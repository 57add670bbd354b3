"""Occupancy caps, recovery pauses and fatigue (``agents.NAME.wellbeing``): off costs nothing and
changes nothing, a cap lowers the agents' peak load and costs service level there, fatigue
lengthens handle time along a busy stretch and a pause resets it, the customers stay the same."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.agentload import rolling_occupancy
from ccsim.cli import app
from ccsim.confidence import t_half_width
from ccsim.model.wellbeing import SPAN
from ccsim.optimize import frontier
from ccsim.report.data import from_results
from ccsim.report.page import build

LINE: dict[str, Any] = {
    "scenario": {"name": "line", "start": "08:00", "duration": "8h", "warmup": "30min",
                 "interval": "30min", "replications": 4, "seed": 3},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"s": {"priority": 1, "patience": {"dist": "exponential", "mean": "3min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "4min"},
                            "wrap_up": {"dist": "constant", "value": "30s"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s", "volume": 1500,
                "profile": [6, 8, 10, 12, 12, 10, 8, 6, 5, 5, 5, 5, 4, 4, 3, 3]}],
    "agents": {"team": {"count": 22, "skills": ["g"], "channels": ["phone"]}},
}  # fmt: skip
PEAK = [3, 4, 5]  # intervals (measured, 30 min) of the morning peak: 10:00-11:30


def line(wellbeing: dict[str, Any] | None = None, **scenario: Any) -> ccsim.Scenario:
    raw = copy.deepcopy(LINE)
    raw["scenario"].update(scenario)
    if wellbeing is not None:
        raw["agents"]["team"]["wellbeing"] = wellbeing
    return ccsim.from_dict(raw)


def run(wellbeing: dict[str, Any] | None = None, replications: int = 4, **scenario: Any) -> ccsim.Results:
    return ccsim.simulate(line(wellbeing, **scenario), replications=replications, workers=1)


def test_a_cap_that_never_binds_changes_no_contact() -> None:
    """Rules that never act (a cap of 1) send the group down the general path: the same
    contacts, bit for bit, as without them, and the load measured."""
    plain, measured = run(), run({"occupancy_cap": 1.0})
    assert plain.contacts is not None and measured.contacts is not None
    pd.testing.assert_frame_equal(plain.contacts, measured.contacts)
    assert "pause_s" not in plain.agents.columns
    assert measured.agents["pause_s"].sum() == 0
    assert measured.agents["sampled_s"].sum() > 0
    pd.testing.assert_series_equal(plain.agents["staffed_s"], measured.agents["staffed_s"])


def test_the_customers_are_the_same_with_pauses_and_fatigue() -> None:
    """Common random numbers: arrivals, and the drawn handle time of each contact, do not
    change; fatigue multiplies the handle time by the agent's factor, within [1, fatigue_max]."""
    capped = run({"occupancy_cap": 0.85})
    base = run({"occupancy_cap": 1.0})
    tired = run({"fatigue": 0.3, "fatigue_max": 1.4})
    assert base.contacts is not None and capped.contacts is not None and tired.contacts is not None
    key = ["replication", "contact_id"]
    a, b, c = (r.contacts.set_index(key).sort_index() for r in (base, capped, tired))
    pd.testing.assert_series_equal(a["arrival_s"], b["arrival_s"])
    pd.testing.assert_series_equal(a["arrival_s"], c["arrival_s"])
    served = (a["outcome"] == "served") & (b["outcome"] == "served")
    pd.testing.assert_series_equal(a.loc[served, "handle_s"], b.loc[served, "handle_s"])
    both = (a["outcome"] == "served") & (c["outcome"] == "served")
    factor = c.loc[both, "handle_s"] / a.loc[both, "handle_s"]
    assert factor.min() >= 1.0 - 1e-12 and factor.max() <= 1.4 + 1e-12
    assert factor.max() == pytest.approx(1.4)  # long stretches reach the ceiling
    assert np.allclose(c.loc[both, "wrap_s"] / a.loc[both, "wrap_s"], factor)  # wrap-up tires too


def _peak(results: ccsim.Results) -> pd.DataFrame:
    """Per replication: the peak's service level and share of agent-time above 90% rolling
    occupancy."""
    iv = results.intervals[results.intervals["interval"].isin(PEAK)]
    sl = iv.groupby("replication")[["sl_numerator", "sl_denominator"]].sum()
    ag = results.agents[results.agents["interval"].isin(PEAK)]
    load = ag.groupby("replication")[["above_90_s", "sampled_s"]].sum()
    return pd.DataFrame(
        {"sl": sl["sl_numerator"] / sl["sl_denominator"], "above_90": load["above_90_s"] / load["sampled_s"]}
    )


def test_a_cap_lowers_peak_occupancy_and_costs_service_level_there() -> None:
    """Paired over 12 replications (the same customers): a cap of 85% over 30 minutes more
    than halves the agent-time above 90% in the peak and costs service level there; both
    differences lie outside their 95% intervals."""
    free, capped = _peak(run({"occupancy_cap": 1.0}, 12)), _peak(run({"occupancy_cap": 0.85}, 12))
    d_load = (capped["above_90"] - free["above_90"]).to_numpy()
    d_sl = (capped["sl"] - free["sl"]).to_numpy()
    assert d_load.mean() + t_half_width(d_load) < 0
    assert capped["above_90"].mean() < 0.5 * free["above_90"].mean()
    assert d_sl.mean() + t_half_width(d_sl) < -0.03  # a few points of service level at least


def _factors(wellbeing: dict[str, Any]) -> pd.DataFrame:
    """Each served contact's fatigue factor (its wrap-up over the constant 30 s drawn), with its
    agent and start, in order per agent."""
    tired = run(wellbeing, 2)
    assert tired.contacts is not None
    c = tired.contacts[tired.contacts["outcome"] == "served"].copy()
    c["factor"] = c["wrap_s"] / 30.0
    c["start"] = c["arrival_s"] + c["wait_s"]
    return c.sort_values(["replication", "agent_id", "start"])


def _longest_run_tired(frame: pd.DataFrame) -> int:
    """The most contacts in a row (per agent) with a factor above 1."""
    longest = 0
    for _, f in frame.groupby(["replication", "agent_id"]):
        run_, best = 0, 0
        for tired in f["factor"].to_numpy() > 1.0 + 1e-12:
            run_ = run_ + 1 if tired else 0
            best = max(best, run_)
        longest = max(longest, best)
    return longest


def test_fatigue_grows_with_the_busy_stretch_and_a_pause_resets_it() -> None:
    """Without pauses a busy agent tires along the morning (the factor of the peak's contacts
    above that of the first half hour); with a pause after every 4 contacts no agent takes
    more than 3 contacts in a row with a factor above 1, and the mean factor is far lower."""
    fatigue = {"fatigue": 0.3, "fatigue_max": 2.0}
    no_pause = _factors(fatigue)
    early = no_pause[no_pause["start"] < 1800]["factor"].mean()
    peak = no_pause[(no_pause["start"] >= 5400) & (no_pause["start"] < 10800)]["factor"].mean()
    assert peak > early + 0.1
    assert _longest_run_tired(no_pause) > 20
    paused = _factors({**fatigue, "max_contacts": 4})
    assert _longest_run_tired(paused) <= 3
    assert paused["factor"].mean() - 1 < 0.5 * (no_pause["factor"].mean() - 1)


def test_the_load_kpis_are_reported_with_intervals() -> None:
    """The summary carries pauses, pause hours, the shares above 85/90/95% and the longest
    stretch per agent group, each with its half-width; staffed time leaves out the pauses,
    paid time keeps them."""
    r = run({"occupancy_cap": 0.85, "fatigue": 0.1})
    row = r.summary[r.summary["group_by"] == "agent_group"].iloc[0]
    for k in ["pauses", "pause_hours", "occupancy_above_85", "occupancy_above_90",
              "occupancy_above_95", "longest_stretch_s"]:  # fmt: skip
        assert np.isfinite(row[k]) and np.isfinite(row[f"{k}_ci95"]), k
    assert row["occupancy_above_85"] >= row["occupancy_above_90"] >= row["occupancy_above_95"]
    assert row["pauses"] > 0 and row["longest_stretch_s"] > 0
    ag = r.agents
    present = ag["staffed_s"] + ag["pause_s"]
    assert np.allclose(present.groupby(ag["replication"]).sum(), 22 * 8 * 3600.0)
    money = r.money
    assert money is not None


def test_rolling_occupancy_of_known_busy_periods() -> None:
    """Agent 0 busy 0-600 and 900-1200 s, agent 1 busy 0-1800 s: over a 30-minute window."""
    busy = np.array([(0, 0, 0.0, 600.0), (0, 0, 900.0, 1200.0), (0, 1, 0.0, 1800.0)], dtype=SPAN)
    agent = np.array([0, 0, 1, 1])
    t = np.array([600.0, 1800.0, 900.0, 3600.0])
    occ = rolling_occupancy(busy, agent, t, np.full(4, 1800.0))
    assert occ == pytest.approx([600 / 1800, 900 / 1800, 900 / 1800, 0.0])


BAD = [
    ({"window": "30min"}, "agents.team.wellbeing: give at least one of"),
    ({"fatigue": 0.1, "window": "20min"}, "window = 1200s does nothing without 'occupancy_cap'"),
    ({"occupancy_cap": 1.2}, "agents.team.wellbeing.occupancy_cap: must be <= 1"),
    ({"fatigue": 0.1, "pause": "2min"}, "pause = 120s does nothing without"),
    ({"occupancy_cap": 0.9, "fatigue_max": 1.2}, "fatigue_max = 1.2 does nothing without 'fatigue'"),
    ({"occupancy_cp": 0.9}, "did you mean 'occupancy_cap'"),
]


@pytest.mark.parametrize(("wellbeing", "message"), BAD, ids=[m for _, m in BAD])
def test_a_wrong_key_names_its_path_and_exits_2(
    tmp_path: Path, wellbeing: dict[str, Any], message: str
) -> None:
    raw = copy.deepcopy(LINE)
    raw["agents"]["team"]["wellbeing"] = wellbeing
    path = tmp_path / "bad.toml"
    path.write_text(ccsim.toml_writer.to_toml(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_personal_agents_are_refused() -> None:
    raw = copy.deepcopy(LINE)
    raw["agents"]["team"]["wellbeing"] = {"occupancy_cap": 0.9}
    raw["segments"]["s"]["personal"] = {"group": "team"}
    with pytest.raises(
        ccsim.ConfigError, match=r"agents\.team\.wellbeing: not supported for a group of personal"
    ):
        ccsim.from_dict(raw)


PRICED: dict[str, Any] = {
    "scenario": {"name": "priced", "duration": "4h", "warmup": "30min", "interval": "4h",
                 "replications": 10, "seed": 4},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "3min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s", "rate": "4/min"}],
    "agents": {"pool": {"count": 18, "skills": ["g"], "channels": ["phone"], "cost_per_hour": 30.0,
                        "shrinkage": 0.0, "wellbeing": {"occupancy_cap": 1.0}}},
    "value": {"segments": {"s": {"lifetime_value": 0.0, "lost_per_contact": 8.0}}},
    "frontier": {"targets": [0.6, 0.8, 0.9],
                 "choices": {"cap_80": {"agents.pool.wellbeing.occupancy_cap": 0.8}}},
}  # fmt: skip


def test_the_frontier_prices_an_occupancy_cap_as_a_service_choice() -> None:
    """A ``[frontier]`` choice over the cap: for every target the capped line needs at least as
    many agent-hours, more at some, and its total cost at the 80% target is higher by more
    than the two half-widths together; the uncapped line is the cheapest choice."""
    result = frontier(
        ccsim.from_dict(copy.deepcopy(PRICED)),
        replications=10, eval_replications=10, max_eval_replications=10, refine=0, workers=1,
    )  # fmt: skip
    pts = result.points.set_index(["choice", "target"])
    free, capped = pts.loc["as_configured"], pts.loc["cap_80"]
    assert (capped["agent_hours"] >= free["agent_hours"]).all()
    assert (capped["agent_hours"] > free["agent_hours"]).any()
    gap = capped.loc[0.8, "total_cost"] - free.loc[0.8, "total_cost"]
    assert gap > capped.loc[0.8, "total_cost_ci95"] + free.loc[0.8, "total_cost_ci95"]
    best = result.optimum[result.optimum["value_case"] == "central"].set_index("choice")
    assert best.loc["as_configured", "best_choice"] and not best.loc["cap_80", "best_choice"]


def test_the_page_has_an_agents_load_section_only_with_rules() -> None:
    capped = build(from_results(run({"occupancy_cap": 0.85}, 2)), plotly_js="")
    assert 'id="load"' in capped and 'id="fig-load"' in capped
    assert "team · rolling occupancy above 90%" in capped and "recovery pauses" in capped
    plain = build(from_results(run(None, 2)), plotly_js="")
    assert 'id="load"' not in plain
