"""Parsing of durations, rates and clock times written with units in the TOML.

Durations: ``"20s"``, ``"4.5min"``, ``"2h"``, ``"1d"`` or a bare number (seconds).
Rates: ``"19.5/min"``, ``"1170/h"``, ``"9000/day"`` or a bare number (per second).
Clock times: ``"08:00"`` or ``"08:30:15"`` (time of day, returned in seconds after midnight).
All values are returned in seconds (durations) or per second (rates).
"""

from __future__ import annotations

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

UNITS_HELP = "s, min, h, d (for example '20s', '4.5min', '2h')"


def parse_duration(value: object) -> float:
    """Return a duration in seconds; raise ``ValueError`` with a readable message."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '20s' or '4.5min' (got {value!r})")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '20s' or '4.5min' (got {value!r})")
    m = _DURATION_RE.match(value)
    if not m:
        raise ValueError(f"malformed duration {value!r}: write a number and a unit, {UNITS_HELP}")
    number, unit = float(m.group(1)), m.group(2).lower()
    if unit == "":
        return number
    if unit not in _UNIT_SECONDS:
        raise ValueError(f"unknown time unit {m.group(2)!r} in {value!r}: use {UNITS_HELP}")
    return number * _UNIT_SECONDS[unit]


def parse_rate(value: object) -> float:
    """Return a rate per second from ``'19.5/min'``, ``'1170/h'``, ``'9000/day'`` or a number."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate such as '19.5/min' (got {value!r})")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a rate such as '19.5/min' (got {value!r})")
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
    return count / (per * _UNIT_SECONDS[unit])


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
