"""Run one replication: plan + seed -> finished contacts (to a sink) and agents' time on shift.

The engine is pure: no printing, no files, no global state. Contacts are drawn and simulated a
day at a time; each batch of finished contacts goes to ``sink`` (see ``reducers.Accumulator``),
so a long run needs memory for the contacts of about one day, not of the whole run. The event
loop is the scheduler's (``model/scheduler.py``, the one boundary to SimPy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsim.model.centre import OUTCOMES, Centre
from ccsim.model.plan import Plan
from ccsim.model.sampling import Array
from ccsim.model.scheduler import Scheduler
from ccsim.model.wellbeing import LoadLog


@dataclass
class RunInfo:
    """What one replication leaves besides its contacts."""

    replication: int
    spans: Array  # structured: group, agent, start, end (agents present)
    end_time: float  # simulated time when the run stopped
    duty: NDArray[np.void] | None = None  # structured: group, start, end, rostered, absent, off (rota.PIECE)
    load: LoadLog | None = None  # busy periods, recovery pauses, longest stretches (well-being rules)
    # proactive campaigns: their tally (campaigns x proactive.TALLY) and outbound work (proactive.SPAN)
    outbound: tuple[NDArray[np.float64], NDArray[np.void]] | None = None

    outcome_names = OUTCOMES


def run_replication(
    plan: Plan, seed: int, replication: int, sink: Callable[[dict[str, Array]], None]
) -> RunInfo:
    """Simulate replication ``replication`` of ``seed``; finished contacts go to ``sink`` in
    batches of columns: cid, arrival, channel, ctype, segment, outcome, wait, talk, wrap,
    agent, agent_group (times in simulated seconds, codes as in the plan)."""
    sched = Scheduler()
    centre = Centre(sched, plan, seed, replication, sink)
    sched.arrivals = centre
    centre.start()
    sched.run_until(centre.done)
    centre.close()
    spans = np.array(
        centre.pool.spans,
        dtype=[("group", np.int32), ("agent", np.int32), ("start", float), ("end", float)],
    )
    p = centre.proactive
    outbound = (p.tally.copy(), p.outbound_spans()) if p is not None else None
    return RunInfo(
        replication=replication,
        spans=spans,
        end_time=float(sched.now),
        duty=centre.rota.pieces,
        load=centre.load_log,
        outbound=outbound,
    )
