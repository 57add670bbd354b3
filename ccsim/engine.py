"""Run one replication: plan + seed -> raw records. The only place that calls ``env.run``.

The engine is pure: no printing, no files, no global state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from ccsim.model.centre import OUTCOMES, Centre
from ccsim.model.plan import Plan
from ccsim.model.sampling import ContactArrays, sample_contacts


@dataclass
class Records:
    """What one replication produced, as numpy columns (all contacts, warm-up included)."""

    replication: int
    contacts: ContactArrays
    wait: np.ndarray
    outcome: np.ndarray  # int8 codes, names in OUTCOMES
    talk: np.ndarray
    wrap: np.ndarray
    agent: np.ndarray
    agent_group: np.ndarray
    spans: np.ndarray  # structured: group, agent, start, end (agents present)
    end_time: float  # simulated time when the run stopped
    warmup: float

    outcome_names = OUTCOMES

    @property
    def measured(self) -> slice:
        """The contacts that arrived after the warm-up (arrivals are sorted by time)."""
        return slice(int(np.searchsorted(self.contacts.arrival, self.warmup, side="left")), None)


def run_replication(plan: Plan, seed: int, replication: int) -> Records:
    contacts = sample_contacts(plan, seed, replication)
    env = simpy.Environment()
    centre = Centre(env, plan, contacts)
    centre.start()
    env.run(until=centre.done)
    centre.close()
    agent = np.frombuffer(centre.agent, dtype=np.int32)
    agent_groups = np.asarray(centre.agent_group, dtype=np.int32)
    group = np.where(agent >= 0, agent_groups[np.maximum(agent, 0)] if len(agent_groups) else -1, -1)
    spans = np.array(
        centre.spans,
        dtype=[("group", np.int32), ("agent", np.int32), ("start", float), ("end", float)],
    )
    return Records(
        replication=replication,
        contacts=contacts,
        wait=np.frombuffer(centre.wait, dtype=float),
        outcome=np.frombuffer(centre.outcome, dtype=np.int8),
        talk=np.frombuffer(centre.talk, dtype=float),
        wrap=np.frombuffer(centre.wrap, dtype=float),
        agent=agent,
        agent_group=group.astype(np.int32),
        spans=spans,
        end_time=float(env.now),
        warmup=plan.clock.warmup,
    )
