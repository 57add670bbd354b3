"""The one boundary between the model and SimPy's event loop.

SimPy provides the engine: the clock (``now``), the event queue (a heap of ``(time, priority,
event id, event)``) and the id counter that keeps events at equal times in the order they were
scheduled; ordinary SimPy events (``event()``, ``succeed``) work beside the centre's timers.
The centre adds two things that cost SimPy an object per occurrence:

- *timers*: ``at(time, callback, payload)`` puts the pair ``(callback, payload)`` on the heap
  where ``Environment.schedule`` would put an event (normal priority, the next event id);
  when it is due the loop calls ``callback(payload)``.
- *merged arrivals*: an ``Arrivals`` source (``due``, ``arrive()``) whose arrivals are already
  in time order; the loop takes whichever is earlier, the heap's head or the next arrival (the
  heap first at equal times), so no heap operation per arrival.

This module is the only code that knows how events are stored: it alone touches SimPy's
private attributes (``_queue``, ``_eid``, ``_now``, ``_ok``, ``_value``, ``_defused``), and
``tests/test_scheduler.py`` fails loudly if SimPy's layout changes. ``Scheduler.step`` knows
the timers and the arrivals, so SimPy's own ``run()`` works on a centre's scheduler;
``run_until`` is the same loop with ``step`` inlined (a method call per event is a sixth of a
run's time).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping
from heapq import heappop, heappush
from typing import Protocol, TypeVar, cast

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

P = TypeVar("P")
Timer = tuple[Callable[[object], None], object]  # (callback, payload)
Entry = tuple[float, int, int, object]  # SimPy's heap entry: time, priority, id, event or Timer


class Arrivals(Protocol):
    """A source of arrivals in time order (``Centre`` is one)."""

    @property
    def due(self) -> float:
        """The time of the next arrival (infinite when none is pending)."""
        ...

    def arrive(self) -> None:
        """Let the next arrival in (the clock is at ``due``)."""
        ...


class NoArrivals:
    """The source of a scheduler that merges no arrivals."""

    due = math.inf

    def arrive(self) -> None:
        raise AssertionError("no arrival is due")


class Scheduler(simpy.Environment):
    """SimPy's ``Environment`` with the centre's timers and merged arrivals (see the module)."""

    # The clock is a plain attribute (SimPy's ``now`` is a property over ``_now``, a function
    # call per read); SimPy's own code reads and writes ``_now``, which maps onto it.
    now: float = 0.0

    @property
    def _now(self) -> float:
        return self.now

    @_now.setter
    def _now(self, time: float) -> None:
        self.now = time

    def __init__(self, arrivals: Arrivals | None = None) -> None:
        super().__init__()
        self.arrivals: Arrivals = arrivals if arrivals is not None else NoArrivals()
        self._heap = cast(list[Entry], self._queue)

    def at(self, time: float, callback: Callable[[P], None], payload: P) -> None:
        """Call ``callback(payload)`` at ``time`` (after the events already due then)."""
        heappush(self._heap, (time, NORMAL, next(self._eid), (callback, payload)))

    def after(self, delay: float, callback: Callable[[P], None], payload: P) -> None:
        """Call ``callback(payload)`` after ``delay``."""
        heappush(self._heap, (self.now + delay, NORMAL, next(self._eid), (callback, payload)))

    def step(self) -> None:
        """Process the next event, timer or arrival, as ``Environment.step`` does for events.

        Raises ``EmptySchedule`` when nothing is left, so ``run()`` works as in SimPy."""
        heap = self._heap
        due = self.arrivals.due
        if not heap or heap[0][0] > due:
            if due == math.inf:
                raise EmptySchedule
            self.now = due
            self.arrivals.arrive()
            return
        t, _, _, event = heappop(heap)
        self.now = t
        if type(event) is tuple:
            event[0](event[1])
            return
        _fire(self, cast(Event, event))

    def run_until(self, until: Event) -> None:
        """``run(until=until)`` with ``step`` inlined: the replication's event loop.

        It returns once ``until`` has been processed (all its callbacks called). Like
        ``run(until=until)`` it raises ``until``'s own exception if ``until`` failed and
        ``RuntimeError`` if nothing is left to happen before ``until`` is triggered; like
        ``step`` it raises a copy of the exception of any other failed event that was not
        defused (its ``__cause__`` the original), and lets exceptions of callbacks through."""
        heap = self._heap
        pop = heappop
        pair = tuple
        inf = math.inf
        source = self.arrivals
        arrive = source.arrive
        while True:
            due = source.due
            if heap and heap[0][0] <= due:
                t, _, _, event = pop(heap)
                self.now = t
                if type(event) is pair:
                    event[0](event[1])
                    continue
                ev = cast(Event, event)
                callbacks, ev.callbacks = ev.callbacks, None  # type: ignore[assignment]
                for callback in callbacks:
                    callback(ev)
                if ev is until:
                    if not ev._ok:
                        raise ev._value
                    return
                if not ev._ok and not hasattr(ev, "_defused"):
                    raise _copy(ev._value)
            elif due < inf:
                self.now = due
                arrive()
            else:
                raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}')

    def renumber(self, names_contact: Container[object], remap: Mapping[int, int]) -> None:
        """Renumber the contacts named by timers whose callback is in ``names_contact`` (their
        payload is the contact's index, or a tuple that starts with it); the timers of contacts
        missing from ``remap`` are cancelled. Times and ids are kept: the heap stays a heap."""
        heap = self._heap
        for k, (t, prio, eid, event) in enumerate(heap):
            if type(event) is not tuple or event[0] not in names_contact:
                continue
            callback, value = cast(Timer, event)
            i = value if isinstance(value, int) else cast(tuple[int, ...], value)[0]
            if i in remap:
                new = remap[i] if isinstance(value, int) else (remap[i], *cast(tuple[int, ...], value)[1:])
                heap[k] = (t, prio, eid, (callback, new))
            else:  # a timer of a contact that has left (patience, overflow, ...)
                heap[k] = (t, prio, eid, (_cancelled, None))

    def pending(self) -> int:
        """Events and timers on the heap (for tests)."""
        return len(self._heap)


def _fire(env: simpy.Environment, event: Event) -> None:
    """The part of ``Environment.step`` after the pop (SimPy 4.1)."""
    callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
    try:
        for callback in callbacks:
            callback(event)
    except StopSimulation:
        event.callbacks = callbacks[callbacks.index(callback) + 1 :]
        env.schedule(event, EventPriority(-1))
        raise
    if not event._ok and not hasattr(event, "_defused"):
        raise _copy(event._value)


def _copy(exc: BaseException) -> BaseException:
    """The exception SimPy's ``step`` raises for a failed event: a copy, caused by the original."""
    new = type(exc)(*exc.args)
    new.__cause__ = exc
    return new


def _cancelled(_payload: object) -> None:
    """A cancelled timer."""
