"""What the model does with each feature of the config: one behaviour a test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, base_raw

import ccsim
from ccsim.model import routing


def run(raw, replications=1, seed=1, **kw):
    return ccsim.simulate(ccsim.from_dict(raw), replications=replications, seed=seed, **kw)


def max_overlap(starts, ends) -> int:
    events = sorted([(s, 1) for s in starts] + [(e, -1) for e in ends], key=lambda x: (x[0], x[1]))
    level = peak = 0
    for _, d in events:
        level += d
        peak = max(peak, level)
    return peak


def test_every_arrival_has_one_outcome_and_waits_are_not_negative():
    res = run(base_raw(**{"agents.pool.count": 6}), replications=2)
    c = res.contacts
    assert c["outcome"].isin(["served", "abandoned"]).all()
    assert (c["wait_s"] >= 0).all()
    counts = res.intervals.groupby("replication")[["served", "abandoned", "offered"]].sum()
    assert (counts["served"] + counts["abandoned"] == counts["offered"]).all()


def test_lines_block_and_bound_the_calls_in_the_system():
    raw = base_raw(**{"agents.pool.count": 3, "channels.phone.lines": 5, "demand.0.rate": "2/min"})
    c = run(raw).contacts
    assert (c["outcome"] == "blocked").sum() > 0
    held = c[c["outcome"].isin(["served", "abandoned"])]
    end = held["arrival_s"] + held["wait_s"] + held["handle_s"].fillna(0)
    assert max_overlap(held["arrival_s"].tolist(), end.tolist()) <= 5


def chat_raw(stretch=0.0):
    raw = base_raw(**{"agents.pool.count": 3, "demand.0.rate": "1.2/min"})
    raw["channels"] = {"chat": {"kind": "chat", "concurrency": 2, "concurrency_stretch": stretch}}
    raw["demand"][0]["channel"] = "chat"
    raw["agents"]["pool"]["channels"] = ["chat"]
    raw["contact_types"]["general"]["handle"] = {"dist": "constant", "value": "100s"}
    return raw


def test_chat_agents_hold_up_to_concurrency_and_handle_time_stretches():
    c = run(chat_raw(stretch=0.5)).contacts
    served = c[c["outcome"] == "served"]
    peaks = [
        max_overlap(g["arrival_s"] + g["wait_s"], g["arrival_s"] + g["wait_s"] + g["handle_s"])
        for _, g in served.groupby("agent_id")
    ]
    assert max(peaks) == 2
    assert set(np.round(served["handle_s"], 6)) == {100.0, 150.0}


def test_email_never_abandons_and_is_answered_oldest_first():
    raw = base_raw(**{"agents.pool.count": 1, "demand.0.rate": "12/h"})
    raw["channels"] = {"email": {"kind": "email", "service_level": {"within": "2h"}}}
    raw["demand"][0]["channel"] = "email"
    raw["agents"]["pool"]["channels"] = ["email"]
    c = run(raw).contacts
    assert (c["outcome"] == "served").all()
    start = (c["arrival_s"] + c["wait_s"]).to_numpy()
    assert (np.diff(start) >= 0).all()  # one agent, first come first served


def test_email_only_when_no_realtime_contact_waits():
    raw = base_raw(**{"agents.pool.count": 2, "demand.0.rate": "0.5/min"})
    raw["channels"]["email"] = {"kind": "email"}
    raw["demand"].append(
        {"channel": "email", "contact_type": "general", "segment": "standard", "rate": "20/h"}
    )
    raw["agents"]["pool"]["channels"] = ["phone", "email"]
    c = run(raw).contacts
    phone = c[c["channel"] == "phone"]
    email_starts = (c["arrival_s"] + c["wait_s"])[(c["channel"] == "email") & (c["outcome"] == "served")]
    p_arr = phone["arrival_s"].to_numpy()
    p_left = (phone["arrival_s"] + phone["wait_s"]).to_numpy()
    for t in email_starts:
        assert not ((p_arr < t - 1e-9) & (p_left > t + 1e-9)).any(), (
            f"a call waited while e-mail started at {t}"
        )


def test_opening_hours_close_voice_and_queue_email():
    raw = base_raw(**{"scenario.start": "08:00", "scenario.warmup": 0, "agents.pool.count": 10})
    raw["channels"]["phone"]["hours"] = "09:00-10:00"
    raw["channels"]["email"] = {"kind": "email", "hours": ["09:00-10:00"]}
    raw["demand"].append(
        {"channel": "email", "contact_type": "general", "segment": "standard", "rate": "20/h"}
    )
    raw["agents"]["pool"]["channels"] = ["phone", "email"]
    c = run(raw).contacts
    phone = c[c["channel"] == "phone"]
    inside = (phone["arrival_s"] >= 3600) & (phone["arrival_s"] < 7200)
    assert (phone.loc[~inside, "outcome"] == "closed").all()
    assert (phone.loc[inside, "outcome"] != "closed").all()
    email = c[c["channel"] == "email"]
    assert (email["outcome"] == "served").all()
    starts = email["arrival_s"] + email["wait_s"]
    # e-mail is worked on only while its channel is open (09:00-10:00 of each day)
    tod = (8 * 3600 + starts) % 86400
    assert ((tod >= 9 * 3600 - 1e-6) & (tod <= 10 * 3600 + 1e-6)).all()


def test_staffing_per_interval_and_agents_finish_the_contact_in_hand():
    raw = base_raw(**{"scenario.warmup": 0, "scenario.drain": True})
    raw["agents"]["pool"] = {"staffing": [6, 6, 2, 0], "skills": ["general"], "channels": ["phone"]}
    raw["segments"]["standard"].pop("patience")
    res = run(raw)
    staffed = res.agents.groupby("interval")["agents"].sum().tolist()
    assert staffed[:2] == pytest.approx([6, 6], abs=1e-9)
    c = res.contacts
    start = c["arrival_s"] + c["wait_s"]
    # an agent who leaves while on a contact is staffed until it ends: at 1:00 four of six leave
    # (those the two staying agents are not), at 1:30 the last two; the overrun is staffed time
    end = start + c["handle_s"]
    staying = set(c.loc[(start >= 3600) & (start < 5400), "agent_id"])
    assert len(staying) == 2
    leaving = (start < 3600) & (end > 3600) & ~c["agent_id"].isin(staying)
    in_hand = (start < 5400) & (end > 5400)
    assert leaving.any() and in_hand.any()
    assert staffed[2] == pytest.approx(2 + (end[leaving].clip(upper=5400) - 3600).sum() / 1800, rel=1e-9)
    assert staffed[3] == pytest.approx((end[in_hand].clip(upper=7200) - 5400).sum() / 1800, rel=1e-9)
    # nobody starts a contact while no agent is staffed (1:30 until the pattern repeats the
    # next day, when the agents come back and clear the backlog: the drain) ...
    served = c["outcome"] == "served"
    assert not (served & (start > 5400 + 1e-6) & (start < 86400 - 1e-6)).any()
    assert (served & (start >= 86400)).any()
    # ... but those in hand at 1:30 are finished after it
    assert (in_hand & served).any()


def test_shifts_give_the_staffed_agents():
    raw = base_raw(**{"scenario.start": "08:00", "scenario.warmup": 0, "scenario.duration": "4h"})
    raw["agents"]["pool"] = {
        "shifts": [
            {"start": "08:00", "length": "2h", "count": 4},
            {"start": "09:00", "length": "3h", "count": 3},
        ],
        "skills": ["general"],
        "channels": ["phone"],
    }
    raw["contact_types"]["general"]["handle"] = {"dist": "constant", "value": "100s"}
    staffed = (run(raw).agents.groupby("interval")["staffed_s"].sum() / 1800).to_numpy()
    assert staffed[:4].round(6).tolist() == [4, 4, 7, 7]
    # after 10:00 four agents leave once the contact in hand (at most 100 s) is finished
    assert 3 <= staffed[4] <= 3 + 4 * 100 / 1800
    assert staffed[5:].round(6).tolist() == [3, 3, 3]


def test_overflow_only_after_the_delay():
    raw = base_raw(**{"scenario.duration": "4h", "demand.0.rate": "3/min"})
    raw["contact_types"]["general"].update(groups=["first", "second"], overflow_delay="30s")
    raw["agents"] = {
        "first": {"count": 4, "skills": ["general"], "channels": ["phone"]},
        "second": {"count": 4, "skills": ["general"], "channels": ["phone"]},
    }
    c = run(raw).contacts
    served = c[c["outcome"] == "served"]
    by_second = served[served["agent_group"] == "second"]
    assert len(by_second) > 0 and (by_second["wait_s"] >= 30 - 1e-9).all()
    assert (served[served["agent_group"] == "first"]["wait_s"] < 30).any()


def test_priority_segment_waits_less():
    raw = base_raw(**{"agents.pool.count": 8, "demand.0.segment": {"vip": 0.3, "standard": 0.7}})
    raw["segments"]["vip"] = {"priority": 0}
    raw["segments"]["standard"].pop("patience")
    res = run(raw, replications=3)
    vip, _ = res.kpi("mean_wait_s", "segment", "vip")
    std, _ = res.kpi("mean_wait_s", "segment", "standard")
    assert vip < std / 2


def test_proficiency_scales_handle_time():
    raw = base_raw()
    raw["contact_types"]["general"]["handle"] = {"dist": "constant", "value": "100s"}
    raw["agents"]["pool"]["skills"] = {"general": 0.5}
    c = run(raw).contacts
    assert np.allclose(c.loc[c["outcome"] == "served", "handle_s"], 200.0)


def test_daily_volume_follows_the_profile_and_busyness_varies_days():
    raw = base_raw(**{"scenario.duration": "5d", "scenario.warmup": 0, "scenario.interval": "6h"})
    raw["segments"]["standard"].pop("patience")
    raw["demand"][0].pop("rate")
    raw["demand"][0].update(volume=2000, profile=[1, 3, 4, 2])
    raw["agents"]["pool"]["count"] = 20
    res = run(raw)
    per_interval = res.intervals.groupby(res.intervals["interval"] % 4)["offered"].sum()
    shares = per_interval / per_interval.sum()
    assert np.allclose(shares, [0.1, 0.3, 0.4, 0.2], atol=0.02)
    raw["scenario"]["busyness"] = {"dist": "gamma", "mean": 1, "cv": 0.4}
    days = run(raw).contacts.groupby("day").size()
    # Poisson alone would give a day-to-day sd of about sqrt(2000) = 45
    assert days.std() > 150


def test_warmup_contacts_are_not_measured():
    res = run(base_raw())
    assert (res.contacts["arrival_s"] >= 0).all()
    assert res.contacts["interval"].between(0, 3).all()


def test_no_drain_leaves_unfinished_contacts():
    raw = base_raw(**{"scenario.drain": False, "agents.pool.count": 7})
    raw["segments"]["standard"].pop("patience")
    c = run(raw).contacts
    assert (c["outcome"] == "unfinished").sum() > 0
    drained = run(base_raw(**{"agents.pool.count": 7})).contacts
    assert (drained["outcome"] != "unfinished").all()


def test_same_seed_same_numbers_and_crn_keeps_arrivals():
    raw = base_raw()
    a, b = run(raw, seed=5).contacts, run(raw, seed=5).contacts
    pd.testing.assert_frame_equal(a, b)
    more = run(base_raw(**{"agents.pool.count": 12}), seed=5).contacts
    assert np.array_equal(a["arrival_s"], more["arrival_s"])
    assert not np.array_equal(a["arrival_s"], run(raw, seed=6).contacts["arrival_s"])


def test_overloaded_scenario_runs_and_says_so():
    res = run(base_raw(**{"agents.pool.count": 4}))
    assert any("offered load" in w for w in res.warnings)
    assert res.kpi("service_level")[0] < 0.5


def test_contacts_table_optional_and_the_tables_the_same_without_it():
    full, bare = run(base_raw(), contacts=True), run(base_raw(), contacts=False)
    assert full.contacts is not None and len(full.contacts) > 0 and bare.contacts is None
    pd.testing.assert_frame_equal(bare.intervals, full.intervals)
    pd.testing.assert_frame_equal(bare.agents, full.agents)
    pd.testing.assert_frame_equal(bare.summary, full.summary)
    counts = full.contacts.groupby("outcome").size()
    assert full.intervals["offered"].sum() == len(full.contacts)
    assert full.intervals["served"].sum() == counts["served"]


def test_agent_recalled_during_a_call_takes_no_chat():
    """Regression: an agent told to leave while on a call, then kept on by the next staffing
    change, must not take a chat as if it were a chat agent with a free slot."""
    raw = base_raw(**{"scenario.duration": "3h", "scenario.drain": False, "scenario.seed": 2046})
    raw["channels"] = {
        "phone": {"kind": "voice"},
        "chat": {"kind": "chat", "concurrency": 2},
        "email": {"kind": "email"},
    }
    raw["segments"]["standard"]["patience"] = {"dist": "exponential", "mean": "30s"}
    raw["contact_types"]["general"]["handle"] = {"dist": "lognormal", "mean": "5min", "cv": 1.5}
    raw["demand"] = [
        {"channel": ch, "contact_type": "general", "segment": "standard", "rate": r}
        for ch, r in (("phone", "1/min"), ("chat", "1/min"), ("email", "0.2/min"))
    ]
    raw["agents"] = {
        "flex": {
            "staffing": [0, 0, 4, 3, 0, 1],
            "skills": ["general"],
            "channels": ["phone", "chat", "email"],
        }
    }
    for seed in range(2040, 2050):
        c = run(raw, seed=seed).contacts
        served = c[c["agent_id"] >= 0]
        weight = np.where(served["channel"] == "chat", 0.5, 1.0)
        start = (served["arrival_s"] + served["wait_s"]).to_numpy()
        end = start + served["handle_s"].to_numpy() + served["wrap_s"].fillna(0).to_numpy()
        for a in np.unique(served["agent_id"]):
            m = (served["agent_id"] == a).to_numpy()
            events = sorted(
                [(s, w) for s, w in zip(start[m], weight[m], strict=True)]
                + [(e, -w) for e, w in zip(end[m], weight[m], strict=True)]
            )
            level = peak = 0.0
            # ends before starts at the same moment (times rebuilt from arrival + wait: to the µs)
            for _, d in sorted(events, key=lambda x: (round(x[0], 6), x[1])):
                level += d
                peak = max(peak, level)
            assert peak <= 1.0 + 1e-9, (seed, a)


def test_agent_of_a_phone_and_chat_team_recalled_during_a_call_takes_no_chat():
    """Regression: the phone's only team also answers chat, so its calls take the lean path
    (``_serve_one``); an agent recalled during such a call must not take chats beside it."""
    raw = base_raw(
        **{
            "scenario.duration": "4h",
            "scenario.drain": False,
            "scenario.warmup": 0,
            "scenario.interval": "5min",
        }
    )
    raw["channels"] = {"phone": {"kind": "voice"}, "chat": {"kind": "chat", "concurrency": 3}}
    raw["segments"]["standard"]["patience"] = {"dist": "exponential", "mean": "1min"}
    raw["contact_types"]["general"]["handle"] = {"dist": "exponential", "mean": "15min"}
    raw["demand"] = [
        {"channel": ch, "contact_type": "general", "segment": "standard", "rate": r}
        for ch, r in (("phone", "0.3/min"), ("chat", "0.6/min"))
    ]
    raw["agents"] = {"flex": {"staffing": [4, 3] * 24, "skills": ["general"], "channels": ["phone", "chat"]}}
    for seed in (2, 11):  # seeds where an agent was recalled during a call
        c = run(raw, seed=seed).contacts
        s = c[c["agent_id"] >= 0]
        start = (s["arrival_s"] + s["wait_s"]).to_numpy()
        end = start + s["handle_s"].to_numpy()
        channel, agent = s["channel"].to_numpy(), s["agent_id"].to_numpy()
        for p in np.flatnonzero(channel == "phone"):
            beside = (
                (agent == agent[p]) & (channel == "chat") & (start < end[p] - 1e-6) & (end > start[p] + 1e-6)
            )
            assert not beside.any(), (seed, agent[p])


def _expiry_cases() -> dict[str, dict]:
    """Scenarios where queues expire their contacts at the head: plain, with a staffing plan that
    empties the centre (the drain), without drain, with opening hours that hold e-mail, with
    two groups sharing queues, over several days (blocks carried over)."""
    emptying = base_raw(**{"scenario.warmup": 0, "agents.pool.count": 5})
    emptying["agents"]["pool"] = {"staffing": [6, 3, 1, 0], "skills": ["general"], "channels": ["phone"]}
    hours = base_raw(**{"scenario.start": "08:00", "agents.pool.count": 3})
    hours["channels"]["email"] = {"kind": "email", "hours": ["09:00-10:00"], "after_hours": "queue"}
    hours["channels"]["phone"]["hours"] = "08:00-09:30"
    hours["segments"]["standard"]["patience"] = {"dist": "lognormal", "mean": "1min", "cv": 1.5}
    hours["demand"].append(
        {"channel": "email", "contact_type": "general", "segment": "standard", "rate": "20/h"}
    )
    hours["agents"]["pool"]["channels"] = ["phone", "email"]
    shared = base_raw(**{"agents.pool.count": 4})
    shared["agents"]["second"] = {"count": 3, "skills": ["general"], "channels": ["phone"]}
    shared["segments"]["vip"] = {"priority": 0, "patience": {"dist": "exponential", "mean": "1min"}}
    shared["demand"].append(
        {"channel": "phone", "contact_type": "general", "segment": "vip", "rate": "1/min"}
    )
    return {
        "plain": base_raw(**{"agents.pool.count": 7}),
        "emptying": emptying,
        "no drain": base_raw(**{"scenario.drain": False, "agents.pool.count": 6}),
        "hours": hours,
        "shared groups": shared,
        "days": base_raw(**{"scenario.duration": "3d", "scenario.warmup": 0, "agents.pool.count": 8}),
    }


@pytest.mark.parametrize("case", list(_expiry_cases()))
def test_patience_at_the_head_gives_the_contacts_of_patience_timers(case, monkeypatch):
    """Patience checked when a contact reaches the head of its queue (no timer) and patience
    timers give the same contacts, bit for bit (continuous patience: no ties)."""
    from ccsim.model.patience import Patience

    raw = _expiry_cases()[case]
    at_head = run(raw, replications=2).contacts
    monkeypatch.setattr(Patience, "expire_at_head", False)
    with_timers = run(raw, replications=2).contacts
    assert (at_head["outcome"] == "abandoned").sum() > 10
    pd.testing.assert_frame_equal(at_head, with_timers)


def test_a_run_without_measured_contacts_gives_empty_tables():
    raw = base_raw(**{"scenario.duration": "1min", "scenario.warmup": 0, "scenario.interval": "1min"})
    raw["demand"][0]["rate"] = "0.001/h"
    res = run(raw)
    assert len(res.contacts) == 0 and "callback_offered" in res.contacts.columns
    assert res.kpi("offered")[0] == 0


class _EveryQueue(list):
    """Masks of work that keep every queue of every group marked (set bits are ignored)."""

    def __setitem__(self, g, value):
        pass


EXAMPLES = sorted(p.name for p in (ROOT / "configs").glob("*.toml"))


@pytest.mark.parametrize("config", EXAMPLES)
def test_queues_marked_with_work_give_the_contacts_of_scanning_every_queue(config, monkeypatch):
    """A freed agent looks only at the queues marked as having work for its group (and at a
    group's only queue directly); looking at every queue of every group each time gives the
    same contacts, bit for bit, in every example config (each of its policies puts contacts
    into queues its own way: promises, urgent lanes, sites, channel choice, callbacks, ...)."""
    scenario = ccsim.load(ROOT / "configs" / config)
    if scenario.scenario.duration > 12 * 3600 and scenario.raw["scenario"].get("interval") is None:
        scenario = scenario.with_overrides({"scenario.duration": "12h"})  # as test_configs
    marked = ccsim.simulate(scenario, replications=2, seed=3, workers=1)

    def every_queue(queues_of, unmarked):
        work = _EveryQueue((1 << len(entries)) - 1 for entries in queues_of)
        for entries in queues_of:
            for q, _delay in entries:
                q.marks, q.work = [], work
        return work

    monkeypatch.setattr(routing, "mark_work", every_queue)
    scanned = ccsim.simulate(scenario, replications=2, seed=3, workers=1)
    assert len(marked.contacts) > 100
    pd.testing.assert_frame_equal(marked.contacts, scanned.contacts)
    pd.testing.assert_frame_equal(marked.agents, scanned.agents)
