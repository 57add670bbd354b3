"""Designs: which points a sweep runs.

A *factor* is a config value addressed by its dotted path (``"agents.pool.count"``) together
with the values it may take:

- a list of levels: ``[95, 100, 105]``, ``["20s", "30s"]``, or tables such as distributions;
- a :class:`Range` (in a dict or a sweep file: ``{low = 90, high = 110, step = 5}``): numbers
  from ``low`` to ``high``, optionally whole numbers, on a log scale, or turned into a string
  with ``format`` (``{low = 15, high = 25, format = "{:.1f}/min"}`` gives ``"19.4/min"``), the
  way to sweep values written with units (rates, durations).

A *point* is one set of overrides, ``{path: value}``. A design turns factors into points:

- ``grid``: every combination (the last factor varies fastest); ranges need ``step`` or ``num``;
- ``zip``: the i-th value of every factor together (all factors have the same number of values);
- ``random``: ``samples`` points, each factor drawn independently and uniformly;
- ``lhs``: a Latin hypercube of ``samples`` points: each factor's range is cut into ``samples``
  equal strata and every stratum is used exactly once.

Ranges without ``step``/``num`` are sampled continuously (or as whole numbers); lists and ranges
with ``step``/``num`` are sampled among their levels. Samples are drawn from their own random
stream (the design's ``seed``), never from the simulation's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ccsim.config.errors import ConfigError, suggest

RANGE_KEYS = ("low", "high", "step", "num", "integer", "log", "format")
DESIGNS = ("grid", "zip", "random", "lhs")


@dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high`` (both included).

    ``step`` or ``num`` make it a list of levels (needed in a grid or zip design); without them a
    sampling design draws anywhere in the range. ``integer`` (default: when ``low`` and ``high``
    are both whole numbers written as integers) gives whole numbers; ``log`` spaces values
    evenly on a log scale; ``format`` (a ``str.format`` pattern with one field, e.g.
    ``"{:.1f}/min"`` or ``"{:.0f}s"``) turns each number into the string the config expects.
    """

    low: float
    high: float
    step: float | None = None
    num: int | None = None
    integer: bool | None = None
    log: bool = False
    format: str | None = None
    path: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"factors.{self.path}" if self.path else "range"
        for name in ("low", "high"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ConfigError([f"{where}.{name}: must be a finite number (got {v!r})"])
        if self.high < self.low:
            raise ConfigError([f"{where}: high must be >= low (got low={self.low!r}, high={self.high!r})"])
        if self.step is not None and self.num is not None:
            raise ConfigError([f"{where}: give step or num, not both"])
        if self.step is not None and not (isinstance(self.step, int | float) and self.step > 0):
            raise ConfigError([f"{where}.step: must be > 0 (got {self.step!r})"])
        if self.num is not None and not (isinstance(self.num, int) and self.num >= 1):
            raise ConfigError([f"{where}.num: must be a whole number >= 1 (got {self.num!r})"])
        if self.log and self.low <= 0:
            raise ConfigError([f"{where}.low: must be > 0 on a log scale (got {self.low!r})"])
        if self.format is not None:
            try:
                self.format.format(self.low)
            except (ValueError, IndexError, KeyError, TypeError) as exc:
                raise ConfigError(
                    [
                        f"{where}.format: not a format for one number, e.g. '{{:.1f}}/min' ({exc}; "
                        f"got {self.format!r})"
                    ]
                ) from None

    @property
    def is_integer(self) -> bool:
        if self.integer is not None:
            return self.integer
        return all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high))

    @property
    def discrete(self) -> bool:
        return self.step is not None or self.num is not None

    def _out(self, x: float) -> Any:
        v: Any = round(x) if self.is_integer else float(x)
        return self.format.format(v) if self.format is not None else v

    def levels(self) -> list[Any]:
        """The values of a range with ``step`` or ``num``, low to high, without repeats."""
        if self.step is not None:
            if self.log:
                raise ConfigError([f"factors.{self.path}: step cannot be used with log; use num"])
            n = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            xs = [self.low + i * self.step for i in range(n)]
        elif self.num is not None:
            if self.num == 1:
                xs = [self.low]
            elif self.log:
                xs = list(np.exp(np.linspace(math.log(self.low), math.log(self.high), self.num)))
            else:
                xs = list(np.linspace(self.low, self.high, self.num))
        else:
            raise ConfigError(
                [
                    f"factors.{self.path}: a range needs step or num to give a list of values "
                    f"(in a grid or zip design), e.g. {{low = {self.low}, high = {self.high}, num = 5}}"
                ]
            )
        out: list[Any] = []
        for x in xs:
            v = self._out(float(x))
            if v not in out:
                out.append(v)
        return out

    def at(self, u: np.ndarray) -> list[Any]:
        """Map numbers in [0, 1) to values of the range (evenly, or on a log scale)."""
        if self.discrete:
            levels = self.levels()
            return [levels[min(int(x * len(levels)), len(levels) - 1)] for x in u]
        if self.is_integer:
            lo, hi = math.ceil(self.low), math.floor(self.high)
            return [self._out(min(lo + math.floor(x * (hi - lo + 1)), hi)) for x in u]
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            return [self._out(math.exp(a + x * (b - a))) for x in u]
        return [self._out(self.low + x * (self.high - self.low)) for x in u]

    def describe(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in RANGE_KEYS if getattr(self, k) not in (None, False)}


