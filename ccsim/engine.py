"""Run one replication: plan + seed -> finished contacts (to a sink) and agents' time on shift.
The only place that calls ``env.run``.

The engine is pure: no printing, no files, no global state. Contacts are drawn and simulated a
day at a time; each batch of finished contacts goes to ``sink`` (see ``metrics.Accumulator``),
so a long run needs memory for the contacts of about one day, not of the whole run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from ccsim.model.centre import OUTCOMES, Centre
from ccsim.model.plan import Plan


@dataclass
class RunInfo:
    """What one replication leaves besides its contacts."""

    replication: int
    spans: np.ndarray  # structured: group, agent, start, end (agents present)
    end_time: float  # simulated time when the run stopped

    outcome_names = OUTCOMES


def run_replication(
    plan: Plan, seed: int, replication: int, sink: Callable[[dict[str, np.ndarray]], None]
) -> RunInfo:
    """Simulate replication ``replication`` of ``seed``; finished contacts go to ``sink`` in
    batches of columns: cid, arrival, channel, ctype, segment, outcome, wait, talk, wrap,
    agent, agent_group (times in simulated seconds, codes as in the plan)."""
    env = simpy.Environment()
    centre = Centre(env, plan, seed, replication, sink)
    centre.start()
    env.run(until=centre.done)
    centre.close()
    spans = np.array(
        centre.spans,
        dtype=[("group", np.int32), ("agent", np.int32), ("start", float), ("end", float)],
    )
    return RunInfo(replication=replication, spans=spans, end_time=float(env.now))
