"""Customers who choose their channel ([choice]) and communicating the scope
([scope_communication]): the effect's direction and size, common random numbers, the money and
the frontier, the config errors, and the contacts the choice moved (counts, intervals, the
contacts table's stream channel, the report card)."""

from __future__ import annotations

import copy
import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app
from ccsim.confidence import t_half_width
from ccsim.config.errors import ConfigError
from ccsim.model.centre import Centre
from ccsim.model.choice import ChannelChoice
from ccsim.model.queues import LANE_NORMAL
from ccsim.model.scheduler import Scheduler
from ccsim.optimize import frontier
from ccsim.report import render_folder

TWO: dict[str, Any] = {
    "scenario": {"name": "two channels", "start": "08:00", "duration": "4h", "warmup": "15min",
                 "interval": "1h", "replications": 2, "seed": 5},
    "channels": {
        "phone": {"kind": "voice", "service_level": {"within": "30s", "target": 0.8}},
        "chat": {"kind": "chat", "service_level": {"within": "60s", "target": 0.8}},
    },
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "5min"}}},
    "contact_types": {"g": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "g", "segment": "s", "rate": "60/h"},
               {"channel": "chat", "contact_type": "g", "segment": "s", "rate": "60/h"}],
    "agents": {"voice": {"count": 7, "skills": ["g"], "channels": ["phone"]},
               "digital": {"count": 7, "skills": ["g"], "channels": ["chat"]}},
    "choice": {"channels": ["phone", "chat"], "share": 1.0, "wait_scale": "4min",
               "preference": {"phone": 0.3}},
}  # fmt: skip


def scenario(raw: dict[str, Any], **overrides: Any) -> ccsim.Scenario:
    return (
        ccsim.from_dict(copy.deepcopy(raw)).with_overrides(overrides) if overrides else ccsim.from_dict(raw)
    )


def test_the_choice_follows_the_logit_of_the_expected_waits() -> None:
    """With the chat queue holding n contacts and no agent free, each phone arrival moves to
    the chat with the logit's probability given the two expected waits."""
    plan = scenario(TWO).plan
    centre = Centre(Scheduler(), plan, 3, 0, lambda batch: None)
    choice = centre.choice
    assert isinstance(choice, ChannelChoice)
    ct, queues = centre.contacts, centre.queues
    phone, chat = plan.channel_index("phone"), plan.channel_index("chat")
    arrivals = [i for i in range(ct.block_end) if ct.channel[i] == phone]
    chat_q = queues.qlist[queues.qindex[(chat, 0, 0, LANE_NORMAL)]]
    mean = 240.0
    for n in (0, 6):
        chat_q.waiting = n
        w_phone, w_chat = choice.expected_wait(phone, 0, 0, 3600.0), choice.expected_wait(chat, 0, 0, 3600.0)
        assert (w_phone, w_chat) == pytest.approx((mean, (n + 1) * mean))  # nobody on duty yet: 1 agent
        v_phone, v_chat = 0.3 - w_phone / 240.0, 0.0 - w_chat / 240.0
        p_chat = math.exp(v_chat) / (math.exp(v_phone) + math.exp(v_chat))
        moved = 0
        for i in arrivals:
            ct.channel[i], ct.qid[i] = phone, queues.qindex[(phone, 0, 0, LANE_NORMAL)]
            choice.choose(i, 3600.0)
            moved += ct.channel[i] == chat
        k = len(arrivals)
        assert abs(moved / k - p_chat) < 4 * math.sqrt(p_chat * (1 - p_chat) / k), (n, moved / k, p_chat)


def test_a_slower_chat_moves_demand_to_the_phone() -> None:
    """Fewer chat agents: longer chat waits, so more customers choose the phone; the same
    customers arrive in both runs (common random numbers)."""
    fast = ccsim.simulate(scenario(TWO), replications=8, seed=2)
    slow = ccsim.simulate(scenario(TWO, **{"agents.digital.count": 4}), replications=8, seed=2)
    share = {}
    for name, res in (("fast", fast), ("slow", slow)):
        per = res.per_replication
        per = per[per["group_by"] == "channel"].pivot(index="replication", columns="group", values="offered")
        share[name] = (per["phone"] / (per["phone"] + per["chat"])).to_numpy()
    diff = share["slow"] - share["fast"]
    # the phone's share rises in every replication, and significantly on the paired difference
    # (the amount per contact against the logit is the test above)
    assert (diff > 0).all() and diff.mean() - t_half_width(diff) > 0, diff
    # the same customers: arrival times and types of the first arrivals are the same
    a, b = (r.contacts[r.contacts["origin"] == "arrival"] for r in (fast, slow))
    assert np.array_equal(a["arrival_s"].to_numpy(), b["arrival_s"].to_numpy())


