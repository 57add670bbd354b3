"""The run cut into blocks (a day each): a block's contacts drawn into the columns.

At a block's end the finished contacts go to the sink and the others are carried over to the
next block, renumbered with their timers and queue places (``Handover``, at ``Centre._switch``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ccsim.model import scope
from ccsim.model.plan import Plan
from ccsim.model.queues import Queues
from ccsim.model.sampling import Array, blocks, busyness_factors, sample_contacts, stream
from ccsim.model.sites import offered_sites
from ccsim.model.store import DECISIONS, DONE, Contacts
from ccsim.model.timeline import Ints

Customers = Callable[[Ints, int, int], NDArray[np.int64]]  # segment, block, first id -> customers
Sink = Callable[[dict[str, Array]], None]  # receives finished contacts, a batch at a time
Renumber = Callable[[Mapping[int, int]], None]  # a part's contacts get new indices (old -> new)


class Blocks:
    """Which block is loaded, and loading the next one."""

    def __init__(
        self,
        plan: Plan,
        seed: int,
        replication: int,
        contacts: Contacts,
        queues: Queues,
        customers: Customers,
    ) -> None:
        self.plan = plan
        self.seed = seed
        self.replication = replication
        self.contacts = contacts
        self.queues = queues
        self.customers = customers  # customer ids of a block's arrivals (relationship routing)
        self.windows = blocks(plan)
        self.factors = busyness_factors(plan, seed, replication)
        self.k = 0  # the block loaded

    @property
    def last(self) -> bool:
        """Whether the loaded block is the last."""
        return self.k + 1 == len(self.windows)

    @property
    def end(self) -> float:
        """The end of the loaded block."""
        return self.windows[self.k][1]

    def load(self, k: int, carry: dict[str, Array] | None = None) -> int:
        """Columns of the contacts still in the system (``carry``) followed by block k's
        arrivals; returns the index of its first arrival."""
        c = sample_contacts(self.plan, self.seed, self.replication, k, self.windows[k], self.factors)
        qid, identified = self.queues.queue_of(c.channel, c.ctype, c.segment, k)
        if self.plan.sites is not None:  # several sites: the queue at the site it is offered to
            site = offered_sites(self.plan, self.seed, self.replication, k, c.arrival, c.stream)
            qid = self.queues.placed(qid, site)
        derived: dict[str, npt.ArrayLike] = {
            "qid": qid,
            "identified": identified,
            "customer": self.customers(c.segment, k, self.contacts.n_seen),
        }
        if "key" in self.contacts.cols:  # journeys on: each contact's own random numbers
            rng = stream(self.seed, self.replication, f"journey/{k}")
            derived["key"] = rng.integers(0, 2**63 - 1, len(c))
            u = rng.random((len(DECISIONS), len(c)))
            for d, name in enumerate(DECISIONS):
                derived[f"u_{name}"] = u[d]
        communicated = self.plan.policies.scope
        if communicated is not None:  # out-of-scope arrivals deterred by the communicated scope
            c, derived = scope.thin(
                c, derived, scope.still_contacting(communicated, self.seed, self.replication, k, c)
            )
        self.k = k
        return self.contacts.load(c, derived, carry)

    def finished(self) -> NDArray[np.bool_]:
        """Which contacts of the columns have finished."""
        done: NDArray[np.bool_] = self.contacts.view("status") == DONE
        return done

    def carry_over(self, done: NDArray[np.bool_]) -> tuple[dict[int, int], dict[str, Array]]:
        """The new index of each contact still in the system, and copies of its columns."""
        live = np.flatnonzero(~done)
        remap = {int(old): new for new, old in enumerate(live.tolist())}
        return remap, self.contacts.carry_over(live)


class Handover:
    """A block's end: its finished contacts go to the sink, the others are carried over to
    the next block (the parts that name contacts renumber them), and the next block is loaded."""

    def __init__(
        self,
        days: Blocks,
        sink: Sink,
        sweep: Callable[[float], None],
        renumbers: Sequence[Renumber],
        keep: Callable[[Array], Array] | None,
        agent_group: list[int],
    ) -> None:
        self.days, self.contacts, self.sink = days, days.contacts, sink
        self.sweep = sweep  # settles the contacts whose patience ran out (``Patience.sweep``)
        self.renumbers = renumbers  # in order: the timers, queues, personal queues, chases
        self.keep = keep  # drops the contacts that never came (``Proactive.keep``), or None
        self.agent_group = agent_group
        plan = days.plan
        self.n_groups = len(plan.groups)
        self.lean = not plan.policies.journeys_on  # every served contact is resolved
        # several sites: the site of each queue, for the site each contact was offered to
        self.queue_site = days.queues.site_of() if plan.sites is not None else None

    def batch(self, mask: Array) -> dict[str, Array]:
        """The result columns of the contacts selected by ``mask``."""
        if self.keep is not None:  # prevented contacts never came
            mask = self.keep(mask)
        out = self.contacts.batch(mask, self.agent_group, self.n_groups, self.lean)
        if self.queue_site is not None:  # several sites: the site each contact was offered to
            out["site"] = self.queue_site[self.contacts.view("qid")[mask]]
        return out

    def next_block(self, now: float) -> int:
        """Hands the finished contacts over, carries the others to the next block and loads it;
        returns the index of its first arrival."""
        self.sweep(now)
        done = self.days.finished()
        self.sink(self.batch(done))
        remap, carry = self.days.carry_over(done)
        for renumber in self.renumbers:
            renumber(remap)
        return self.days.load(self.days.k + 1, carry)
