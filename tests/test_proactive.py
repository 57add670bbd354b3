"""Proactive contact: outbound campaigns in idle or reserved time, and the inbound contacts a
reached customer no longer makes."""

from __future__ import annotations

import copy
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import ccsim
from ccsim.confidence import t_half_width
from ccsim.config.errors import ConfigError
from ccsim.model.centre import Centre
from ccsim.model.proactive import Proactive

CAMPAIGN: dict[str, Any] = {
    "volume": "60/day", "groups": ["team"], "handle": {"dist": "gamma", "mean": "3min", "cv": 0.5},
    "window": "08:00-10:00", "mode": "reserved", "agents": 2, "reach": 0.5,
    "prevents": {"contact_type": "card", "share": 0.6, "horizon": "2h"},
}  # fmt: skip
BASE: dict[str, Any] = {
    "scenario": {"name": "proactive", "start": "08:00", "duration": "6h", "warmup": "0s",
                 "interval": "1h", "replications": 24, "seed": 11},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "30s", "target": 0.8}}},
    "segments": {"s": {"patience": {"dist": "exponential", "mean": "5min"}}},
    "contact_types": {"card": {"handle": {"dist": "exponential", "mean": "4min"}},
                      "other": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": {"card": 0.4, "other": 0.6}, "segment": "s",
                "rate": "100/h"}],
    "agents": {"team": {"count": 10, "skills": ["card", "other"], "channels": ["phone"]}},
}  # fmt: skip


