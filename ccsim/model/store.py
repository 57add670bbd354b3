"""The contacts of a replication as columns, a day at a time.

Contacts are drawn and simulated in blocks (a day each). The columns hold the contacts still in
the system followed by the block's arrivals; contacts created during the run (retrials,
repeats, callbacks, escalations) are appended. At a block's end the finished contacts go to the
sink and the others are carried over, renumbered: timers and queues are renumbered with them.
Columns are ``array.array``: compact, fast to index from Python, and able to grow.
"""

from __future__ import annotations

from array import array
from collections import deque
from enum import IntEnum
from typing import Any

import numpy as np

from ccsim.model.sampling import sample_contacts, stream


class Status(IntEnum):
    """Where a contact is in its life."""

    PENDING = 0
    WAITING = 1
    IN_SERVICE = 2
    DONE = 3


class Outcome(IntEnum):
    """How a contact ended; the lower-case name is its column in the intervals table."""

    SERVED = 0
    ABANDONED = 1
    BLOCKED = 2
    CLOSED = 3
    UNFINISHED = 4
    BALKED = 5
    SELF_SERVED = 6
    PASSED_THROUGH = 7
    DECLINED = 8
    CALLBACK = 9
    VOICEMAIL = 10
    FALLBACK = 11


class Origin(IntEnum):
    """How a contact came about."""

    ARRIVAL = 0
    RETRIAL = 1
    REPEAT = 2
    CALLBACK = 3
    ESCALATION = 4
    SELF_SERVICE = 5
    VOICEMAIL = 6
    FALLBACK = 7


class ServedBy(IntEnum):
    """Who answered a contact ("" when nobody did)."""

    NOBODY = 0
    POOL = 1
    PERSONAL = 2
    DEPUTY = 3
    PARTNER = 4


# the codes as plain ints for the engine's hot paths (an int compares faster than an IntEnum)
PENDING, WAITING, IN_SERVICE, DONE = (int(c) for c in Status)
SERVED, ABANDONED, BLOCKED, CLOSED, UNFINISHED = (int(c) for c in list(Outcome)[:5])
BALKED, SELF_SERVED, PASSED_THROUGH, DECLINED, CALLBACK, VOICEMAIL, FALLBACK = (
    int(c) for c in list(Outcome)[5:]
)
ARRIVAL, RETRIAL, REPEAT, CALLBACK_MADE, ESCALATION, SELF_SERVICE_FAIL, VOICEMAIL_CALLBACK, MOVED = (
    int(c) for c in Origin
)
NOBODY, POOL, PERSONAL, DEPUTY, PARTNER = (int(c) for c in ServedBy)
# the names, by code: what the tables show
OUTCOMES = tuple(c.name.lower() for c in Outcome)
ORIGINS = ("arrival", "retrial", "repeat", "callback", "escalation", "self_service", "voicemail", "fallback")
SERVED_BY = tuple("" if c is ServedBy.NOBODY else c.name.lower() for c in ServedBy)
assert tuple(c.name.lower() for c in Origin) == ORIGINS

COLUMNS = {
    "arrival": "d",  # simulated time
    "channel": "i",
    "ctype": "i",
    "segment": "i",  # the customer's segment
    "base_handle": "d",
    "base_wrap": "d",
    "patience": "d",
    "closed": "b",  # arrived while its channel was closed
    "qid": "i",  # the queue it waits in (routing segment, lane)
    "cid": "q",  # contact id: unique in the replication
    "customer": "q",
    "attempt": "h",  # contacts about the same issue so far, this one included
    "parent": "q",  # contact id of the contact that led to this one (-1: none)
    "origin": "b",
    "status": "b",
    "outcome": "b",
    "wait": "d",
    "talk": "d",
    "wrap": "d",
    "agent": "i",
    "served_by": "b",
    "resolved": "b",
    "escalated": "b",
    "predicted": "d",  # announced predicted wait
    "promised": "d",  # promised answer time (simulated), acknowledgement or callback
    "target": "i",  # personal routing: the agent it waits for (-1: none)
    "identified": "b",  # recognised on arrival (caller identification)
    "stream_of": "i",  # demand stream (-1: created during the run)
    "self_service_code": "b",  # 1: resolved by self-service, 2: self-service failed
    "nonservice_flag": "b",  # not a service call; an agent answers and transfers it
    "callback_offered": "b",  # offered a callback (accepted or not)
}
# Each contact's own random numbers for the journey (only when a journey policy is on): a key
# from which a created contact's draws derive, and one uniform per decision it may face. Drawn
# up front for a block's arrivals, at creation for created contacts: a contact decides the same
# way whatever else happens in the run (common random numbers across scenarios).
DECISIONS = ("nonservice", "balk", "callback_offer", "callback_later", "escalate", "resolve", "retry")
JOURNEY_COLUMNS = {"key": "q", **{f"u_{d}": "d" for d in DECISIONS}}
DTYPES = {"d": np.float64, "i": np.int32, "b": np.int8, "q": np.int64, "h": np.int16}
RESULT_COLUMNS = tuple(
    c
    for c in COLUMNS
    if c not in ("base_handle", "base_wrap", "patience", "qid", "status", "target", "self_service_code")
)


