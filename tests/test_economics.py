"""Money and customer value: the accounting adds up, and churn, value and experience respond in
the expected direction."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, base_raw

import ccsim
from ccsim.config.economics import Churn, Csat, WaitCurve
from ccsim.economics import account, contact_experience, interval_risk, risk
from ccsim.economics.accounting import COST_COMPONENTS, MONEY


def priced(**overrides: Any) -> dict[str, Any]:
    """Two channels, two segments, two types, two groups (one shared), every price set."""
    raw = base_raw(**overrides)
    raw["scenario"].update(duration="2h", interval="30min", replications=3)
    raw["channels"]["chat"] = {
        "kind": "chat",
        "concurrency": 2,
        "service_level": {"within": "60s", "target": 0.8},
    }
    raw["segments"]["vip"] = {
        "priority": 0,
        "patience": {"dist": "exponential", "mean": "4min"},
        "retrial": {"abandoned": 0.5, "delay": {"dist": "exponential", "mean": "5min"}},
    }
    raw["contact_types"]["sales"] = {"handle": {"dist": "exponential", "mean": "6min"}, "resolution": 0.7}
    raw["demand"] = [
        {
            "channel": "phone",
            "contact_type": {"general": 0.7, "sales": 0.3},
            "segment": {"standard": 0.8, "vip": 0.2},
            "rate": "2.5/min",
            "self_service": {"share": 0.1},
        },
        {"channel": "chat", "contact_type": "general", "segment": "standard", "rate": "1/min"},
    ]
    raw["agents"] = {
        "pool": {
            "count": 9,
            "skills": ["general", "sales"],
            "channels": ["phone"],
            "cost_per_hour": 30.0,
            "shrinkage": 0.25,
        },
        "digital": {"count": 3, "skills": ["general"], "channels": ["chat", "phone"]},
    }
    raw["partners"] = {
        "outsourcer": {
            "capacity": 2,
            "contact_types": ["general"],
            "channels": ["phone"],
            "after": "2min",
            "price": 4.5,
        }
    }
    raw["costs"] = {
        "agent_cost_per_hour": 24.0,
        "shrinkage": 0.3,
        "telephony": {"phone": {"waiting": 0.02, "talking": 0.03}, "chat": {"talking": 0.01}},
        "self_service": {"phone": 0.4},
        "callback": 0.5,
    }
    raw["value"] = {
        "segments": {
            "vip": {"lifetime_value": 5000.0, "lost_per_contact": 20.0},
            "standard": {"lifetime_value": 800.0},
        },
        "contact_types": {"sales": {"lost_per_contact": 60.0}},
    }
    return raw


@pytest.fixture(scope="module")
def results() -> ccsim.Results:
    return ccsim.simulate(ccsim.from_dict(priced()), contacts=True)


def test_components_sum_to_the_total(results: ccsim.Results) -> None:
    per = results.money.per_replication
    rows = per[per["group_by"] != "agent_group"]
    assert np.allclose(rows[COST_COMPONENTS].sum(axis=1), rows["service_cost"])
    assert np.allclose(rows["lost_revenue"] + rows["lost_lifetime_value"], rows["lost_value"])
    assert np.allclose(rows["service_cost"] + rows["lost_value"], rows["total_cost"])
    every = per[per["group_by"] == "all"].set_index("replication")
    for by in ("channel", "segment", "contact_type", "agent_group"):
        part = per[per["group_by"] == by].groupby("replication")
        columns = ["staffing", "paid_hours"] if by == "agent_group" else [*MONEY, "offered", "churn_risk"]
        assert np.allclose(part[columns].sum(), every[columns]), by
    assert (every["staffing"] > 0).all() and (every["partner"] > 0).all()
    assert (every["self_service"] > 0).all() and (every["lost_revenue"] > 0).all()


def test_cost_per_contact_times_contacts_is_the_cost(results: ccsim.Results) -> None:
    per = results.money.per_replication
    rows = per[per["group_by"] != "agent_group"]
    assert np.allclose(rows["cost_per_contact"] * rows["offered"], rows["service_cost"])
    assert np.allclose(rows["cost_per_resolved"] * rows["resolved"], rows["service_cost"])
    mean, half = results.money.kpi("cost_per_contact", "channel", "phone")
    assert mean > 0 and half >= 0


def test_each_component_matches_a_hand_calculation(results: ccsim.Results) -> None:
    money, c = results.money, results.contacts
    assert c is not None
    hours = 2.0 * results.replications
    by_group = money.per_replication[money.per_replication["group_by"] == "agent_group"]
    paid = by_group.groupby("group")["paid_hours"].sum()
    # agents on duty over the measured time (those finishing a contact stay a little longer)
    assert paid["pool"] == pytest.approx(9 * hours / 0.75, rel=0.02)
    assert paid["digital"] == pytest.approx(3 * hours / 0.7, rel=0.02)
    staffing = by_group.groupby("group")["staffing"].sum()
    assert staffing["pool"] == pytest.approx(paid["pool"] * 30.0)
    assert staffing["digital"] == pytest.approx(paid["digital"] * 24.0)
    total = money.per_replication[money.per_replication["group_by"] == "all"].sum()
    phone = c[c["channel"] == "phone"]
    served = c["outcome"] == "served"
    tel = (phone["wait_s"].fillna(0).sum() * 0.02 + phone.loc[served, "handle_s"].sum() * 0.03) / 60
    tel += c.loc[(c["channel"] == "chat") & served, "handle_s"].sum() * 0.01 / 60
    assert total["telephony"] == pytest.approx(tel)
    assert total["partner"] == pytest.approx(4.5 * (c["served_by"] == "partner").sum())
    assert total["self_service"] == pytest.approx(0.4 * (c["outcome"] == "self_served").sum())
    e = contact_experience(results)
    lost = e["lost"] * (
        e["segment"].astype(str).map({"vip": 20.0, "standard": 0.0})
        + e["contact_type"].astype(str).map({"sales": 60.0, "general": 0.0})
    )
    assert total["lost_revenue"] == pytest.approx(lost.sum())
    ltv = e["churn"] * e["segment"].astype(str).map({"vip": 5000.0, "standard": 800.0})
    assert total["lost_lifetime_value"] == pytest.approx(ltv.sum())
    assert total["total_cost_high"] - total["service_cost"] == pytest.approx(1.5 * total["lost_value"])


def test_contact_experience_matches_the_run_sums(results: ccsim.Results) -> None:
    e = contact_experience(results)
    iv = results.intervals
    assert e["churn"].sum() == pytest.approx(iv["churn_risk"].sum())
    assert e["csat"].sum() == pytest.approx(iv["csat_sum"].sum())
    assert e["lost"].sum() == pytest.approx(iv["lost"].sum())
    assert e["csat"].notna().sum() == iv["rated"].sum()
    quick = ccsim.simulate(results.scenario, contacts=False)
    assert quick.intervals["churn_risk"].sum() == pytest.approx(iv["churn_risk"].sum())
    # abandoned VIPs retry half the time: each counts as half a lost contact
    vip = e[(e["segment"] == "vip") & (e["outcome"] == "abandoned") & (e["attempt"] == 1)]
    assert np.allclose(vip["lost"], 0.5)


def test_value_and_experience_respond_in_the_expected_direction() -> None:
    def run(agents: int, ltv: float = 800.0, lost_churn: float = 0.03) -> Any:
        raw = priced()
        raw["agents"]["pool"]["count"] = agents
        raw["value"]["segments"]["standard"]["lifetime_value"] = ltv
        raw["value"]["churn"] = {"lost": lost_churn}
        return ccsim.simulate(ccsim.from_dict(raw), contacts=False).money

    few, many = run(7), run(12)
    worse = ["churn_risk", "lost", "lost_value", "lost_lifetime_value"]
    better = ["retention_rate", "csat", "ces", "nps"]
    for k in worse:
        assert few.kpi(k)[0] > many.kpi(k)[0], k
    for k in better:
        assert few.kpi(k)[0] < many.kpi(k)[0], k
    assert few.kpi("staffing")[0] < many.kpi("staffing")[0]
    assert run(7, ltv=1600.0).kpi("lost_lifetime_value")[0] > few.kpi("lost_lifetime_value")[0]
    assert run(7, lost_churn=0.2).kpi("churn_risk")[0] > few.kpi("churn_risk")[0]


def test_response_functions() -> None:
    curve = WaitCurve(at=["0s", "1min", "5min"], value=[0.0, 0.1, 0.5])
    assert np.allclose(curve(np.array([0.0, 30.0, 60.0, 180.0, 1e6, np.nan])), [0, 0.05, 0.1, 0.3, 0.5, 0])
    csat = Csat()
    waits = np.array([0.0, 20.0, 60.0, 180.0, 600.0])
    from ccsim.economics.experience import _score

    no = np.zeros(5, dtype=bool)
    scores = _score(csat, waits, no, no, no, np.ones(5), no, no, no)
    assert scores[0] == pytest.approx(4.6) and np.all(np.diff(scores) < 0)
    lost = _score(csat, waits, no, ~no, no, np.ones(5), no, no, no)
    assert np.all(lost < scores) and lost.min() >= 1.0
    assert Churn().wait(np.array([600.0]))[0] == pytest.approx(0.01)


def test_money_is_written_and_documented(results: ccsim.Results, tmp_path: Any) -> None:
    folder = results.write(tmp_path / "out")
    table = pd.read_csv(folder / "money.csv")
    assert {"service_cost", "total_cost_ci95", "csat", "nps"} <= set(table.columns)
    text = (ROOT / "docs" / "reference" / "results.md").read_text(encoding="utf-8")
    section = text.split("### `money`")[1].split("## ")[0]
    for column in results.money.summary.columns:
        name = column.removesuffix("_ci95")
        assert f"`{name}`" in section, name


def test_risk_grows_with_staffing() -> None:
    def p(agents: int) -> pd.DataFrame:
        raw = priced()
        raw["agents"]["pool"]["count"] = agents
        return risk(ccsim.simulate(ccsim.from_dict(raw), contacts=False))

    low, high = p(8), p(13)
    phone = lambda f: f[f["channel"] == "phone"].iloc[0]  # noqa: E731
    assert 0 <= phone(low)["p_interval"] < phone(high)["p_interval"] <= 1
    assert phone(low)["p_day"] <= phone(high)["p_day"]


def test_interval_risk_shape(results: ccsim.Results) -> None:
    table = interval_risk(results)
    assert set(table["channel"]) == {"phone", "chat"}
    assert table["p_meets"].between(0, 1).all()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("costs", {"telephony": {"phnoe": {"waiting": 0.1}}}, "unknown channel 'phnoe'"),
        ("value", {"segments": {"vipp": {"lifetime_value": 1}}}, "unknown segment 'vipp'"),
        ("frontier", {"targets": [0.8, 1.2]}, "targets must be in (0, 1)"),
        ("experience", {"csat": {"wait": {"at": ["1min", "0s"], "value": [0, 1]}}}, "'at' must increase"),
    ],
)
def test_bad_economics_config_is_a_clear_error(path: str, value: Any, message: str) -> None:
    raw = copy.deepcopy(priced())
    raw[path] = value
    with pytest.raises(ccsim.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ccsim.from_dict(raw)


def test_shrinkage_must_leave_paid_time() -> None:
    raw = priced()
    raw["agents"]["pool"]["shrinkage"] = 1.0
    with pytest.raises(ccsim.ConfigError, match=r"agents.pool.shrinkage: must be < 1"):
        ccsim.from_dict(raw)


def test_no_prices_cost_nothing_but_experience_is_measured() -> None:
    results = ccsim.simulate(ccsim.from_dict(base_raw()), replications=2, contacts=False)
    assert results.money.kpi("total_cost")[0] == 0
    assert 1 <= results.money.kpi("csat")[0] <= 5
    assert account(results).summary.equals(results.money.summary)


def test_money_figures(results: ccsim.Results) -> None:
    import plotly.graph_objects as go

    from ccsim.report.money import (
        ASSUMPTION_NOTE,
        cost_breakdown_figure,
        cost_per_contact_figure,
        experience_figure,
    )

    for fig in (
        cost_breakdown_figure(results.money),
        cost_per_contact_figure(results.money),
        experience_figure(results.money, by="segment"),
    ):
        assert isinstance(fig, go.Figure) and len(fig.data) > 0
    notes = [a.text for a in experience_figure(results.money).layout.annotations]
    assert ASSUMPTION_NOTE in notes