def test_closing_the_phone_moves_evening_demand_to_chat_and_email() -> None:
    raw = ccsim.load(ROOT / "configs" / "channel_choice.toml").raw
    late = scenario(raw)  # the phone closes at 18:00
    open_ = scenario(raw, **{"channels.phone.hours": "08:00-20:00"})
    res = {k: ccsim.simulate(s, replications=8, seed=3) for k, s in (("late", late), ("open", open_))}
    evening = {}
    for k, r in res.items():
        iv = r.intervals
        ev = iv[iv["start_s"] >= 10 * 3600]  # 18:00-20:00
        evening[k] = ev.groupby(["replication", "channel"], observed=True)["offered"].sum().unstack()
    for ch in ("chat", "email"):
        diff = (evening["late"][ch] - evening["open"][ch]).to_numpy()
        assert diff.mean() - t_half_width(diff) > 0, (ch, diff)
    # in the evening only those who do not choose still call, and find the phone closed
    c = res["late"].contacts
    eve_phone = c[(c["arrival_s"] >= 10.5 * 3600) & (c["channel"] == "phone")]
    assert (eve_phone["outcome"] == "closed").all()


def test_nobody_choosing_changes_nothing() -> None:
    """share = 0: the same contacts, outcomes and waits as without [choice]."""
    raw = copy.deepcopy(TWO)
    raw["choice"]["share"] = 0.0
    with_table = ccsim.simulate(scenario(raw), replications=2, seed=4).contacts
    del raw["choice"]
    without = ccsim.simulate(scenario(raw), replications=2, seed=4).contacts
    cols = ["arrival_s", "channel", "outcome", "wait_s", "handle_s"]
    cols = [c for c in cols if c in without.columns]
    assert with_table[cols].equals(without[cols])


def test_scope_communication_thins_out_of_scope_demand_by_its_share() -> None:
    raw = ccsim.load(ROOT / "configs" / "channel_choice.toml").raw
    del raw["choice"]
    runs = {  # without the lever: nothing deterred, nothing paid
        r: ccsim.simulate(
            scenario(
                raw,
                **{"scope_communication.reduction": r, "scope_communication.cost_per_month": 1500 * r / 0.3},
            ),
            replications=8,
            seed=9,
        )
        for r in (0.0, 0.3)
    }
    offered = {
        r: res.per_replication.query("group_by == 'contact_type'").pivot(
            index="replication", columns="group", values="offered"
        )
        for r, res in runs.items()
    }
    ratio = (offered[0.3]["card_status"] / offered[0.0]["card_status"]).to_numpy()
    assert abs(ratio.mean() - 0.7) < max(t_half_width(ratio), 0.02) + 0.01, ratio
    # the in-scope customers are the same customers: same arrival times
    first = {
        r: res.contacts.query("contact_type == 'account'")["arrival_s"].to_numpy() for r, res in runs.items()
    }
    assert np.array_equal(first[0.0], first[0.3])
    # it costs its price per month for the measured 12 h, in the money tables
    cost = runs[0.3].money.kpi("scope_communication")[0]
    assert cost == pytest.approx(1500 / (365.25 / 12) * 0.5)
    service = {r: res.money.kpi("service_cost")[0] for r, res in runs.items()}
    assert service[0.3] - service[0.0] == pytest.approx(cost)