class ContactStore:
    """Mixin of ``Centre``: the per-contact columns, blocks, and created contacts."""

    # the per-contact columns (see COLUMNS), as array.array of the current block
    arrival: Any
    channel: Any
    ctype: Any
    segment: Any
    base_handle: Any
    base_wrap: Any
    patience: Any
    closed: Any
    qid: Any
    cid: Any
    customer: Any
    attempt: Any
    parent: Any
    origin: Any
    status: Any
    outcome: Any
    wait: Any
    talk: Any
    wrap: Any
    agent: Any
    served_by: Any
    resolved: Any
    escalated: Any
    predicted: Any
    promised: Any
    target: Any
    identified: Any
    stream_of: Any
    self_service_code: Any
    nonservice_flag: Any
    callback_offered: Any

    key: Any
    u_nonservice: Any
    u_balk: Any
    u_callback_offer: Any
    u_callback_later: Any
    u_escalate: Any
    u_resolve: Any
    u_retry: Any

    cols: dict[str, Any]
    codes: dict[str, str]  # the columns in use and their array codes
    journeys_on: bool
    seed: int
    replication: int
    n: int
    n_seen: int
    next_arrival: int
    block: int
    arrivals_done: bool
    qlist: list[Any]
    personal_queues: list[deque[int]]
    per_contact_callbacks: tuple[Any, ...]

    def _np(self, name: str) -> np.ndarray:
        """A numpy view of a column (drop it before the column grows)."""
        return np.frombuffer(self.cols[name], dtype=DTYPES[self.codes[name]])

    def _load_block(self: Any, k: int, carry: dict[str, np.ndarray] | None = None) -> None:
        """Columns of the contacts still in the system (``carry``) followed by block k's arrivals."""
        t0, t1 = self.blocks[k]
        c = sample_contacts(self.plan, self.seed, self.replication, k, (t0, t1), self.factors)
        nb = len(c)
        qid, identified = self.queue_of(c.channel, c.ctype, c.segment, k)
        new = {
            "arrival": c.arrival,
            "channel": c.channel,
            "ctype": c.ctype,
            "segment": c.segment,
            "base_handle": c.handle,
            "base_wrap": c.wrap,
            "patience": c.patience,
            "closed": c.closed,
            "qid": qid,
            "cid": np.arange(self.n_seen, self.n_seen + nb),
            "customer": self.customers_of(c.segment, k),
            "attempt": np.ones(nb),
            "parent": np.full(nb, -1),
            "origin": np.full(nb, ARRIVAL),
            "status": np.full(nb, PENDING),
            "outcome": np.full(nb, UNFINISHED),
            "wait": np.full(nb, np.nan),
            "talk": np.full(nb, np.nan),
            "wrap": np.full(nb, np.nan),
            "agent": np.full(nb, -1),
            "served_by": np.zeros(nb),
            "resolved": np.zeros(nb),
            "escalated": np.zeros(nb),
            "predicted": np.full(nb, np.nan),
            "promised": np.full(nb, np.nan),
            "target": np.full(nb, -1),
            "identified": identified,
            "stream_of": c.stream,
            "self_service_code": c.self_service,
            "nonservice_flag": np.zeros(nb),
            "callback_offered": np.zeros(nb),
        }
        self.codes = dict(COLUMNS)
        if self.journeys_on:
            self.codes.update(JOURNEY_COLUMNS)
            rng = stream(self.seed, self.replication, f"journey/{k}")
            new["key"] = rng.integers(0, 2**63 - 1, nb)
            u = rng.random((len(DECISIONS), nb))
            for d, name in enumerate(DECISIONS):
                new[f"u_{name}"] = u[d]
        self.n_seen += nb
        live = 0 if carry is None else len(carry["arrival"])
        self.cols = {}
        for name, code in self.codes.items():
            col = array(code)
            if carry is not None:
                col.frombytes(np.ascontiguousarray(carry[name], dtype=DTYPES[code]).tobytes())
            col.frombytes(np.ascontiguousarray(new[name], dtype=DTYPES[code]).tobytes())
            self.cols[name] = col
            setattr(self, name, col)
        self.n = live + nb
        self.next_arrival = live
        self.block = k
        self.block_end = live + nb  # block arrivals occupy [live, block_end); created ones follow

    def _schedule_block(self: Any) -> None:
        """The first arrival of the loaded block, and the switch to the next block."""
        if self.next_arrival < self.block_end:
            self.due = self.arrival[self.next_arrival]
        if self.block + 1 < len(self.blocks):
            self._at(self.blocks[self.block][1] - self.env._now, self._switch, None)
        elif self.next_arrival >= self.block_end:
            self._arrivals_over()
            self._check_done()

    def _switch(self: Any, _payload: None) -> None:
        """At a block's end: finished contacts go to the sink, the others are carried over."""
        self._sweep_expired(self.env._now)
        done = self._np("status") == DONE
        self.sink(self._batch(done))
        live = np.flatnonzero(~done)
        remap = {int(old): new for new, old in enumerate(live.tolist())}
        carry = {name: self._np(name)[live] for name in self.codes}
        queue = self._queue
        for k, (t, prio, eid, timer) in enumerate(queue):
            if type(timer) is not tuple or timer[0] not in self.per_contact_callbacks:
                continue  # not a timer of the centre's, or not one that names a contact
            fn, value = timer
            i = value if isinstance(value, int) else value[0]
            if i in remap:  # same time, priority and id: the heap stays a heap
                value = remap[i] if isinstance(value, int) else (remap[i], *value[1:])
                queue[k] = (t, prio, eid, (fn, value))
            else:  # a timer of a contact that has left (patience, overflow, ...): now a no-op
                queue[k] = (t, prio, eid, (_noop, None))
        for q in self.qlist:
            q.items = deque(remap[i] for i in q.items if i in remap)
        for a, pq in enumerate(self.personal_queues):
            if pq:
                self.personal_queues[a] = deque(remap[i] for i in pq if i in remap)
        self._load_block(self.block + 1, carry)
        self._schedule_block()

    def _batch(self: Any, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Result columns of the contacts selected by ``mask`` (copies)."""
        out = {name: self._np(name)[mask] for name in RESULT_COLUMNS}
        # set here for the contacts of the hot path (Centre._serve_one): an agent took it
        out["served_by"][(out["agent"] >= 0) & (out["served_by"] == NOBODY)] = POOL
        if not self.journeys_on:  # without journeys every served contact is resolved
            out["resolved"] = (out["outcome"] == SERVED).astype(out["resolved"].dtype)
        groups = np.asarray(self.agent_group, dtype=np.int32)
        agent = out["agent"]
        out["agent_group"] = np.where(agent >= 0, groups[np.maximum(agent, 0)] if len(groups) else -1, -1)
        partner = out["served_by"] == PARTNER
        out["agent_group"][partner] = len(self.plan.groups) + agent[partner]  # partner index
        out["agent"][partner] = -1
        return out

    def _new_contact(self: Any, values: dict[str, Any]) -> int:
        """Append a contact created during the run; returns its index."""
        i = self.n
        self.n += 1
        cid = self.n_seen
        self.n_seen += 1
        defaults = {
            "cid": cid,
            "status": PENDING,
            "outcome": UNFINISHED,
            "wait": np.nan,
            "talk": np.nan,
            "wrap": np.nan,
            "agent": -1,
            "served_by": NOBODY,
            "resolved": 0,
            "escalated": 0,
            "predicted": np.nan,
            "promised": np.nan,
            "target": -1,
            "closed": 0,
            "identified": 1,
            "stream_of": -1,
            "self_service_code": 0,
            "nonservice_flag": 0,
            "callback_offered": 0,
        }
        defaults.update(values)
        for name, col in self.cols.items():
            col.append(defaults[name])
        return i


def _noop(_payload: object) -> None:
    """A cancelled timer."""
