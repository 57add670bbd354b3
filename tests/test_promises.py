"""Promises that order the work, chasers, the early-answer term of the CSAT and blending rules
(configs/promises.toml): each policy's effect in direction and size, paired over replications
with a 95% interval, and what must hold whatever the numbers (conservation, common random
numbers, bad input)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim.confidence import t_half_width
from ccsim.config.errors import ConfigError
from ccsim.economics.experience import contact_experience
from ccsim.model.store import OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "promises.toml"


def example(**changes: Any) -> dict[str, Any]:
    """The example config as a dict; ``changes`` by dotted path (None removes the key)."""
    raw = tomllib.loads(EXAMPLE.read_text())
    raw.pop("frontier", None)
    for path, value in changes.items():
        *parents, key = path.split(".")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    return raw


def run(raw: dict[str, Any], replications: int = 4, seed: int = 15, **kw: Any) -> ccsim.Results:
    return ccsim.simulate(ccsim.from_dict(raw, ROOT / "configs"), replications=replications, seed=seed, **kw)


def per_rep(res: ccsim.Results, group: str, kpi: str) -> np.ndarray:
    r = res.per_replication
    return r[r["group"] == group].sort_values("replication")[kpi].to_numpy(dtype=float)


def paired(a: ccsim.Results, b: ccsim.Results, group: str, kpi: str) -> tuple[float, float]:
    """Mean and 95% half-width of (b - a), replication by replication."""
    d = per_rep(b, group, kpi) - per_rep(a, group, kpi)
    return float(d.mean()), float(t_half_width(d))


def csat(res: ccsim.Results, channel: str) -> np.ndarray:
    """The CSAT of a channel per replication."""
    iv = (
        res.intervals[res.intervals["channel"] == channel].groupby("replication")[["csat_sum", "rated"]].sum()
    )
    return (iv["csat_sum"] / iv["rated"]).to_numpy()


def conserved(res: ccsim.Results) -> None:
    """Every contact ends in exactly one outcome: offered = the sum of the outcome counts."""
    iv = res.intervals
    outcomes = list(OUTCOMES)
    assert (iv[outcomes].sum(axis=1) == iv["offered"]).all()
    c = res.contacts
    assert c is not None and c["outcome"].notna().all()
    assert len(c) == int(iv["offered"].sum())


# ---------------------------------------------------------------------- 1: work ordered by promise

NO_OVERTAKING = {"channels.email.acknowledgement.urgent_before": None, "routing.blending": None}


def test_promise_order_keeps_more_promises_than_arrival_order() -> None:
    """Mixed promises (4 h for VIPs, 24 h for the rest), same staffing: earliest promise first
    keeps more promises than oldest first, because VIP e-mails no longer wait behind the
    night's standard ones."""
    arrival = run(example(**NO_OVERTAKING, **{"routing.deferred_order": "arrival"}), replications=6)
    promise = run(example(**NO_OVERTAKING, **{"routing.deferred_order": "promise"}), replications=6)
    mean, ci = paired(arrival, promise, "email", "promise_kept_rate")
    assert mean - ci > 0.02, (mean, ci)  # measured: +3.8 +- 0.9 points on the e-mail channel
    vip, vip_ci = paired(arrival, promise, "vip", "promise_kept_rate")
    assert vip - vip_ci > 0.1, (vip, vip_ci)  # VIPs: +18 +- 4 points
    # the same work is done in both: the promise order moves waits, not the amount of service
    assert abs(paired(arrival, promise, "email", "served")[0]) < 25  # of about 900 a replication
    conserved(promise)


def test_urgent_before_overtakes_real_time_work() -> None:
    """Oldest-first e-mail with urgent_before: an e-mail an hour from its promise goes before
    the phone, so VIP promises are kept; the few e-mails that overtake cost the phone little."""
    base = {"routing.deferred_order": "arrival", "routing.blending": None}
    plain = run(example(**base, **{"channels.email.acknowledgement.urgent_before": None}), replications=3)
    urgent = run(example(**base), replications=3)
    vip, _ = paired(plain, urgent, "vip", "promise_kept_rate")
    assert vip > 0.1, vip
    sl, _ = paired(plain, urgent, "phone", "service_level")
    assert abs(sl) < 0.03, sl


