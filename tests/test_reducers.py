"""The reducers of a replication's statistics (``ccsim/reducers.py``), each on a batch of
contacts written by hand: which contacts are measured, busy time across interval ends and by
concurrency, the backlog at interval ends, the wait sample and the contacts table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import base_raw

import ccsim
from ccsim.metrics import COUNTS, SLRule, interval_edges
from ccsim.model.plan import Plan
from ccsim.model.store import ABANDONED, COLUMNS, DTYPES, NOBODY, POOL, RESULT_COLUMNS, SERVED
from ccsim.reducers import Accumulator, Backlog, BusyTime, Measured

DEFAULTS: dict[str, Any] = {
    "agent": -1,
    "agent_group": -1,
    "attempt": 1,
    "customer": 0,
    "parent": -1,
    "promised": np.nan,
    "predicted": np.nan,
    "served_by": NOBODY,
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    raw = base_raw()
    raw["channels"]["chat"] = {"kind": "chat", "concurrency": 2}
    raw["agents"]["pool"]["channels"] = ["phone", "chat"]
    return ccsim.from_dict(raw).plan


def batch(**columns: list[Any]) -> dict[str, np.ndarray]:
    """Finished contacts as the engine gives them; columns not given take a neutral value."""
    n = len(columns["arrival"])
    out = {}
    for name in (*RESULT_COLUMNS, "agent_group"):
        dtype = np.int32 if name == "agent_group" else DTYPES[COLUMNS[name]]
        value = columns.get(name, [DEFAULTS.get(name, 0)] * n)
        out[name] = np.asarray(value, dtype=dtype)
    out["cid"] = np.arange(n, dtype=np.int64)
    return out


def test_only_contacts_arriving_in_the_measured_time_are_counted(plan: Plan) -> None:
    clock = plan.clock
    b = batch(
        arrival=[clock.warmup - 1.0, clock.warmup + 5.0, clock.end + 1.0],
        outcome=[SERVED, ABANDONED, SERVED],
        wait=[0.0, 30.0, 0.0],
    )
    acc = Accumulator(plan, SLRule(plan.channels), 0, keep_contacts=True)
    acc.add(b)
    totals = dict(zip(COUNTS, acc.counts.matrix.sum(axis=1), strict=True))
    assert (totals["offered"], totals["served"], totals["abandoned"]) == (1, 0, 1)
    assert totals["wait_all_s"] == 30.0
    assert len(acc.waits.values()[0]) == 0  # an abandoned contact has no answered wait
    assert acc.contacts is not None
    assert list(acc.contacts.columns()["arrival_s"]) == [5.0]


def test_nothing_measured_leaves_the_counts_alone(plan: Plan) -> None:
    b = batch(arrival=[1.0], outcome=[SERVED], wait=[0.0])
    assert Measured.of(b, plan.clock, SLRule(plan.channels)) is None


def test_busy_time_is_split_at_interval_ends_and_a_chat_weighs_one_over_concurrency(plan: Plan) -> None:
    clock = plan.clock
    start = clock.warmup + clock.interval - 60.0
    b = batch(
        arrival=[start - 10.0, start - 10.0],
        wait=[10.0, 10.0],
        talk=[100.0, 100.0],
        wrap=[20.0, 20.0],
        channel=[plan.channel_index("phone"), plan.channel_index("chat")],
        agent_group=[0, 0],
        outcome=[SERVED, SERVED],
    )
    busy = BusyTime(plan, interval_edges(clock))
    busy.add(b)
    assert busy.values[0, 0] == pytest.approx(60.0 * 1.5)
    assert busy.values[0, 1] == pytest.approx(60.0 * 1.5)
    assert busy.values.sum() == pytest.approx(120.0 * 1.5)


def test_the_backlog_counts_a_contact_at_each_interval_end_it_waits_past(plan: Plan) -> None:
    clock = plan.clock
    dims = (clock.n_intervals, len(plan.channels), len(plan.type_names), len(plan.segment_names))
    backlog = Backlog(dims, interval_edges(clock))
    backlog.add(
        batch(
            arrival=[clock.warmup + 10.0, clock.warmup + 20.0],
            wait=[2 * clock.interval, 5.0],  # the second leaves before the first interval ends
            outcome=[SERVED, SERVED],
        )
    )
    per_interval = backlog.values.reshape(clock.n_intervals, -1).sum(axis=1)
    assert list(per_interval[:3]) == [1, 1, 0]


def test_the_wait_sample_keeps_answered_contacts_with_their_codes(plan: Plan) -> None:
    clock = plan.clock
    chat = plan.channel_index("chat")
    b = batch(
        arrival=[clock.warmup + 1.0, clock.warmup + 2.0],
        wait=[12.5, 40.0],
        outcome=[SERVED, ABANDONED],
        channel=[chat, chat],
        agent=[3, -1],
        agent_group=[0, -1],
        served_by=[POOL, NOBODY],
    )
    acc = Accumulator(plan, SLRule(plan.channels), 0, keep_contacts=False)
    acc.add(b)
    wait, channel, _, _ = acc.waits.values()
    assert list(wait) == [12.5] and list(channel) == [chat]
    assert acc.contacts is None
