"""The scheduler: the one boundary to SimPy (ccsim/model/scheduler.py).

The first tests are the contract with SimPy's internals that the scheduler relies on: they fail
loudly if a SimPy release changes how events are stored. The others check that the scheduler's
loop keeps SimPy's semantics and that SimPy's own ``run()`` works on a centre's scheduler.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import simpy
from simpy.events import NORMAL, URGENT

from ccsim.model.centre import Centre
from ccsim.model.scheduler import Scheduler
from ccsim.scenario import load


def test_simpy_stores_events_as_the_scheduler_expects():
    """Contract: ``_queue`` is a heap list of (time, priority, id, event), ``_eid`` a counter,
    ``_now`` the clock; an event has ``callbacks``, ``_ok``, ``_value``; NORMAL > URGENT."""
    env = simpy.Environment()
    assert isinstance(env._queue, list) and env._queue == []
    assert isinstance(env._eid, itertools.count)
    assert env._now == 0 and env.now == 0
    ev = env.event()
    ev.succeed("x")
    entry = env._queue[0]
    assert len(entry) == 4 and entry[0] == 0 and entry[1] == NORMAL and entry[3] is ev
    assert isinstance(entry[2], int)
    assert ev._ok is True and ev._value == "x" and ev.callbacks == []
    assert URGENT < NORMAL
    bad = env.event()
    bad.fail(ValueError("v"))
    bad.defused = True
    assert hasattr(bad, "_defused")
    env.timeout(3)
    env.step()
    env.step()
    env.step()
    assert env._now == 3
    # the scheduler's clock is a plain attribute that SimPy's _now maps onto
    assert isinstance(simpy.Environment.__dict__["now"], property)
    assert int(simpy.__version__.split(".")[0]) == 4
    sched = Scheduler()
    sched._now = 7.5
    assert sched.now == 7.5 and sched.timeout(1)._delay == 1
    sched.run()
    assert sched.now == 8.5


def test_timers_and_events_share_one_order():
    """Timers and SimPy events at the same time run in the order they were scheduled."""
    sched = Scheduler()
    seen: list[str] = []
    sched.at(5.0, seen.append, "timer 1")
    ev = sched.timeout(5.0)
    ev.callbacks.append(lambda _e: seen.append("event"))
    sched.after(5.0, seen.append, "timer 2")
    sched.at(1.0, seen.append, "first")
    sched.run()
    assert seen == ["first", "timer 1", "event", "timer 2"] and sched.now == 5.0


class _Arrivals:
    def __init__(self, sched: Scheduler, times: list[float], seen: list[str]):
        self.sched, self.times, self.seen = sched, times, seen
        self.due = times[0] if times else math.inf

    def arrive(self) -> None:
        self.seen.append(f"arrival {self.sched.now:g}")
        self.times.pop(0)
        self.due = self.times[0] if self.times else math.inf


def test_arrivals_merge_after_timers_at_equal_times():
    sched = Scheduler()
    seen: list[str] = []
    sched.arrivals = _Arrivals(sched, [1.0, 2.0, 4.0], seen)
    sched.at(2.0, seen.append, "timer 2")
    done = sched.timeout(3.0)
    sched.run_until(done)
    assert seen == ["arrival 1", "timer 2", "arrival 2"] and sched.now == 3.0
    sched.run()  # SimPy's own loop takes the rest
    assert seen[-1] == "arrival 4" and sched.now == 4.0


def test_run_until_keeps_simpy_semantics():
    """Processes run as under env.run; a failed 'until' raises its own exception; an event
    that can never happen raises RuntimeError; another failed event raises a copy whose
    cause is the original, as SimPy's step does."""
    sched = Scheduler()
    seen = []

    def proc():
        yield sched.timeout(2)
        seen.append(sched.now)
        yield sched.timeout(3)
        seen.append(sched.now)

    done = sched.process(proc())
    sched.run_until(done)
    assert seen == [2, 5] and sched.now == 5
    with pytest.raises(RuntimeError, match="until"):
        sched.run_until(sched.event())
    failing = sched.event()
    boom = ValueError("boom")
    failing.fail(boom)
    with pytest.raises(ValueError, match="boom") as info:
        sched.run_until(failing)
    assert info.value is boom
    other = sched.event()
    other.fail(KeyError("k"))
    with pytest.raises(KeyError) as info2:
        sched.run_until(sched.timeout(1))
    assert info2.value.__cause__ is other._value
    quiet = sched.event()
    quiet.fail(KeyError("defused"))
    quiet.defused = True
    sched.run_until(sched.timeout(1))  # a defused failure does not stop the loop


def test_renumber_moves_contact_timers_and_cancels_those_of_contacts_gone():
    sched = Scheduler()
    seen: list[object] = []

    def of_contact(i: object) -> None:
        seen.append(("contact", i))

    def other(p: object) -> None:
        seen.append(("other", p))

    sched.at(1.0, of_contact, 7)
    sched.at(2.0, of_contact, (8, 3))
    sched.at(3.0, of_contact, 9)
    sched.at(4.0, other, 7)
    sched.renumber({of_contact}, {7: 0, 8: 1})
    sched.run()
    assert seen == [("contact", 0), ("contact", (1, 3)), ("other", 7)]


def _run(plan, own_loop: bool) -> pd.DataFrame:
    batches: list[dict[str, np.ndarray]] = []
    sched = Scheduler()
    centre = Centre(sched, plan, 3, 0, batches.append)
    sched.arrivals = centre
    centre.start()
    if own_loop:
        sched.run(until=centre.done)
    else:
        sched.run_until(centre.done)
    centre.close()
    return pd.concat([pd.DataFrame(b) for b in batches], ignore_index=True)


@pytest.mark.parametrize("config", ["configs/erlang_a.toml", "configs/retail_bank.toml"])
def test_simpy_run_on_a_centre_gives_the_contacts_of_run_until(config):
    """SimPy's own ``Environment.run`` works on a centre's scheduler, with the same contacts."""
    plan = load(config).with_overrides({"scenario.duration": "2h", "scenario.warmup": "30min"}).plan
    ours, simpys = _run(plan, own_loop=False), _run(plan, own_loop=True)
    assert len(ours) > 100
    pd.testing.assert_frame_equal(ours, simpys)