def test_lateness_counts_agree_with_the_contacts() -> None:
    res = run(example(**NO_OVERTAKING, **{"routing.deferred_order": "arrival"}), replications=2)
    c = res.contacts
    promised = c[c["promised_s"].notna()]
    late = promised[(promised["outcome"] == "served") & (promised["wait_s"] > promised["promised_s"] + 1e-9)]
    by = late["wait_s"] - late["promised_s"]
    iv = res.intervals
    assert int(iv["late_answered"].sum()) == len(late) > 0
    assert np.isclose(iv["lateness_s"].sum(), by.sum())
    for hours in (1, 4, 24):
        assert int(iv[f"late_over_{hours}h"].sum()) == int((by > hours * 3600).sum())
    assert iv["promise_kept"].sum() + iv["late_answered"].sum() <= iv["promised"].sum()
    s = res.summary.set_index("group")
    assert np.isclose(s.loc["email", "mean_lateness_s"], by.mean(), rtol=0.2)  # mean of means


# ---------------------------------------------------------------------- 2: chasers

# e-mail answered when no call waits, nothing overtakes the phone: e-mails that came in at
# night wait for hours in the morning, and their customers chase while the phone is open
CHASING = {"routing.blending": None, "channels.email.acknowledgement.urgent_before": None}


def test_removing_the_acknowledgement_raises_phone_load() -> None:
    """Without a receipt, customers chase sooner and more often: the phone is offered more
    calls and, at the same staffing, its service level falls."""
    receipt = run(example(**CHASING, **{"routing.deferred_order": "arrival"}), replications=6)
    raw = example(**CHASING)
    ack = raw["channels"]["email"]["acknowledgement"]
    for key in ("segments", "urgent_before"):
        ack.pop(key, None)
    ack["promise"] = "none"
    raw["routing"]["deferred_order"] = "arrival"
    none = run(raw, replications=6)
    chases, chases_ci = paired(receipt, none, "phone", "chases")
    assert chases - chases_ci > 80, (chases, chases_ci)  # measured: about +150 a replication
    load, load_ci = paired(receipt, none, "phone", "offered")
    assert load - load_ci > 80, (load, load_ci)
    sl, sl_ci = paired(receipt, none, "phone", "service_level")
    assert sl + sl_ci < 0, (sl, sl_ci)
    conserved(none)


def test_a_chase_answered_first_closes_the_contact_it_chases() -> None:
    res = run(example(**CHASING), replications=2)
    c = res.contacts
    conserved(res)
    chases = all_chases = c[c["origin"] == "chase"]
    assert len(chases) > 0
    assert (chases["attempt"] >= 2).all()
    key = ["replication", "contact_id"]
    parents = c.set_index(key)
    pairs = list(zip(chases["replication"], chases["parent_id"], strict=True))
    chases = chases[[p in parents.index for p in pairs]]  # parents of the warm-up are not in the table
    parent = parents.loc[list(zip(chases["replication"], chases["parent_id"], strict=True))]
    assert (parent["channel"] == "email").all()
    assert (parent["customer_id"].to_numpy() == chases["customer_id"].to_numpy()).all()
    chased = c[c["outcome"] == "chased"]
    assert len(chased) > 0
    # each chased e-mail ended the moment a chase of it was answered
    answered = all_chases[all_chases["outcome"] == "served"]
    ends = answered.assign(t=answered["arrival_s"] + answered["wait_s"]).set_index(
        ["replication", "parent_id"]
    )["t"]
    for (r, cid), row in chased.set_index(key).iterrows():
        assert np.isclose(row["arrival_s"] + row["wait_s"], ends.loc[(r, cid)]).any()
    # the chase's own handle time (4 min mean), not the e-mail's (8 min)
    assert answered["handle_s"].mean() < 6 * 60
    iv = res.intervals
    assert int(iv["chases"].sum()) == len(all_chases)
    work = (answered["handle_s"] + answered["wrap_s"]).sum()
    assert np.isclose(iv["chase_work_s"].sum(), work)


