"""Routing across sites: each queue has a copy per site, and a contact waits in the copy of the
site it is offered to.

- **The site a contact is offered to**: its home site, drawn per arrival from the demand
  stream's shares of sites (its own stream ``site/BLOCK``, one uniform per arrival, so scenarios
  that differ in routing or staffing see the same homes); when the home site is closed at
  arrival, the same uniform picks among the sites open then, by their shares.
- **Local first** (``routing.sites = 'local_first'``): a queue's ranks of able groups (the
  contact type's ``groups`` order, or all able groups in one rank) are split into the local
  site's ranks and, after ``site_overflow_delay`` of waiting, the other sites' ranks (each in the
  same order): the overflow-delay routing of ``routing.py`` with a wait per rank (``Queue.after``).
  A site without a group able to serve a queue's contacts sends them to the others at once.
- **One virtual queue** (``routing.sites = 'virtual_queue'``): every copy keeps all sites'
  groups in its ranks, so the agents of all sites take the contacts in order of arrival.

Contacts created during the run (retrials, repeats, callbacks, escalations) wait at the site of
the contact they came from.
"""

from __future__ import annotations

import numpy as np

from ccsim.model.plan import Plan
from ccsim.model.routing import Queue
from ccsim.model.sampling import stream
from ccsim.model.siteplan import SitePlan
from ccsim.model.timeline import Floats, Ints


def localised(qlist: list[Queue], plan: Plan) -> tuple[list[Queue], list[list[int]]]:
    """The queues with a copy per site (the originals become site 0's, the other sites' copies
    are appended) and, per original queue, the index of its copy at each site."""
    sp = plan.sites
    assert sp is not None
    out = list(qlist)
    copies: list[list[int]] = []
    for k, q in enumerate(qlist):
        base_ranks, base_after = q.ranks, q.after
        row = [k]
        for s in range(len(sp.names)):
            ranks, after = site_ranks(base_ranks, base_after, sp, s)
            if s == 0:
                place(q, ranks, after, 0)
                continue
            c = Queue(q.channel, q.ctype, q.segment, q.priority, q.deferred)
            c.head_start, c.lines = q.head_start, q.lines
            place(c, ranks, after, s)
            row.append(len(out))
            out.append(c)
        copies.append(row)
    return out, copies


def site_ranks(
    ranks: list[list[int]], after: list[float], sp: SitePlan, site: int
) -> tuple[list[list[int]], list[float]]:
    """The ranks of a queue at ``site`` and the wait before each: local ranks first, the other
    sites' after the site overflow delay (local first); all as they are (one virtual queue)."""
    if not sp.local_first:
        return [list(r) for r in ranks], list(after)
    here = [(a, [g for g in r if sp.group_site[g] == site]) for r, a in zip(ranks, after, strict=True)]
    away = [
        (a + sp.delay, [g for g in r if sp.group_site[g] != site]) for r, a in zip(ranks, after, strict=True)
    ]
    ordered = sorted([x for x in [*here, *away] if x[1]], key=lambda x: x[0])  # stable: local first
    if not ordered:
        return [], []
    first = ordered[0][0]  # no local group able: the others at once
    return [r for _, r in ordered], [a - first for a, _ in ordered]


def place(q: Queue, ranks: list[list[int]], after: list[float], site: int) -> None:
    """Give queue ``q`` its ranks, waits per rank and site (and what follows from them)."""
    q.ranks, q.after, q.site = ranks, after, site
    q.delay = max(after, default=0.0)
    q.able = sorted({g for groups in ranks for g in groups})
    q.fast_group = -1  # the one-group fast path is for queues without sites


def offered_sites(
    plan: Plan, seed: int, replication: int, block: int, arrival: Floats, streams: Ints
) -> Ints:
    """The site each of a block's arrivals is offered to: its home site, or when that is closed
    at arrival, one of the open sites (by their shares, with the same uniform)."""
    sp = plan.sites
    assert sp is not None
    u = stream(seed, replication, f"site/{block}").random(len(arrival))
    shares = np.asarray(sp.shares, dtype=float)[streams]  # (arrivals, sites)
    weights = shares * sp.open_at(arrival).T
    none_open = weights.sum(axis=1) <= 0
    weights[none_open] = shares[none_open]
    cum = np.cumsum(weights, axis=1)
    cum /= cum[:, -1:]
    site: Ints = np.minimum((u[:, None] >= cum).sum(axis=1), len(sp.names) - 1).astype(np.int32)
    return site
