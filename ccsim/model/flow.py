"""What the parts of the centre call back on it: the flow of a contact through the centre.

``Centre`` (``centre.py``) is the one implementation. The parts (patience, journeys,
relationship routing, the workforce) see the centre only through this narrow interface.
"""

from __future__ import annotations

from typing import Protocol

from ccsim.model.routing import Queue


class Flow(Protocol):
    """The centre's contact flow, as its parts use it."""

    open_contacts: int  # contacts in the system (waiting or in service)
    arrivals_done: bool  # the last arrival has come

    def serve(self, i: int, a: int, now: float) -> None:
        """Agent ``a`` (free, taken off its idle deque) answers contact ``i``."""
        ...

    def route(self, i: int, q: Queue, now: float, up_to: int = 0) -> bool:
        """Offer contact ``i`` to a free agent of its able groups; True if one took it."""
        ...

    def enqueue(self, i: int, q: Queue, now: float, patience_set: bool = False) -> None:
        """Contact ``i`` waits in queue ``q``."""
        ...

    def end_at_arrival(self, i: int, outcome: int) -> None:
        """Contact ``i`` ends as it arrives (closed, blocked, self-served, ...)."""
        ...

    def leave_system(self, i: int) -> None:
        """Contact ``i`` has ended: it frees its line and no longer counts as open."""
        ...

    def check_done(self) -> None:
        """End the run if it drains and nothing is open any more."""
        ...

    def free(self, a: int, now: float) -> None:
        """Agent ``a`` has capacity again: take waiting work, or become idle."""
        ...

    def arrive_created(self, i: int) -> None:
        """Contact ``i``, created during the run, arrives (a timer's callback)."""
        ...

    def dispatch_idle(self, g: int, now: float) -> None:
        """Idle agents of group ``g`` take waiting work, longest idle first."""
        ...
