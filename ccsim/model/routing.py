"""Routing policies: which free agent a new contact goes to, which waiting contact a freed
agent takes. Plain functions over plain data, without SimPy, so they can be tested alone and
later policies can be added beside them.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Callable, MutableSequence, Sequence

WAITING = 1


class Queue:
    """The waiting contacts of one (channel, contact type, segment), oldest first (or, with
    ``due``, the earliest promised answer first: ``Centre.enqueue`` inserts them in order).

    Contacts that left (abandoned, or taken by an overflow) stay in the deque until they reach
    its head, where they are dropped: removal from the middle is never needed.

    Contacts join a queue only by ``put``, which marks the queue as having work for the agent
    groups that take from it (``Queue.marks``, bits of the groups' masks in ``Queue.work``):
    a freed agent looks only at the queues marked for its group (``choose_queue``), and a bit
    is cleared when its queue is found without a waiting contact.

    In a queue that ``expires`` its contacts, patience runs without a timer: a contact whose
    patience has run out (arrival + patience <= now) when it reaches the head has abandoned at
    that moment; ``head`` drops it and reports it to ``on_expire``. The centre uses this where
    nothing depends on the moment of abandonment (no trunk lines, no overflow delay, no journey).
    """

    __slots__ = (
        "able",
        "after",
        "ahead",
        "channel",
        "ctype",
        "deferred",
        "delay",
        "due",
        "expires",
        "fast_group",
        "head_start",
        "items",
        "lines",
        "marks",
        "on_expire",
        "precedence",
        "precedence_fifo",
        "priority",
        "ranks",
        "same_channel",
        "segment",
        "site",
        "waiting",
        "work",
    )

    def __init__(
        self,
        channel: int,
        ctype: int,
        segment: int,
        priority: int,
        deferred: bool,
        ranks: list[list[int]] | None = None,
        delay: float = 0.0,
        fast_group: int = -1,
    ):
        self.channel = channel
        self.ctype = ctype
        self.segment = segment
        self.priority = priority
        # its place in a freed agent's choice before the waits (choose_queue): real-time before
        # deferred, then the smaller priority value (ignored with fifo_across_priorities)
        self.precedence, self.precedence_fifo = (deferred, priority), (deferred, 0)
        self.deferred = deferred
        self.ranks = ranks or []  # able groups by rank; rank r after r x delay of waiting
        self.delay = delay
        self.after = [r * delay for r in range(len(self.ranks))]  # the wait before rank r
        self.site = 0  # the site it is at (``sites.py``; 0 with one implicit site)
        self.fast_group = fast_group  # the only able group, when there is one (no chat)
        self.items: deque[int] = deque()
        self.lines: int | None = None  # the channel's trunk lines, if limited
        self.head_start = 0.0  # with head-start priority: counted as waiting this much longer
        self.waiting = 0  # contacts waiting in it (the deque may also hold some that left)
        self.due: Sequence[float] | None = None  # promised times, when it is ordered by them
        self.expires = False  # patience checked at the head, without timers (see above)
        self.on_expire: Callable[[int], None] = _ignore
        # set once all queues exist (queues.Queues): for the wait predictors
        self.able: list[int] = sorted({g for groups in self.ranks for g in groups})  # able groups
        self.same_channel: list[Queue] = []  # the queues of its channel, itself included
        self.ahead: list[Queue] = []  # ... of the same kind whose contacts go first or alike
        # set by mark_work: per group taking from it, (group, its bit in that group's mask)
        self.marks: list[tuple[int, int]] = []
        self.work: list[int] = []  # per group: a mask of its queues that may have work

    def put(self, i: int) -> None:
        """Contact ``i`` starts waiting here; the queue is marked as having work for every
        group that takes from it. Contacts join a queue only this way (or ``Centre.enqueue``,
        which inlines it)."""
        if self.due is None:
            self.items.append(i)
        else:  # ordered by promise (routing.deferred_order = 'promise')
            insort(self.items, i, key=self.due.__getitem__)
        self.waiting += 1
        work = self.work
        for g, bit in self.marks:
            work[g] |= bit

    def head(
        self,
        status: MutableSequence[int],
        now: float = 0.0,
        arrival: Sequence[float] = (),
        patience: Sequence[float] = (),
    ) -> int | None:
        """The oldest contact still waiting, or None. In a queue that expires its contacts,
        those whose patience has run out by ``now`` are dropped and reported to ``on_expire``."""
        items = self.items
        while items:
            i = items[0]
            if status[i] == WAITING:
                if not self.expires or arrival[i] + patience[i] > now:
                    return i
                self.waiting -= 1
                self.on_expire(i)
            items.popleft()
        return None


def choose_queue(
    queues: Sequence[tuple[Queue, float]],
    work: list[int],
    g: int,
    now: float,
    arrival: Sequence[float],
    status: MutableSequence[int],
    channel_open: Sequence[bool],
    fifo_across_priorities: bool = False,
    patience: Sequence[float] = (),
    among: int = -1,
) -> Queue | None:
    """The queue whose head a freed agent of group ``g`` takes (its head is then ``q.items[0]``).

    ``queues`` are the queues the group may serve (``group_queues``), each with the wait a
    contact must have had before this group may take it (its overflow delay; 0 for a primary
    group). Only those marked in ``work[g]`` (bit k: ``queues[k]``; see ``mark_work``) and in
    ``among`` are looked at, in their order; a queue found without a waiting contact has its
    bit cleared. Real-time contacts come before deferred ones (e-mail is taken only when no
    real-time contact the agent could take is waiting); then the smallest priority value; then
    the longest wait (for a queue ordered by promise: the earliest promised time; ties: the
    first queue). With ``fifo_across_priorities`` priority is ignored. ``patience`` is needed
    for queues that expire their contacts (see ``Queue``).
    """
    best: Queue | None = None
    best_first, best_wait = (True, 0), 0.0  # the best's precedence and wait (read once best is set)
    marked = work[g]
    rest = marked & among
    while rest:
        bit = rest & -rest
        rest ^= bit
        q, delay = queues[bit.bit_length() - 1]
        if not channel_open[q.channel]:
            continue
        i = q.head(status, now, arrival, patience)
        if i is None:
            marked ^= bit
            continue
        t = arrival[i]
        if delay and now - t < delay:
            continue
        due = q.due  # ordered by promise: the earliest promise first
        first = q.precedence_fifo if fifo_across_priorities else q.precedence
        wait = (t if due is None else due[i]) - q.head_start  # (precedence, wait) compared as a pair
        if best is None or first < best_first or (first == best_first and wait < best_wait):
            best, best_first, best_wait = q, first, wait
    work[g] = marked
    return best


def group_queues(
    qlist: Sequence[Queue], overflow_delay: Sequence[float], n_groups: int
) -> list[list[tuple[Queue, float]]]:
    """Per agent group: the queues it may take from, each with the wait a contact must have had
    before the group may take it (rank r of the queue's able groups: ``q.after[r]``, which is
    r x its type's overflow delay, plus the site overflow delay for other sites' groups)."""
    out: list[list[tuple[Queue, float]]] = [[] for _ in range(n_groups)]
    for q in qlist:
        for r, groups in enumerate(q.ranks):
            for g in groups:
                out[g].append((q, q.after[r]))
    return out


def mark_work(queues_of: Sequence[Sequence[tuple[Queue, float]]], unmarked: Sequence[bool]) -> list[int]:
    """Per group: the mask of its queues (``queues_of[g]``, bit k for the k-th) that may have
    work, empty at first; each queue learns its (group, bit) pairs, which ``Queue.put`` sets.
    Groups that are ``unmarked`` (one queue, looked at directly) keep no marks."""
    work = [0] * len(queues_of)
    for entries in queues_of:
        for q, _delay in entries:
            q.marks = []
            q.work = work
    for g, entries in enumerate(queues_of):
        if not unmarked[g]:
            for k, (q, _delay) in enumerate(entries):
                q.marks.append((g, 1 << k))
    return work


def channel_masks(
    queues_of: Sequence[Sequence[tuple[Queue, float]]], wanted: Sequence[bool]
) -> list[list[int]]:
    """Per group and channel: the mask of the group's queues (as in ``mark_work``) of that
    channel, for the channels ``wanted`` (0 for the others)."""
    return [
        [sum(1 << k for k, (q, _) in enumerate(entries) if q.channel == c) if w else 0
         for c, w in enumerate(wanted)]
        for entries in queues_of
    ]  # fmt: skip


def longest_idle(groups: Sequence[int], idle: Sequence[deque[int]], idle_since: list[float]) -> int | None:
    """The agent idle the longest among the idle agents of ``groups`` (heads of their deques)."""
    best, best_t = None, 0.0
    for g in groups:
        dq = idle[g]
        if dq:
            a = dq[0]
            if best is None or idle_since[a] < best_t:
                best, best_t = a, idle_since[a]
    return best


def least_loaded(
    groups: Sequence[int], partial: Sequence[dict[int, None]], load: list[int], capacity: int
) -> int | None:
    """For chat: among agents already holding chats, one with the fewest (ties: the earliest
    to have become partially loaded)."""
    best, best_load = None, capacity
    for g in groups:
        for a in partial[g]:
            if load[a] < best_load:
                best, best_load = a, load[a]
    return best


def _ignore(i: int) -> None:
    """The default ``Queue.on_expire``: queues that do not expire their contacts never call it."""
