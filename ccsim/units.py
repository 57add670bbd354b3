"""Parsing of durations, rates and clock times written with units in the TOML.

Durations: ``"20s"``, ``"4.5min"``, ``"2h"``, ``"1d"``.
Rates: ``"19.5/min"``, ``"1170/h"``, ``"9000/day"``.
Clock times: ``"08:00"`` or ``"08:30:15"`` (time of day, returned in seconds after midnight).
All values are returned in seconds (durations) or per second (rates).

A scenario file must write the unit (``require_unit=True``): a bare number such as
``rate = 40`` is refused, since it could mean 40 per second, per minute or per hour. Only a
bare ``0`` is accepted (it means the same in every unit). Code that passes numbers it already
holds in seconds (or per second) leaves ``require_unit`` off. Values that are not finite
(``inf``, ``nan``, or ``"1e308h"``, which overflows) are always refused.
"""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]*)\s*$")
_RATE_RE = re.compile(rf"^\s*({_NUMBER})\s*(?:per|/)\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")

MAX_DURATION = 1000 * 86400.0
"""Longest duration a scenario may write (1000 days; ``ccsim.config.limits``)."""

UNITS_HELP = "s, min, h, d (for example '20s', '4.5min', '2h')"


def _finite(number: float, value: object, what: str) -> float:
    if not math.isfinite(number):
        raise ValueError(f"a {what} must be a finite number (got {value!r})")
    return number


NEEDS_UNIT = "needs a unit"
"""The words of every message about a rate or a duration written without its unit."""


def duration_needs_unit(number: float) -> str:
    """The message for a duration written without a unit."""
    n = f"{number:g}"
    return f"a duration {NEEDS_UNIT}: write '{n}s', '{n}min' or '{n}h' (a bare number is ambiguous)"


def rate_needs_unit(number: float) -> str:
    """The message for a rate written without a unit."""
    n = f"{number:g}"
    return f"a rate {NEEDS_UNIT}: write '{n}/h' or '{n}/min' (a bare number is ambiguous)"


def parse_duration(value: object, require_unit: bool = False) -> float:
    """Return a duration in seconds; raise ``ValueError`` with a readable message.

    A bare number is taken as seconds, unless ``require_unit`` (then only 0 is accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '20s' or '4.5min' (got {value!r})")
    if isinstance(value, int | float):
        number = _finite(float(value), value, "duration")
        if require_unit and number != 0:
            raise ValueError(duration_needs_unit(number))
        return number
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '20s' or '4.5min' (got {value!r})")
    m = _DURATION_RE.match(value)
    if not m:
        raise ValueError(f"malformed duration {value!r}: write a number and a unit, {UNITS_HELP}")
    number, unit = float(m.group(1)), m.group(2).lower()
    if unit == "":
        if require_unit and number != 0:
            raise ValueError(duration_needs_unit(number))
        return _finite(number, value, "duration")
    if unit not in _UNIT_SECONDS:
        raise ValueError(f"unknown time unit {m.group(2)!r} in {value!r}: use {UNITS_HELP}")
    return _finite(number * _UNIT_SECONDS[unit], value, "duration")


def parse_rate(value: object, require_unit: bool = False) -> float:
    """Return a rate per second from ``'19.5/min'``, ``'1170/h'``, ``'9000/day'``.

    A bare number is taken as per second, unless ``require_unit`` (then only 0 is accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate such as '19.5/min' (got {value!r})")
    if isinstance(value, int | float):
        number = _finite(float(value), value, "rate")
        if require_unit and number != 0:
            raise ValueError(rate_needs_unit(number))
        return number
    if not isinstance(value, str):
        raise ValueError(f"expected a rate such as '19.5/min' (got {value!r})")
    bare = _DURATION_RE.match(value)
    if bare and not bare.group(2) and require_unit and float(bare.group(1)) != 0:
        raise ValueError(rate_needs_unit(float(bare.group(1))))
    m = _RATE_RE.match(value)
    if not m:
        raise ValueError(
            f"malformed rate {value!r}: write a count per time unit, such as '19.5/min', "
            "'1170/h' or '9000/day'"
        )
    count = float(m.group(1))
    per = float(m.group(2)) if m.group(2) else 1.0
    unit = m.group(3).lower()
    if unit not in _UNIT_SECONDS:
        raise ValueError(f"unknown time unit {m.group(3)!r} in {value!r}: use {UNITS_HELP}")
    if per <= 0:
        raise ValueError(f"malformed rate {value!r}: the time after '/' must be > 0")
    return _finite(count / (per * _UNIT_SECONDS[unit]), value, "rate")


def rate_unit(unit: str) -> float:
    """The factor from numbers in ``unit`` (``'/h'``, ``'per min'``, ``'/30min'``) to per second."""
    text = unit.strip()
    if not text.startswith(("/", "per")):
        raise ValueError(f"a rate unit is written '/h', '/min', '/30min' or '/day' (got {unit!r})")
    return parse_rate("1" + text)


def duration_unit(unit: str) -> float:
    """The factor from numbers in ``unit`` (``'s'``, ``'min'``, ``'h'``) to seconds."""
    text = unit.strip().lower()
    if text not in _UNIT_SECONDS:
        raise ValueError(f"a duration unit is one of {UNITS_HELP} (got {unit!r})")
    return _UNIT_SECONDS[text]


def parse_clock(value: object) -> float:
    """Return a time of day (``'08:30'``) as seconds after midnight (24:00 allowed)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a time of day such as '08:00' (got {value!r})")
    m = _CLOCK_RE.match(value)
    if not m:
        raise ValueError(f"malformed time of day {value!r}: write HH:MM, such as '08:00'")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mi >= 60 or s >= 60 or h > 24 or (h == 24 and (mi or s)):
        raise ValueError(f"time of day {value!r} is out of range 00:00-24:00")
    return h * 3600.0 + mi * 60.0 + s


def format_duration(seconds: float) -> str:
    """A short human form of a duration: '20s', '4.5min', '2h', '1.5d'."""
    s = float(seconds)
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(s) >= size and (s / size) == round(s / size, 2):
            return f"{s / size:g}{unit}"
    return f"{s:g}s"


_COLUMN_DURATION_RE = re.compile(r"(?:^|[_\s(\[])(s|sec|secs|seconds|min|mins|minutes|h|hours)[)\]]?$")
_COLUMN_RATE_RE = re.compile(
    r"(?:(?:^|[_\s(\[])per[_\s]?|/)(\d+)?[_\s]?(s|sec|second|min|minute|h|hr|hour|d|day)[)\]]?$"
)


def column_unit(column: str, kind: str) -> float | None:
    """The unit a CSV column's name carries, as a factor to seconds (``kind='duration'``:
    ``handle_s``, ``talk_min``) or to per second (``kind='rate'``: ``calls_per_hour``,
    ``calls_per_30min``, ``calls/h``); ``None`` when the name carries none."""
    name = column.strip().lower()
    if kind == "duration":
        m = None if _COLUMN_RATE_RE.search(name) else _COLUMN_DURATION_RE.search(name)
        return _UNIT_SECONDS[m.group(1)] if m else None
    m = _COLUMN_RATE_RE.search(name)
    if not m:
        return None
    per = float(m.group(1)) if m.group(1) else 1.0
    return 1.0 / (per * _UNIT_SECONDS[m.group(2)])
