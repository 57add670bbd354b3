"""Each journey policy changes what the model does, visibly in the contacts table and KPIs,
and conservation holds: every contact ends in exactly one outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import base_raw

import ccsim


def run(raw, replications=2, seed=1, **kw):
    return ccsim.simulate(ccsim.from_dict(raw), replications=replications, seed=seed, **kw)


def conserved(res) -> None:
    c = res.contacts
    per_rep = c.groupby("replication").size().to_numpy()
    assert (res.intervals.groupby("replication")["offered"].sum().to_numpy() == per_rep).all()
    assert c["outcome"].notna().all()
    assert (
        c["contact_id"].is_unique or c.groupby("replication")["contact_id"].apply(lambda s: s.is_unique).all()
    )


def links_resolve(c) -> None:
    """Every created contact points to an earlier contact of the same customer."""
    for _, rep in c.groupby("replication"):
        created = rep[rep["parent_id"] >= 0]
        known = rep.set_index("contact_id")
        linked = created[created["parent_id"].isin(known.index)]
        assert len(linked) >= 0.5 * len(created)  # a parent that arrived in the warm-up is not in the table
        parents = known.loc[linked["parent_id"]]
        assert (parents["customer_id"].to_numpy() == linked["customer_id"].to_numpy()).all()
        assert (parents["arrival_s"].to_numpy() <= linked["arrival_s"].to_numpy()).all()


def vip_raw(**personal):
    raw = base_raw(**{"agents.pool.count": 6, "demand.0.segment": {"vip": 0.3, "standard": 0.7}})
    raw["segments"]["vip"] = {
        "priority": 0,
        "personal": {
            "group": "relationship",
            "wait": "60s",
            "deputy_wait": "30s",
            "customers": 40,
            **personal,
        },
    }
    raw["agents"]["relationship"] = {"count": 4, "skills": ["general"], "channels": ["phone"]}
    return raw


def test_personal_agent_then_deputy_then_pool():
    res = run(vip_raw())
    conserved(res)
    c = res.contacts
    vip = c[(c["segment"] == "vip") & (c["outcome"] == "served")]
    assert set(vip["served_by"]) >= {"personal", "deputy", "pool"}
    std = c[(c["segment"] == "standard") & (c["outcome"] == "served")]
    assert set(std["served_by"]) == {"pool"}
    # the personal agent is always the same agent for a customer within a run (a fixed seat)
    personal = vip[vip["served_by"] == "personal"]
    assert (personal.groupby(["replication", "customer_id"])["agent_id"].nunique() == 1).mean() > 0.8
    # waits for the personal agent are bounded by the configured wait, deputies by both
    assert (vip.loc[vip["served_by"] == "personal", "wait_s"] <= 60 + 1e-6).all()
    assert (vip.loc[vip["served_by"] == "deputy", "wait_s"] <= 90 + 1e-6).all()
    share, _ = res.kpi("personal_share", "segment", "vip")
    assert 0 < share < 1
    assert (c.loc[c["outcome"] != "served", "served_by"] == "").all()  # only served contacts say who


def test_longer_personal_wait_reaches_the_own_agent_more_often_at_a_cost_in_wait():
    short = run(vip_raw(wait="5s", deputy_wait="5s"), replications=3)
    long = run(vip_raw(wait="5min", deputy_wait="1min"), replications=3)
    assert long.kpi("personal_share", "segment", "vip")[0] > short.kpi("personal_share", "segment", "vip")[0]
    assert long.kpi("asa_s", "segment", "vip")[0] > short.kpi("asa_s", "segment", "vip")[0]


def test_identification_routes_unrecognised_vips_as_standard():
    raw = vip_raw()
    raw["segments"]["vip"]["identification"] = {"share": 0.5, "otherwise": "standard"}
    c = run(raw).contacts
    vip = c[(c["segment"] == "vip") & (c["outcome"] == "served")]
    assert vip["identified"].any() and (~vip["identified"]).any()
    assert set(vip.loc[~vip["identified"], "served_by"]) == {"pool"}


def test_head_start_orders_by_wait_plus_head_start():
    raw = base_raw(**{"agents.pool.count": 7, "demand.0.segment": {"vip": 0.3, "standard": 0.7}})
    raw["segments"]["standard"].pop("patience")
    raw["segments"]["vip"] = {"priority": 0, "head_start": "30s"}
    strict = run(raw, replications=3)
    raw["routing"] = {"priority": "head_start"}
    head = run(raw, replications=3)
    # strict priority helps VIPs more than a 30 s head start does
    assert strict.kpi("asa_s", "segment", "vip")[0] < head.kpi("asa_s", "segment", "vip")[0]
    assert head.kpi("asa_s", "segment", "vip")[0] < head.kpi("asa_s", "segment", "standard")[0]


def test_non_service_calls_passed_through_by_telephony_or_agent():
    raw = base_raw()
    raw["channels"]["phone"]["non_service"] = {"share": 0.2, "handling": "telephony"}
    c = run(raw).contacts
    passed = c[c["outcome"] == "passed_through"]
    assert 0.1 < len(passed) / len(c) < 0.3 and (passed["agent_id"] == -1).all()
    raw["channels"]["phone"]["non_service"] = {
        "share": 0.2,
        "handling": "agent",
        "time": {"dist": "constant", "value": "20s"},
    }
    c = run(raw).contacts
    passed = c[c["outcome"] == "passed_through"]
    assert (passed["agent_id"] >= 0).all() and np.allclose(passed["handle_s"], 20.0)


def test_partner_takes_contacts_that_waited_and_respects_capacity():
    raw = base_raw(**{"agents.pool.count": 6})
    raw["partners"] = {
        "bpo": {
            "capacity": 2,
            "contact_types": ["general"],
            "channels": ["phone"],
            "after": "60s",
            "handle_factor": 1.5,
            "resolution": 0.5,
        }
    }
    res = run(raw)
    conserved(res)
    c = res.contacts
    p = c[c["served_by"] == "partner"]
    assert len(p) > 0 and (p["wait_s"] >= 60 - 1e-6).all()
    assert (p["agent_group"] == "partner:bpo").all()
    for _, rep in p.groupby("replication"):
        start = rep["arrival_s"] + rep["wait_s"]
        events = sorted(
            [(s, 1) for s in start] + [(s + h, -1) for s, h in zip(start, rep["handle_s"], strict=True)]
        )
        level = peak = 0
        for _, d in sorted(events, key=lambda e: (e[0], e[1])):
            level += d
            peak = max(peak, level)
        assert peak <= 2
    assert res.kpi("resolution_rate", "all")[0] < 1.0
    without = run(base_raw(**{"agents.pool.count": 6}))
    assert res.kpi("asa_s")[0] < without.kpi("asa_s")[0]


def test_announcement_balks_and_measures_its_error():
    raw = base_raw(**{"agents.pool.count": 7})
    raw["channels"]["phone"]["announcement"] = {"threshold": "30s", "balk": 0.5}
    res = run(raw)
    c = res.contacts
    balked = c[c["outcome"] == "balked"]
    assert len(balked) > 0 and (balked["predicted_wait_s"] > 30).all()
    assert c.loc[c["outcome"] == "served", "predicted_wait_s"].notna().any()
    assert np.isfinite(res.kpi("announce_bias_s")[0])
    base = run(base_raw(**{"agents.pool.count": 7}))
    assert res.kpi("abandon_rate")[0] < base.kpi("abandon_rate")[0]  # those who balk don't abandon later


@pytest.mark.parametrize("mode", ["when_free", "by_promise"])
def test_callbacks_leave_the_queue_and_keep_promises(mode):
    raw = base_raw(**{"agents.pool.count": 7})
    raw["channels"]["phone"]["callback"] = {
        "offer_after": "45s",
        "accept": 0.6,
        "promise": "30min",
        "mode": mode,
    }
    res = run(raw)
    conserved(res)
    c = res.contacts
    asked = c[c["outcome"] == "callback"]
    made = c[c["origin"] == "callback"]
    assert len(asked) > 0 and (asked["wait_s"] >= 45 - 1e-6).all()
    assert len(made) == len(asked) or len(made) >= 0.9 * len(asked)
    assert made["promised_s"].notna().all() and made["outcome"].eq("served").all()
    assert made["predicted_wait_s"].isna().all()  # a callback hears no announcement
    links_resolve(c)
    assert 0 <= res.kpi("promise_kept_rate")[0] <= 1
    base = run(base_raw(**{"agents.pool.count": 7}))
    assert res.kpi("abandoned")[0] < base.kpi("abandoned")[0]
    # offers are counted whether taken or not: every taker was offered, some declined
    assert asked["callback_offered"].all()
    offered = c[c["callback_offered"]]
    assert (offered["wait_s"] >= 45 - 1e-6).all() and (offered["outcome"] != "callback").any()
    assert res.kpi("callback_offers")[0] == pytest.approx(len(offered) / 2)
    assert 0.4 < res.kpi("callback_take_up")[0] < 0.8  # accept = 0.6


def test_callers_who_balk_try_again_as_configured():
    raw = base_raw(**{"agents.pool.count": 7})
    raw["channels"]["phone"]["announcement"] = {"threshold": "30s", "balk": 0.5}
    raw["segments"]["standard"]["retrial"] = {
        "abandoned": 0.0,
        "balked": 1.0,
        "delay": {"dist": "exponential", "mean": "10min"},
        "max_attempts": 2,
    }
    c = run(raw).contacts
    parent = c.set_index(["replication", "contact_id"])["outcome"]
    retrials = c[c["origin"] == "retrial"]
    keys = list(zip(retrials["replication"], retrials["parent_id"], strict=True))
    led_by = parent.reindex(keys).dropna()  # parents that arrived in the warm-up are not measured
    assert len(led_by) > 0 and (led_by == "balked").all()  # abandoned ones: share 0
    first_balked = c[(c["outcome"] == "balked") & (c["attempt"] == 1)]
    # all of them try again (share 1, one more attempt); a few after the end, not measured
    assert 0.8 * len(first_balked) <= len(led_by) <= len(first_balked)
    raw["segments"]["standard"]["retrial"].pop("balked")  # default: as 'abandoned' (0 here)
    assert (run(raw).contacts["origin"] != "retrial").all()


def test_email_acknowledgement_promise_fixed_and_from_backlog():
    raw = base_raw(**{"agents.pool.count": 1, "demand.0.rate": "10/h"})
    raw["channels"] = {"email": {"kind": "email", "acknowledgement": {"promise": "2h"}}}
    raw["demand"][0]["channel"] = "email"
    raw["agents"]["pool"]["channels"] = ["email"]
    c = run(raw).contacts
    assert np.allclose(c["promised_s"], 7200)
    raw["channels"]["email"]["acknowledgement"] = {"promise": "backlog", "factor": 1.0, "minimum": "0s"}
    res = run(raw)
    c = res.contacts
    assert c["promised_s"].nunique() > 2  # the promise follows the backlog
    assert 0 < res.kpi("promise_kept_rate")[0] <= 1


def test_retrials_after_abandoning_and_busy_signals():
    raw = base_raw(**{"agents.pool.count": 6, "channels.phone.lines": 9})
    raw["segments"]["standard"]["retrial"] = {
        "abandoned": 0.7,
        "blocked": 0.9,
        "delay": {"dist": "exponential", "mean": "3min"},
        "max_attempts": 3,
    }
    res = run(raw)
    conserved(res)
    c = res.contacts
    retrials = c[c["origin"] == "retrial"]
    assert len(retrials) > 0 and retrials["attempt"].max() <= 3 and retrials["attempt"].min() >= 2
    links_resolve(c)
    assert res.kpi("retrials")[0] > 0


def test_first_contact_resolution_and_repeats_on_another_channel():
    raw = base_raw()
    raw["contact_types"]["general"].update(
        resolution=0.6, repeat={"delay": {"dist": "exponential", "mean": "20min"}, "channels": {"email": 1}}
    )
    raw["channels"]["email"] = {"kind": "email"}
    raw["agents"]["pool"]["channels"] = ["phone", "email"]
    res = run(raw, replications=3)
    conserved(res)
    c = res.contacts
    repeats = c[c["origin"] == "repeat"]
    assert len(repeats) > 0 and (repeats["channel"] == "email").all()
    links_resolve(c)
    fcr, _ = res.kpi("fcr")
    assert 0.5 < fcr < 0.7
    assert res.kpi("contacts_per_resolved")[0] > 1.2


def test_escalation_to_second_level():
    raw = base_raw()
    raw["contact_types"]["general"]["escalation"] = {"share": 0.25, "to": "level2"}
    raw["contact_types"]["level2"] = {"handle": {"dist": "exponential", "mean": "10min"}, "priority": 0}
    raw["agents"]["specialists"] = {"count": 3, "skills": ["level2"], "channels": ["phone"]}
    res = run(raw)
    conserved(res)
    c = res.contacts
    level2 = c[c["contact_type"] == "level2"]
    assert (level2["origin"] == "escalation").all() and len(level2) > 0
    assert set(level2.loc[level2["outcome"] == "served", "agent_group"]) == {"specialists"}
    escalated = c[c["escalated"]]
    assert not escalated["resolved"].any()
    assert 0.15 < res.kpi("escalation_rate", "contact_type", "general")[0] < 0.35


def test_self_service_resolves_a_share_and_failures_come_back():
    raw = base_raw()
    raw["demand"][0]["self_service"] = {
        "share": 0.4,
        "fail": 0.25,
        "delay": {"dist": "constant", "value": "3min"},
    }
    res = run(raw)
    conserved(res)
    c = res.contacts
    first = c[c["origin"] == "arrival"]
    assert 0.3 < (first["outcome"] == "self_served").mean() < 0.5
    back = c[c["origin"] == "self_service"]
    assert len(back) > 0 and (back["attempt"] == 2).all()


@pytest.mark.parametrize("policy", ["voicemail", "fallback"])
def test_after_hours_voicemail_or_fallback(policy):
    raw = base_raw(**{"scenario.start": "08:00", "scenario.warmup": 0})
    raw["channels"]["phone"]["hours"] = "09:00-10:00"
    raw["channels"]["phone"]["after_hours"] = policy
    raw["channels"]["email"] = {"kind": "email"}
    raw["agents"]["pool"]["channels"] = ["phone", "email"]
    if policy == "fallback":
        raw["channels"]["phone"]["fallback_channel"] = "email"
    res = run(raw)
    conserved(res)
    c = res.contacts
    closed_hours = (c["arrival_s"] < 3600) & (c["origin"] == "arrival") & (c["channel"] == "phone")
    assert (c.loc[closed_hours, "outcome"] == policy).all()
    made = c[c["origin"] == policy]
    assert len(made) == closed_hours.sum()
    if policy == "voicemail":  # a callback when the channel opens
        assert (made["arrival_s"] >= 3600 - 1e-6).all() and made["promised_s"].notna().all()
    else:
        assert (made["channel"] == "email").all()


def test_out_of_scope_types_served_or_declined():
    raw = base_raw()
    raw["contact_types"]["advice"] = {
        "handle": {"dist": "constant", "value": "10min"},
        "skill": "general",
        "in_scope": False,
        "decline": {"dist": "constant", "value": "30s"},
    }
    raw["demand"][0]["contact_type"] = {"general": 0.8, "advice": 0.2}
    served = run(raw).contacts
    raw["routing"] = {"out_of_scope": "decline"}
    declined = run(raw).contacts
    adv_s = served[(served["contact_type"] == "advice") & (served["outcome"] == "served")]
    adv_d = declined[(declined["contact_type"] == "advice") & (declined["agent_id"] >= 0)]
    assert np.allclose(adv_s["handle_s"], 600) and len(adv_s) > 0
    assert (adv_d["outcome"] == "declined").all() and np.allclose(adv_d["handle_s"], 30)


def test_walk_in_desk_and_social():
    raw = base_raw()
    raw["channels"] = {
        "desk": {"kind": "walk_in", "patience": {"dist": "constant", "value": "10min"}},
        "social": {"kind": "social", "service_level": {"within": "1h", "target": 0.9}},
    }
    raw["demand"] = [
        {"channel": "desk", "contact_type": "general", "segment": "standard", "rate": "2.5/min"},
        {"channel": "social", "contact_type": "general", "segment": "standard", "rate": "0.5/min"},
    ]
    raw["agents"]["pool"]["channels"] = ["desk", "social"]
    res = run(raw)
    conserved(res)
    c = res.contacts
    desk_ab = c[(c["channel"] == "desk") & (c["outcome"] == "abandoned")]
    assert np.allclose(desk_ab["wait_s"], 600)  # the desk's own patience, not the phone's
    assert (c.loc[c["channel"] == "social", "outcome"] != "abandoned").all()


def test_journey_policies_are_reproducible():
    raw = vip_raw()
    raw["channels"]["phone"]["callback"] = {"offer_after": "45s", "accept": 0.5}
    raw["contact_types"]["general"].update(
        resolution=0.8, repeat={"delay": {"dist": "exponential", "mean": "1h"}}
    )
    a = run(raw, seed=9).contacts
    b = run(raw, seed=9).contacts
    assert a.equals(b)


def test_bad_policy_names_are_reported():
    raw = vip_raw()
    raw["segments"]["vip"]["personal"]["group"] = "relationshp"
    with pytest.raises(
        ccsim.ConfigError,
        match=r"segments\.vip\.personal\.group: unknown agent group 'relationshp' "
        r"\(did you mean 'relationship'\?\)",
    ):
        ccsim.from_dict(raw)
    raw = base_raw()
    raw["contact_types"]["general"]["escalation"] = {"share": 0.2, "to": "lvl2"}
    with pytest.raises(ccsim.ConfigError, match=r"escalation\.to: unknown contact type 'lvl2'"):
        ccsim.from_dict(raw)


def test_journey_decisions_are_common_random_numbers():
    """A contact decides the same way whatever the staffing: the same arrivals are resolved,
    escalated, retry after abandoning, and their retrials come after the same delay."""
    raw = base_raw(**{"scenario.duration": "4h"})
    raw["segments"]["standard"]["retrial"] = {
        "abandoned": 0.6,
        "delay": {"dist": "exponential", "mean": "5min"},
        "max_attempts": 3,
    }
    general = raw["contact_types"]["general"]
    general.update(resolution=0.7, repeat={"delay": {"dist": "exponential", "mean": "30min"}})
    general["escalation"] = {"share": 0.1, "to": "level2"}
    raw["contact_types"]["level2"] = {"handle": {"dist": "exponential", "mean": "6min"}}
    raw["agents"]["pool"]["skills"] = ["general", "level2"]

    def journeys(count: int) -> pd.DataFrame:
        raw["agents"]["pool"]["count"] = count
        c = run(raw, replications=1, seed=11).contacts
        parent = c.set_index("contact_id")
        c["parent_arrival_s"] = c["parent_id"].map(parent["arrival_s"])
        c["parent_end_s"] = c["parent_id"].map(parent["arrival_s"] + parent["wait_s"])
        return c

    few, many = journeys(7), journeys(10)
    firsts = [c[c["origin"] == "arrival"].set_index("arrival_s") for c in (few, many)]
    assert firsts[0].index.equals(firsts[1].index)  # the same arrivals
    a, b = firsts
    served = (a["outcome"] == "served") & (b["outcome"] == "served")
    assert served.sum() > 100 and (a["wait_s"] != b["wait_s"]).any()  # the staffing mattered
    assert (a.loc[served, "resolved"] == b.loc[served, "resolved"]).all()
    assert (a.loc[served, "escalated"] == b.loc[served, "escalated"]).all()
    abandoned = (a["outcome"] == "abandoned") & (b["outcome"] == "abandoned")
    assert abandoned.sum() > 5

    def retrial_delays(c: pd.DataFrame) -> pd.Series:
        r = c[(c["origin"] == "retrial") & (c["attempt"] == 2)]
        return (r["arrival_s"] - r["parent_end_s"]).set_axis(r["parent_arrival_s"]).sort_index()

    ra, rb = retrial_delays(few), retrial_delays(many)
    both = abandoned[abandoned].index
    ra, rb = ra[ra.index.isin(both)], rb[rb.index.isin(both)]
    assert len(ra) > 0 and ra.index.equals(rb.index)  # the same callers retry ...
    assert np.allclose(ra.to_numpy(), rb.to_numpy())  # ... after the same delay


def test_crn_study_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy
    import sys
    from pathlib import Path

    study = Path(__file__).resolve().parents[1] / "experiments" / "crn_study.py"
    monkeypatch.setattr(sys, "argv", ["crn_study.py", "--quick"])
    runpy.run_path(str(study), run_name="__main__")
    out = capsys.readouterr().out
    assert "sd of diff" in out and "fcr" in out and "repeats" in out