@pytest.mark.slow
def test_the_frontier_compares_the_scope_communication_as_a_service_choice() -> None:
    sc = ccsim.load(ROOT / "configs" / "channel_choice.toml")
    result = frontier(sc, replications=4, eval_replications=4, max_eval_replications=4, refine=0,
                      targets=[0.8])  # fmt: skip
    assert set(result.points["choice"]) == {"as_configured", "no_scope_communication"}
    pts = result.points.set_index("choice")
    assert pts.loc["as_configured", "scope_communication"] > 0
    assert pts.loc["no_scope_communication", "scope_communication"] == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"choice.channels": ["phone", "fax"]}, "choice.channels[1]: unknown channel 'fax'"),
        ({"choice.preference": {"e-mail": 1.0}}, "choice.preference: unknown channel 'e-mail'"),
        ({"choice.segments": {"vip": {"phone": 1.0}}}, "choice.segments: unknown segment 'vip'"),
        ({"choice.wait_scale": 5}, "choice.wait_scale"),
        ({"choice.share": 1.5}, "choice.share"),
        ({"scope_communication": {"reduction": 0.2}}, "scope_communication.reduction: 0.2 acts on"),
        (
            {"scope_communication": {"reduction": 0.2, "cost_per_day": 1, "cost_per_month": 30}},
            "not both",
        ),
    ],
)
def test_config_errors_name_the_path(overrides: dict[str, Any], message: str) -> None:
    raw = copy.deepcopy(TWO)
    for path, value in overrides.items():
        head, _, key = path.rpartition(".")
        node = raw
        for part in head.split(".") if head else []:
            node = node.setdefault(part, {})
        node[key] = value
    with pytest.raises(ConfigError) as err:
        ccsim.from_dict(raw)
    assert message in str(err.value), str(err.value)


# ---------------------------------------------------------------------- the contacts moved


def _pairs(res: ccsim.Results) -> pd.DataFrame:
    """The moved counts per replication and (from, to) pair, from the replications table."""
    per = res.per_replication
    return per[per["group_by"] == "move"].pivot(index="replication", columns="group", values="moved")


def test_the_moved_counts_are_the_contacts_whose_channel_is_not_their_streams() -> None:
    """On the example config: per replication and pair, the moves counted equal the contacts
    of the table that came from a stream on one channel and took another; the pairs add up to
    the 'all' row; and each contact created during the run has no stream channel."""
    res = ccsim.simulate(ccsim.load(ROOT / "configs" / "channel_choice.toml"), replications=3, seed=7)
    c = res.contacts
    assert c is not None
    first = c["origin"] == "arrival"
    assert c.loc[first, "stream_channel"].notna().all() and c.loc[~first, "stream_channel"].isna().all()
    moved = c[c["stream_channel"].notna() & (c["channel"] != c["stream_channel"])]
    from_table = (
        moved.assign(group=moved["stream_channel"].astype(str) + "->" + moved["channel"].astype(str))
        .groupby(["replication", "group"])
        .size()
        .unstack(fill_value=0)
    )
    counted = _pairs(res)
    pairs = ["phone->chat", "phone->email", "chat->phone", "chat->email", "email->phone", "email->chat"]
    assert list(res.summary.loc[res.summary["group_by"] == "move", "group"]) == pairs  # every pair, in order
    assert sorted(counted.columns) == sorted(pairs)
    assert (counted.reindex_like(from_table) == from_table).all().all()
    assert counted.drop(columns=from_table.columns).eq(0).all().all()  # pairs nobody took: 0
    assert counted.to_numpy().sum() > 0.1 * first.sum()  # half the arrivals choose: many move
    overall = res.per_replication.query("group_by == 'all'").set_index("replication")["moved"]
    assert (overall == counted.sum(axis=1)).all()
    # the summary: mean per replication with a positive half-width
    s = res.summary.set_index(["group_by", "group"])
    mean, ci = res.kpi("moved")
    assert mean == pytest.approx(counted.sum(axis=1).mean()) and ci > 0
    row = s.loc[("move", "phone->chat")]
    assert row["moved"] == pytest.approx(counted["phone->chat"].mean())
    assert (
        row["moved_ci95"] == pytest.approx(t_half_width(counted["phone->chat"].to_numpy()))
        and row["moved_ci95"] > 0
    )


def test_nobody_moves_when_nobody_chooses() -> None:
    """share = 0: every pair's count is 0 in every replication, and every first arrival stays
    on its stream's channel."""
    raw = ccsim.load(ROOT / "configs" / "channel_choice.toml").raw
    res = ccsim.simulate(scenario(raw, **{"choice.share": 0.0}), replications=2, seed=7)
    assert (_pairs(res).to_numpy() == 0).all() and res.kpi("moved") == (0.0, 0.0)
    c = res.contacts
    assert c is not None
    first = c[c["origin"] == "arrival"]
    assert (first["channel"] == first["stream_channel"]).all()


def test_moves_are_counted_only_with_a_choice() -> None:
    """Without [choice]: no 'moved' column, no move rows; the contacts still show their
    stream's channel, the one they came in on."""
    raw = copy.deepcopy(TWO)
    del raw["choice"]
    res = ccsim.simulate(scenario(raw), replications=2, seed=4)
    assert "moved" not in res.summary.columns and "move" not in set(res.summary["group_by"])
    c = res.contacts
    assert c is not None
    assert (c["channel"] == c["stream_channel"]).all()