def test_policies_leave_the_customers_unchanged() -> None:
    """Common random numbers: scenarios that differ only by these policies see the same
    arrivals with the same handle times, and a customer who chases in both chases on the
    same channel with the same handle time."""
    a = run(example(**CHASING), replications=1)
    b = run(example(**CHASING, **{"routing.deferred_order": "arrival"}), replications=1)
    firsts = [r.contacts[r.contacts["origin"] == "arrival"].set_index("arrival_s") for r in (a, b)]
    assert firsts[0].index.equals(firsts[1].index)
    for col in ("channel", "segment", "promised_s"):
        assert firsts[0][col].equals(firsts[1][col])
    chase = [_chases_by_parent_arrival(r.contacts) for r in (a, b)]
    both = chase[0].index.intersection(chase[1].index)
    assert len(both) > 5
    assert (chase[0].loc[both, "channel"] == chase[1].loc[both, "channel"]).all()
    served = both[(chase[0].loc[both, "outcome"] == "served") & (chase[1].loc[both, "outcome"] == "served")]
    assert len(served) > 0
    assert np.allclose(chase[0].loc[served, "handle_s"], chase[1].loc[served, "handle_s"])


def _chases_by_parent_arrival(c: pd.DataFrame) -> pd.DataFrame:
    """The chases of a run, indexed by the arrival time of the contact they chase (contact ids
    differ between runs: created contacts take the next id as they are created)."""
    arrival = c.set_index("contact_id")["arrival_s"]
    chases = c[c["origin"] == "chase"]
    chases = chases.set_index(chases["parent_id"].map(arrival).rename("parent_arrival_s"))
    return chases[chases.index.notna()]  # parents of the warm-up are not in the table


# ---------------------------------------------------------------------- 3: beating the promise pleases


def test_an_answer_before_the_promise_raises_the_csat() -> None:
    with_bonus = run(example(), replications=2)
    raw = example()
    raw["experience"]["csat"].pop("early_answer")
    without = run(raw, replications=2)
    # money never changes the simulation: the same contacts, only the CSAT moves
    assert with_bonus.contacts["wait_s"].equals(without.contacts["wait_s"])
    gain = csat(with_bonus, "email") - csat(without, "email")
    assert (gain > 0.05).all(), gain  # every replication
    assert np.allclose(csat(with_bonus, "phone"), csat(without, "phone"))  # no promises on the phone
    e = contact_experience(with_bonus)
    kept = e[(e["promise_kept"] == True) & (e["channel"] == "email")]  # noqa: E712
    early = (kept["promised_s"] - kept["wait_s"]).to_numpy()
    plain = contact_experience(without).loc[kept.index, "csat"].to_numpy()
    bonus = np.interp(early, [0, 4 * 3600, 12 * 3600], [0, 0.1, 0.2])
    assert np.allclose(kept["csat"].to_numpy(), np.clip(plain + bonus, 1, 5))


# ---------------------------------------------------------------------- 5: blending rules


# the blending rules alone: without overtaking, and without chases (which a rule that serves
# e-mail sooner also spares the phone)
BLEND = {"channels.email.acknowledgement.urgent_before": None, "channels.email.acknowledgement.chase": None}


def test_a_reserve_trades_email_backlog_for_phone_service() -> None:
    base = BLEND
    first = run(example(**base, **{"routing.blending": {"rule": "realtime_first"}}), replications=6)
    reserve = run(example(**base, **{"routing.blending": {"rule": "reserve", "reserve": 2}}), replications=6)
    sl, sl_ci = paired(first, reserve, "phone", "service_level")
    assert sl - sl_ci > 0.02, (sl, sl_ci)  # the phone gains
    wait, wait_ci = paired(first, reserve, "email", "asa_s")
    assert wait - wait_ci > 0, (wait, wait_ci)  # e-mail waits longer
    backlog = [r.intervals.query("channel == 'email'")["waiting_at_end"].mean() for r in (first, reserve)]
    assert backlog[1] > backlog[0]
    conserved(reserve)