def with_campaign(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    raw["proactive"] = {"cards": CAMPAIGN | changes}
    return raw


def overall(res: ccsim.Results) -> pd.DataFrame:
    r = res.per_replication
    return r[r["group_by"] == "all"].set_index("replication")


def offered(res: ccsim.Results, ctype: str) -> pd.Series:
    r = res.per_replication
    return r[(r["group_by"] == "contact_type") & (r["group"] == ctype)].set_index("replication")["offered"]


@pytest.fixture(scope="module")
def runs() -> tuple[ccsim.Results, ccsim.Results]:
    off = ccsim.simulate(ccsim.from_dict(copy.deepcopy(BASE)), replications=24)
    on = ccsim.simulate(ccsim.from_dict(with_campaign()), replications=24)
    return off, on


def test_the_campaign_prevents_the_configured_share_of_the_customers_it_reaches(runs: Any) -> None:
    off, on = runs
    k = overall(on)
    # the prevented contacts are exactly the inbound contacts of the type that no longer come
    assert (offered(off, "card") - offered(on, "card")).tolist() == k["inbound_prevented"].tolist()
    assert (offered(off, "other") == offered(on, "other")).all()  # other types untouched
    # and they are the configured share of the customers reached (horizons inside the run)
    gap = (k["inbound_prevented"] - 0.6 * k["outbound_reached"]).to_numpy()
    half = t_half_width(gap)
    assert abs(gap.mean()) < max(half, 1.0), (gap.mean(), half)
    assert k["inbound_prevented"].mean() > 10  # a real effect, not noise
    assert (k["outbound_done"] + k["outbound_not_done"] == 60).all()
    reach = (k["outbound_reached"] / k["outbound_done"]).to_numpy()
    assert abs(reach.mean() - 0.5) < 3 * t_half_width(reach) + 0.02


def test_the_campaign_costs_the_agent_time_it_takes(runs: Any) -> None:
    _, on = runs
    k = overall(on)
    per_contact = (k["outbound_hours"] * 3600 / k["outbound_done"]).to_numpy()
    assert abs(per_contact.mean() - 180) < 3 * t_half_width(per_contact) + 5  # 3min each
    agents = on.agents.groupby("replication")["outbound_s"].sum()
    assert np.allclose(agents.to_numpy() / 3600, k["outbound_hours"].to_numpy())
    net = k["outbound_hours"] - k["prevented_hours"]
    assert np.allclose(net, k["net_agent_hours"])
    # reserved from 08:00 to 10:00: the outbound work falls in the first two intervals
    by_iv = on.agents.groupby("interval")["outbound_s"].sum()
    assert by_iv.loc[2:].sum() == 0 and by_iv.loc[:1].sum() > 0


def test_the_customers_who_still_call_are_the_same_customers(runs: Any) -> None:
    off, on = runs
    a, b = off.contacts, on.contacts
    for rep in range(3):
        x, y = a[a["replication"] == rep], b[b["replication"] == rep]
        other_x = x[x["contact_type"] == "other"]["arrival_s"].to_numpy()
        other_y = y[y["contact_type"] == "other"]["arrival_s"].to_numpy()
        assert np.array_equal(other_x, other_y)
        card_x = set(x[x["contact_type"] == "card"]["arrival_s"].round(6))
        card_y = set(y[y["contact_type"] == "card"]["arrival_s"].round(6))
        assert card_y < card_x  # a subset: the prevented ones are missing, no new ones


def test_a_larger_share_prevents_a_superset() -> None:
    small = ccsim.simulate(ccsim.from_dict(with_campaign()), replications=2)
    raw = with_campaign()
    raw["proactive"]["cards"]["prevents"]["share"] = 0.9
    large = ccsim.simulate(ccsim.from_dict(raw), replications=2)
    s, g = small.contacts, large.contacts
    for rep in range(2):
        kept_small = set(s[(s["replication"] == rep) & (s["contact_type"] == "card")]["arrival_s"].round(6))
        kept_large = set(g[(g["replication"] == rep) & (g["contact_type"] == "card")]["arrival_s"].round(6))
        assert kept_large <= kept_small


def test_idle_time_work_waits_for_the_inbound_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle-time outbound work is the lowest priority: an agent starts an outbound contact only
    when no inbound contact waits, and a busier centre makes fewer of them."""
    waiting: list[int] = []
    take = Proactive.take_idle

    def spy(self: Proactive, a: int, g: int, now: float) -> bool:
        waiting.append(sum(q.waiting for q in cast(Centre, self.flow).qlist))
        return take(self, a, g, now)

    monkeypatch.setattr(Proactive, "take_idle", spy)
    idle = {"mode": "idle", "agents": None, "window": "08:00-14:00", "volume": "300/day"}
    calm = ccsim.simulate(ccsim.from_dict(with_campaign(**idle)), replications=3, workers=1)
    raw = with_campaign(**idle)
    raw["agents"]["team"]["count"] = 6  # 100/h x 4min = 6.7 erlangs: a queue most of the day
    busy = ccsim.simulate(ccsim.from_dict(raw), replications=3, workers=1)
    assert waiting and max(waiting) == 0
    assert overall(calm)["outbound_done"].mean() > 250
    assert overall(busy)["outbound_done"].mean() < 0.8 * overall(calm)["outbound_done"].mean()


def test_no_campaign_leaves_the_tables_as_they_were() -> None:
    plain = ccsim.simulate(ccsim.from_dict(copy.deepcopy(BASE)), replications=2)
    raw = copy.deepcopy(BASE)
    raw["proactive"] = {}
    empty = ccsim.simulate(ccsim.from_dict(raw), replications=2)
    pd.testing.assert_frame_equal(plain.summary, empty.summary)
    assert "outbound_s" not in plain.agents and "inbound_prevented" not in plain.summary


def test_the_example_config_and_its_frontier_choice_load() -> None:
    sc = ccsim.load(ROOT / "configs" / "proactive.toml")
    assert set(sc.config.frontier.choices) == {"no_campaigns"}
    assert not sc.with_overrides({"proactive": {}}).plan.policies.proactive


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"groups": ["tema"]},
            "proactive.cards.groups[0]: unknown agent group 'tema' (did you mean 'team'?)",
        ),
        ({"prevents": {"contact_type": "crad", "share": 0.5, "horizon": "1h"}}, "did you mean 'card'?"),
        ({"agents": None}, "mode = 'reserved' needs 'agents'"),
        ({"volume": 60}, "proactive.cards.volume"),
        ({"window": "10:00-08:00"}, "proactive.cards.window"),
        ({"reach": 1.5}, "proactive.cards.reach"),
        ({"volume": "0.1/day"}, "rounds to no contact"),
    ],
)
def test_config_errors_name_the_path(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        ccsim.from_dict(with_campaign(**changes))
    assert message in str(err.value), str(err.value)
