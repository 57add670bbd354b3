"""Times of day in a scenario file: a clock time (``'08:00'``) and daily opening windows
(``'08:00-20:00'``, a list of such strings, or tables with ``open`` and ``close``), shared by the
channels' and sites' hours, shifts, breaks and blocks."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from ccsim.units import parse_clock


def _clock(value: object) -> object:  # the name is how error messages and the reference know it
    return parse_clock(value)


ClockTime = Annotated[float, BeforeValidator(_clock)]


def opening_windows(value: object) -> object:
    """Daily opening windows as tables with ``open`` and ``close``: ``'08:00-20:00'``, a list of
    such strings, or tables already (None stays None: always open)."""
    if value is None:
        return None
    out: list[object] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            parts = item.split("-")
            if len(parts) != 2:
                raise ValueError(f"malformed opening hours {item!r}: write 'HH:MM-HH:MM'")
            out.append({"open": parts[0], "close": parts[1]})
        else:
            out.append(item)
    return out