def test_a_threshold_takes_email_while_few_calls_wait() -> None:
    base = BLEND
    first = run(example(**base, **{"routing.blending": {"rule": "realtime_first"}}), replications=3)
    threshold = run(
        example(**base, **{"routing.blending": {"rule": "threshold", "queue_below": 3}}), replications=3
    )
    assert paired(first, threshold, "email", "asa_s")[0] < 0  # e-mail answered sooner
    # the phone pays: callers wait while agents answer e-mail, and more of them hang up
    assert paired(first, threshold, "phone", "abandon_rate")[0] > 0.05
    zero = run(
        example(**base, **{"routing.blending": {"rule": "threshold", "queue_below": 0}}), replications=3
    )
    assert zero.intervals["served"].equals(first.intervals["served"])  # 0 is real-time first


def test_blending_rules_are_service_choices_of_the_frontier() -> None:
    scenario = ccsim.load(EXAMPLE)
    choices = scenario.config.frontier.choices
    assert {"realtime_first", "threshold"} <= set(choices)
    rules = {name: scenario.with_overrides(o).config.routing.blending.rule for name, o in choices.items()}
    assert rules == {"realtime_first": "realtime_first", "threshold": "threshold"}
    raw = tomllib.loads(EXAMPLE.read_text())
    raw["frontier"]["choices"]["bad"] = {"routing.blending": {"rule": "reserve"}}
    with pytest.raises(ConfigError) as err:
        ccsim.from_dict(raw, ROOT / "configs")
    assert "frontier.choices.bad" in str(err.value) and "reserve" in str(err.value)


# ---------------------------------------------------------------------- off by default, bad input


def test_realtime_first_blending_is_the_default_order() -> None:
    raw = example(**{"routing.blending": None})
    a = run(raw, replications=1)
    b = run(example(**{"routing.blending": {"rule": "realtime_first"}}), replications=1)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("routing.deferred_order", "promised", ["routing.deferred_order", "promised"]),
        ("routing.blending", {"rule": "reserve"}, ["routing.blending", "reserve"]),
        (
            "routing.blending",
            {"rule": "threshold", "reserve": 2},
            ["routing.blending", "'reserve' goes with rule = 'reserve'"],
        ),
        ("channels.email.acknowledgement.segments", {"vpi": "4h"}, ["vpi", "did you mean 'vip'"]),
        ("channels.email.acknowledgement.segments", {"vip": 4}, ["segments.vip", "unit"]),
        ("channels.email.acknowledgement.urgent_before", "-1h", ["urgent_before"]),
        ("channels.email.acknowledgement.chase", {"missed": 0.5}, ["chase", "after_promise"]),
        ("channels.email.acknowledgement.chase.channels", {"phnoe": 1.0}, ["phnoe", "did you mean 'phone'"]),
        ("channels.email.acknowledgement.chase.missed", 1.5, ["chase.missed", "1.5"]),
        ("experience.csat.early_answer", {"at": ["4h", "0s"], "value": [0, 1]}, ["early_answer", "increase"]),
    ],
)
def test_bad_input_names_the_path(path: str, value: Any, words: list[str]) -> None:
    raw = tomllib.loads(EXAMPLE.read_text())
    *parents, key = path.split(".")
    node = raw
    for p in parents:
        node = node.setdefault(p, {})
    node[key] = copy.deepcopy(value)
    with pytest.raises(ConfigError) as err:
        ccsim.from_dict(raw, ROOT / "configs")
    text = str(err.value)
    for w in words:
        assert w in text, text


def test_promise_rules_need_their_policy() -> None:
    raw = example(**{"channels.email.acknowledgement": None})
    with pytest.raises(ConfigError, match="deferred_order"):
        ccsim.from_dict(raw, ROOT / "configs")
    raw = example()
    raw["channels"]["email"]["acknowledgement"] = {"promise": "none"}
    with pytest.raises(ConfigError, match="chase"):
        ccsim.from_dict(raw, ROOT / "configs")
    raw = example(**{"routing.deferred_order": "arrival"})
    raw["agents"]["team"]["channels"] = ["phone"]
    raw["agents"]["mail"] = {"skills": ["claims"], "channels": ["email"], "count": 3}
    with pytest.raises(ConfigError, match=r"blending\.rule"):
        ccsim.from_dict(raw, ROOT / "configs")
