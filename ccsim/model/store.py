"""The contacts of a replication as columns, a day at a time, and the codes they carry.

Contacts are drawn and simulated in blocks (a day each). The columns hold the contacts still in
the system followed by the block's arrivals; contacts created during the run (retrials,
repeats, callbacks, escalations) are appended. At a block's end the finished contacts go to the
sink and the others are carried over, renumbered: timers and queues are renumbered with them.
Columns are ``array.array``: compact, fast to index from Python, and able to grow. Each column
is one object for the whole run (a block refills it in place), so the centre and its parts may
keep references to the columns they use.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import IntEnum
from itertools import repeat
from operator import setitem
from typing import cast

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ccsim.model.sampling import Array, ContactArrays


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
    CHASED = 12


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
    CHASE = 8


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
BALKED, SELF_SERVED, PASSED_THROUGH, DECLINED, CALLBACK, VOICEMAIL, FALLBACK, CHASED = (
    int(c) for c in list(Outcome)[5:]
)
ARRIVAL, RETRIAL, REPEAT, CALLBACK_MADE, ESCALATION, SELF_SERVICE_FAIL = (int(c) for c in list(Origin)[:6])
VOICEMAIL_CALLBACK, FALLBACK_MADE, CHASE = (int(c) for c in list(Origin)[6:])
NOBODY, POOL, PERSONAL, DEPUTY, PARTNER = (int(c) for c in ServedBy)
# the names, by code: what the tables show
OUTCOMES = tuple(c.name.lower() for c in Outcome)
ORIGINS = (
    "arrival",
    "retrial",
    "repeat",
    "callback",
    "escalation",
    "self_service",
    "voicemail",
    "fallback",
    "chase",
)
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


class Contacts:
    """The per-contact columns (see ``COLUMNS``) of the current block, and created contacts."""

    arrival: array[float]
    channel: array[int]
    ctype: array[int]
    segment: array[int]
    base_handle: array[float]
    base_wrap: array[float]
    patience: array[float]
    closed: array[int]
    qid: array[int]
    cid: array[int]
    customer: array[int]
    attempt: array[int]
    parent: array[int]
    origin: array[int]
    status: array[int]
    outcome: array[int]
    wait: array[float]
    talk: array[float]
    wrap: array[float]
    agent: array[int]
    served_by: array[int]
    resolved: array[int]
    escalated: array[int]
    predicted: array[float]
    promised: array[float]
    target: array[int]
    identified: array[int]
    stream_of: array[int]
    self_service_code: array[int]
    nonservice_flag: array[int]
    callback_offered: array[int]
    # the contact's own random numbers (JOURNEY_COLUMNS), filled only when journeys are on
    key: array[int]
    u_nonservice: array[float]
    u_balk: array[float]
    u_callback_offer: array[float]
    u_callback_later: array[float]
    u_escalate: array[float]
    u_resolve: array[float]
    u_retry: array[float]

    def __init__(self, journeys_on: bool) -> None:
        self.codes = dict(COLUMNS)  # the columns in use and their array codes
        if journeys_on:
            self.codes.update(JOURNEY_COLUMNS)
        self.cols: dict[str, array[int] | array[float]] = {}
        for name, code in {**COLUMNS, **JOURNEY_COLUMNS}.items():
            col: array[int] | array[float] = array(code)
            setattr(self, name, col)
            if name in self.codes:
                self.cols[name] = col
        # created contacts (new): the columns their creator sets (CREATED_ROW), their decisions'
        # uniforms, and a block of room for more (each column in use, its defaults)
        # (typed as float columns: each value is written into a column of its own kind)
        cols = cast("dict[str, array[float]]", self.cols)
        # (only journey policies create contacts: then every one of these columns is in use)
        self._row_cols = [cols[name] for name in CREATED_ROW] if journeys_on else []
        self._decision_cols = [cols[f"u_{d}"] for d in DECISIONS] if journeys_on else []
        self._room_blocks = [
            (col, array(col.typecode, [CREATED_DEFAULTS.get(name, 0)] * ROOM)) for name, col in cols.items()
        ]
        self._by_name = cols
        self._room = 0  # the columns' length: contacts [n, _room) are room for created ones
        self.n = 0  # contacts in the columns
        self.n_seen = 0  # contacts drawn so far (their global ids)
        self.block_end = 0  # block arrivals occupy [carried, block_end); created ones follow

    def view(self, name: str) -> Array:
        """A numpy view of a column's contacts (drop it before the column grows)."""
        return np.frombuffer(self.cols[name], dtype=DTYPES[self.codes[name]])[: self.n]

    def load(
        self, c: ContactArrays, derived: Mapping[str, npt.ArrayLike], carry: Mapping[str, Array] | None
    ) -> int:
        """Refill the columns: the contacts still in the system (``carry``) followed by a block's
        arrivals ``c`` (``derived``: their queue, identification, customer and, with journeys,
        their own random numbers). Returns the index of the block's first arrival."""
        nb = len(c)
        new: dict[str, npt.ArrayLike] = {
            "arrival": c.arrival,
            "channel": c.channel,
            "ctype": c.ctype,
            "segment": c.segment,
            "base_handle": c.handle,
            "base_wrap": c.wrap,
            "patience": c.patience,
            "closed": c.closed,
            "cid": np.arange(self.n_seen, self.n_seen + nb),
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
            "stream_of": c.stream,
            "self_service_code": c.self_service,
            "nonservice_flag": np.zeros(nb),
            "callback_offered": np.zeros(nb),
            **derived,
        }
        self.n_seen += nb
        live = 0 if carry is None else len(carry["arrival"])
        for name, code in self.codes.items():
            data = np.ascontiguousarray(new[name], dtype=DTYPES[code]).tobytes()
            if carry is not None:
                data = np.ascontiguousarray(carry[name], dtype=DTYPES[code]).tobytes() + data
            col = self.cols[name]
            del col[:]
            col.frombytes(data)
        self.n = live + nb
        self._room = self.n
        self.block_end = live + nb
        return live

    def unfinished(self) -> NDArray[np.bool_]:
        """At the end of the run: contacts still waiting or in service end 'unfinished' (and
        nobody served those waiting); returns which contacts have arrived."""
        status = self.view("status")
        open_ = (status == WAITING) | (status == IN_SERVICE)
        self.view("outcome")[open_] = UNFINISHED
        self.view("served_by")[status == WAITING] = NOBODY
        arrived: NDArray[np.bool_] = status != PENDING
        return arrived

    def carry_over(self, live: NDArray[np.intp]) -> dict[str, Array]:
        """Copies of the columns of the contacts ``live`` (to load with the next block)."""
        return {name: self.view(name)[live] for name in self.codes}

    def batch(self, mask: Array, agent_group: list[int], n_groups: int, lean: bool) -> dict[str, Array]:
        """Result columns of the contacts selected by ``mask`` (copies). ``lean``: no journey
        policy is on, so every served contact is resolved."""
        out = {name: self.view(name)[mask] for name in RESULT_COLUMNS}
        # set here for the contacts of the hot path (Centre._serve_one): an agent took it
        out["served_by"][(out["agent"] >= 0) & (out["served_by"] == NOBODY)] = POOL
        if lean:
            out["resolved"] = (out["outcome"] == SERVED).astype(out["resolved"].dtype)
        groups = np.asarray(agent_group, dtype=np.int32)
        agent = out["agent"]
        out["agent_group"] = np.where(agent >= 0, groups[np.maximum(agent, 0)] if len(groups) else -1, -1)
        partner = out["served_by"] == PARTNER
        out["agent_group"][partner] = n_groups + agent[partner]  # partner index
        out["agent"][partner] = -1
        return out

    def new(self, row: Sequence[float], decisions: Sequence[float], values: Mapping[str, float]) -> int:
        """Add a contact created during the run; returns its index. ``row``: the columns its
        creator sets, in the order of ``CREATED_ROW``; ``decisions``: its uniforms, one per
        decision (``DECISIONS``); ``values``: other columns its creator sets. The rest keep
        ``CREATED_DEFAULTS``; ``cid`` is set here."""
        if len(row) != len(self._row_cols) or len(decisions) != len(self._decision_cols):
            raise ValueError("a created contact needs every CREATED_ROW value and decision (journeys on)")
        i = self.n
        if i == self._room:
            for col, block in self._room_blocks:
                col.extend(block)
            self._room += ROOM
        self.n = i + 1
        at = repeat(i)
        _consume(map(setitem, self._row_cols, at, row))  # col[i] = value, column by column
        _consume(map(setitem, self._decision_cols, at, decisions))
        self.cid[i] = self.n_seen
        self.n_seen += 1
        for name, value in values.items():
            self._by_name[name][i] = value
        return i


# runs an iterator to its end, keeping nothing
_consume: Callable[[Iterable[None]], None] = deque[None](maxlen=0).extend

# the columns a contact's creator sets (Contacts.new), in order
CREATED_ROW = (
    "arrival", "channel", "ctype", "segment", "base_handle", "base_wrap", "patience", "closed",
    "customer", "attempt", "parent", "origin", "identified", "key", "qid",
)  # fmt: skip
ROOM = 256  # created contacts the columns grow by at a time
# the columns of a contact created during the run that its creator does not set
CREATED_DEFAULTS: dict[str, float] = {
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