@dataclass(frozen=True)
class Levels:
    """A factor's explicit list of values."""

    values: tuple[Any, ...]
    path: str = ""

    def levels(self) -> list[Any]:
        return list(self.values)

    def at(self, u: np.ndarray) -> list[Any]:
        n = len(self.values)
        return [self.values[min(int(x * n), n - 1)] for x in u]

    def describe(self) -> list[Any]:
        return list(self.values)


Factor = Range | Levels


def flatten_factors(factors: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"agents": {"pool": {"count": [..]}}}`` -> ``{"agents.pool.count": [..]}``.

    A table with ``low`` or ``high`` is a range, not a level of nesting.
    """
    out: dict[str, Any] = {}
    for key, value in factors.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not ({"low", "high"} & set(value)):
            if not value:
                raise ConfigError([f"factors.{path}: empty table; give a list of values or a range"])
            out.update(flatten_factors(value, path + "."))
        else:
            out[path] = value
    return out


def parse_factor(path: str, spec: Any) -> Factor:
    """A factor from a list of values or a range (a ``Range`` or a dict with low and high)."""
    if isinstance(spec, Range | Levels):
        return spec
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in RANGE_KEYS]
        if unknown:
            hint = suggest(str(unknown[0]), RANGE_KEYS)
            raise ConfigError(
                [f"factors.{path}.{unknown[0]}: unknown key{hint}; a range has {', '.join(RANGE_KEYS)}"]
            )
        missing = [k for k in ("low", "high") if k not in spec]
        if missing:
            raise ConfigError([f"factors.{path}: a range needs low and high (missing {missing[0]})"])
        return Range(**dict(spec), path=path)
    if isinstance(spec, np.ndarray):
        spec = spec.tolist()
    if isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        if len(spec) == 0:
            raise ConfigError([f"factors.{path}: needs at least one value (got an empty list)"])
        return Levels(tuple(_plain(v) for v in spec), path)
    raise ConfigError(
        [
            f"factors.{path}: a factor is a list of values or a range {{low, high}} (got {spec!r}); "
            "to set one value for every point, override it in the scenario (in a sweep file: [set])"
        ]
    )


def _plain(v: Any) -> Any:
    """numpy scalars -> Python numbers (so points serialise and validate like TOML values)."""
    return v.item() if isinstance(v, np.generic) else v


def parse_factors(factors: Mapping[str, Any]) -> dict[str, Factor]:
    flat = flatten_factors(factors)
    if not flat:
        raise ConfigError(["factors: give at least one factor, e.g. {'agents.pool.count': [95, 100]}"])
    return {path: parse_factor(path, spec) for path, spec in flat.items()}


@dataclass(frozen=True)
class Design:
    """How factors become points: ``kind`` is grid, zip, random or lhs.

    ``samples`` (random, lhs) is the number of points; ``seed`` the seed of the sample (default:
    the sweep's seed).
    """

    kind: str = "grid"
    samples: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in DESIGNS:
            raise ConfigError(
                [
                    f"design.kind: must be one of {', '.join(DESIGNS)}{suggest(self.kind, DESIGNS)} "
                    f"(got {self.kind!r})"
                ]
            )
        if self.kind in ("random", "lhs"):
            if self.samples is None:
                raise ConfigError([f"design.samples: required for the {self.kind} design"])
            if not isinstance(self.samples, int) or self.samples < 1:
                raise ConfigError([f"design.samples: must be a whole number >= 1 (got {self.samples!r})"])
        elif self.samples is not None:
            raise ConfigError(
                [
                    f"design.samples: only for random and lhs designs (the {self.kind} "
                    "design takes its points from the factors' values)"
                ]
            )

    def points(self, factors: Mapping[str, Factor], seed: int = 0) -> list[dict[str, Any]]:
        """The points of the design, in order."""
        paths = list(factors)
        if self.kind == "grid":
            levels = [factors[p].levels() for p in paths]
            return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*levels)]
        if self.kind == "zip":
            levels = [factors[p].levels() for p in paths]
            sizes = {len(v) for v in levels}
            if len(sizes) > 1:
                counts = ", ".join(f"{p} has {len(v)}" for p, v in zip(paths, levels, strict=True))
                raise ConfigError(
                    [
                        f"factors: the zip design pairs the i-th values of every factor, so all "
                        f"need the same number of values ({counts})"
                    ]
                )
            return [dict(zip(paths, combo, strict=True)) for combo in zip(*levels, strict=True)]
        n = int(self.samples or 0)
        root = seed if self.seed is None else self.seed
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(root), 0x5EED])))
        columns = []
        for p in paths:
            # lhs: one draw in each of n equal strata, the strata in random order
            u = rng.random(n) if self.kind == "random" else (rng.permutation(n) + rng.random(n)) / n
            columns.append(factors[p].at(u))
        return [dict(zip(paths, row, strict=True)) for row in zip(*columns, strict=True)]

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.samples is not None:
            out["samples"] = self.samples
        if self.seed is not None:
            out["seed"] = self.seed
        return out


def as_design(design: str | Design | Mapping[str, Any]) -> Design:
    """``"grid"``, ``"zip"``, a ``Design`` or a dict ``{"kind": "lhs", "samples": 20}``."""
    if isinstance(design, Design):
        return design
    if isinstance(design, str):
        if design in ("random", "lhs"):
            raise ConfigError(
                [
                    f"design: the {design} design needs a number of samples, e.g. "
                    f"Design({design!r}, samples=20) or {{kind = {design!r}, samples = 20}}"
                ]
            )
        return Design(design)
    if isinstance(design, Mapping):
        unknown = [k for k in design if k not in ("kind", "samples", "seed")]
        if unknown:
            raise ConfigError([f"design.{unknown[0]}: unknown key; a design has kind, samples, seed"])
        return Design(**dict(design))
    raise ConfigError([f"design: must be grid, zip, random or lhs (got {design!r})"])


def random(samples: int, seed: int | None = None) -> Design:
    """A design of ``samples`` points drawn independently and uniformly."""
    return Design("random", samples, seed)


def lhs(samples: int, seed: int | None = None) -> Design:
    """A Latin-hypercube design of ``samples`` points."""
    return Design("lhs", samples, seed)


def explicit_points(points: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Points given one by one (a list of override dicts): their paths, in order of appearance."""
    paths: list[str] = []
    out = []
    for i, p in enumerate(points):
        if not isinstance(p, Mapping):
            raise ConfigError([f"factors[{i}]: a point is a dict of overrides (got {p!r})"])
        flat = {str(k): v for k, v in p.items()}
        for k in flat:
            if k not in paths:
                paths.append(k)
        out.append({k: _plain(v) for k, v in flat.items()})
    if not out:
        raise ConfigError(["factors: the list of points is empty"])
    return paths, out