def test_a_fallback_after_hours_is_not_a_move() -> None:
    """The phone closes after two hours and falls back to the chat: the fallback contacts are
    new contacts (origin 'fallback', no stream channel) and are not counted as moves; the
    moves counted are still exactly the first arrivals that took another channel."""
    raw = copy.deepcopy(TWO)
    raw["channels"]["phone"] |= {
        "hours": "08:00-10:00",
        "after_hours": "fallback",
        "fallback_channel": "chat",
    }
    raw["choice"]["share"] = 0.5
    res = ccsim.simulate(scenario(raw), replications=2, seed=4)
    c = res.contacts
    assert c is not None
    fallback = c[c["origin"] == "fallback"]
    assert len(fallback) > 20 and fallback["stream_channel"].isna().all()
    assert (fallback["channel"] == "chat").all()
    left = c[c["outcome"] == "fallback"]  # the phone calls that fell back stayed phone calls
    assert (left["channel"] == "phone").all() and (left["stream_channel"] == "phone").all()
    moved = c[c["stream_channel"].notna() & (c["channel"] != c["stream_channel"])]
    counted = _pairs(res)
    for pair, frame in moved.groupby([moved["stream_channel"].astype(str), moved["channel"].astype(str)]):
        assert (
            counted["->".join(pair)]
            == frame.groupby("replication").size().reindex(counted.index, fill_value=0)
        ).all()
    assert counted.to_numpy().sum() == len(moved) > 0


def test_the_report_card_shows_the_moves_with_their_intervals(tmp_path: Path) -> None:
    """The channel-choice card of the report (from the written folder) gives the moves in all
    and per pair, each as the summary's mean ± half-width, beside the offered by channel."""
    res = ccsim.simulate(ccsim.load(ROOT / "configs" / "channel_choice.toml"), replications=3, seed=7)
    text = html.unescape(render_folder(res.write(tmp_path / "run")).read_text(encoding="utf-8"))
    card = text[text.index("channel choice · contacts moved") :]
    card = card[: card.index("</dl>")]
    mean, ci = res.kpi("moved")
    assert f"{mean:,.1f}" in card and f"± {ci:.1f}" in card
    for pair in ("phone->chat", "chat->phone", "email->chat"):
        m, h = res.kpi("moved", "move", pair)
        assert f"moved {pair.replace('->', ' → ')}</dt><dd>{m:,.1f} ± {h:.1f}</dd>" in card
    assert "offered on chat" in card


def test_opening_the_chat_longer_moves_more_phone_customers_to_it() -> None:
    """The chat open until 20:00 instead of 16:00: more phone customers move to the chat and
    fewer to e-mail, on the paired difference of the same customers (ccsim.compare)."""
    sc = ccsim.load(ROOT / "configs" / "channel_choice.toml")
    short = ccsim.simulate(sc.with_overrides({"channels.chat.hours": "08:00-16:00"}), replications=6, seed=5)
    long = ccsim.simulate(sc, replications=6, seed=5)
    to_chat = ccsim.compare(short, long, "moved", "move", "phone->chat")
    to_email = ccsim.compare(short, long, "moved", "move", "phone->email")
    assert to_chat.mean - to_chat.ci95 > 0 and to_email.mean + to_email.ci95 < 0, (to_chat, to_email)


def test_the_run_command_prints_the_moves(tmp_path: Path) -> None:
    """`ccsim run` says how many contacts changed channel, with the largest moves, as the summary."""
    config = ROOT / "configs" / "channel_choice.toml"
    out = CliRunner().invoke(app, ["run", str(config), "-r", "3", "--seed", "7", "-o", str(tmp_path / "o")],
                             env={"COLUMNS": "200"})  # fmt: skip
    assert out.exit_code == 0, out.output
    res = ccsim.simulate(ccsim.load(config), replications=3, seed=7)
    mean, ci = res.kpi("moved")
    m, h = res.kpi("moved", "move", "phone->chat")
    expected = f"channel choice: {mean:,.0f}±{ci:,.0f} moved per replication (phone → chat {m:,.0f}±{h:,.0f}"
    assert expected in out.output
    quiet = CliRunner().invoke(app, ["run", str(ROOT / "configs" / "quickstart.toml"), "-r", "2",
                                     "-o", str(tmp_path / "q")])  # fmt: skip
    assert quiet.exit_code == 0 and "channel choice" not in quiet.output
