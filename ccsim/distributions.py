"""Distribution specs: what the TOML writes as ``{ dist = "...", ... }``.

Each spec samples ``n`` values from a ``numpy.random.Generator`` and knows its analytic mean
and variance (used by ``ccsim validate``, the Erlang estimates and the tests). Durations are in
seconds once the config is loaded.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

from ccsim.units import MAX_DURATION, column_unit, duration_unit, parse_duration

REQUIRE_UNITS = "require_units"
"""Validation context key: when true (a scenario file), durations and rates need their unit."""


class Factor(float):
    """A plain number where a distribution usually holds durations (the busyness factor)."""


def units_required(info: ValidationInfo | None) -> bool:
    return bool(info is not None and (info.context or {}).get(REQUIRE_UNITS))


def _duration(value: object, info: ValidationInfo) -> object:
    if isinstance(value, Factor):
        return float(value)
    seconds = parse_duration(value, require_unit=units_required(info))
    if units_required(info) and abs(seconds) > MAX_DURATION:
        raise ValueError(f"a duration is at most {MAX_DURATION / 86400:,.0f} days (got {value!r})")
    return seconds


Seconds = Annotated[float, BeforeValidator(_duration)]


MAX_CV = 20.0
"""Largest coefficient of variation of a lognormal or gamma distribution."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def draw(self, rng: np.random.Generator) -> float:
        """One value: the same number as ``float(self.sample(rng, 1)[0])``, drawing the same
        random numbers from ``rng``, without an array (numpy's scalar call of the same
        method). The engine draws the values of the contacts created during the run this way."""
        return float(self.sample(rng, 1)[0])

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """A function of no argument that does what ``draw(rng)`` does, with the parameters
        bound once (the engine's per-contact draws)."""
        return partial(self.draw, rng)

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def cv(self) -> float:
        m = self.mean
        return math.sqrt(self.variance) / m if m > 0 else 0.0

    def scaled(self, factor: float) -> _Dist:
        """The same shape with every value multiplied by ``factor``."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean (memoryless; the Markovian case of Erlang C and A)."""

    dist: Literal["exponential"]
    mean_: Seconds = Field(alias="mean", gt=0, description="mean (a duration, e.g. '5min')")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        return partial(rng.exponential, self.mean_)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def scaled(self, factor: float) -> Exponential:
        return Exponential(dist="exponential", mean=self.mean_ * factor)


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"]
    value: Seconds = Field(ge=0, description="the value (a duration)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def draw(self, rng: np.random.Generator) -> float:
        return float(self.value)

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        return partial(float, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def scaled(self, factor: float) -> Constant:
        return Constant(dist="constant", value=self.value * factor)


class Uniform(_Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: Seconds = Field(ge=0, description="lower bound (a duration)")
    high: Seconds = Field(ge=0, description="upper bound (a duration)")

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low (got low={self.low:g}s, high={self.high:g}s)")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        return partial(rng.uniform, self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def scaled(self, factor: float) -> Uniform:
        return Uniform(dist="uniform", low=self.low * factor, high=self.high * factor)


class LogNormal(_Dist):
    """Lognormal given by its mean and coefficient of variation (typical of handle times)."""

    dist: Literal["lognormal"]
    mean_: Seconds = Field(alias="mean", gt=0, description="mean (a duration)")
    cv_: float = Field(alias="cv", gt=0, le=MAX_CV, description="coefficient of variation (sd / mean)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv_**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), n)

    def draw(self, rng: np.random.Generator) -> float:
        sigma2 = math.log1p(self.cv_**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return float(rng.lognormal(mu, math.sqrt(sigma2)))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        sigma2 = math.log1p(self.cv_**2)
        return partial(rng.lognormal, math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2))

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv_ * self.mean_) ** 2

    def scaled(self, factor: float) -> LogNormal:
        return LogNormal(dist="lognormal", mean=self.mean_ * factor, cv=self.cv_)


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean_: Seconds = Field(alias="mean", gt=0, description="mean (a duration, or a number)")
    cv_: float = Field(alias="cv", gt=0, le=MAX_CV, description="coefficient of variation (sd / mean)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape, n)

    def draw(self, rng: np.random.Generator) -> float:
        shape = 1.0 / self.cv_**2
        return float(rng.gamma(shape, self.mean_ / shape))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        shape = 1.0 / self.cv_**2
        return partial(rng.gamma, shape, self.mean_ / shape)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv_ * self.mean_) ** 2

    def scaled(self, factor: float) -> Gamma:
        return Gamma(dist="gamma", mean=self.mean_ * factor, cv=self.cv_)


class Erlang(_Dist):
    """Erlang: the sum of ``k`` exponential phases, with the given overall mean."""

    dist: Literal["erlang"]
    mean_: Seconds = Field(alias="mean", gt=0, description="mean (a duration)")
    k: int = Field(ge=1, le=1000, description="number of phases (cv = 1/sqrt(k))")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.k, self.mean_ / self.k, n)

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.gamma(self.k, self.mean_ / self.k))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        return partial(rng.gamma, self.k, self.mean_ / self.k)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2 / self.k

    def scaled(self, factor: float) -> Erlang:
        return Erlang(dist="erlang", mean=self.mean_ * factor, k=self.k)


class Empirical(_Dist):
    """Resampling of observed values, given inline or as a column of a CSV file.

    ``file`` is relative to the config file. Values are durations with units
    (``["95s", "2min"]``), or plain numbers in the distribution's ``unit``
    (``unit = "s", values = [95, 120]``); a file's column says its unit by ``unit`` or its name.
    """

    dist: Literal["empirical"]
    values: list[Seconds] | None = Field(default=None, description="observed values")
    file: str | None = Field(default=None, description="CSV file, relative to the config")
    column: str | None = Field(default=None, description="column of the CSV file to use")
    unit: str | None = Field(
        default=None,
        description="unit of plain numbers in 'values' or in the file: 's', 'min' or 'h' (a file's "
        "column may say it in its name instead, e.g. 'talk_s', 'talk_min')",
    )

    @model_validator(mode="before")
    @classmethod
    def _inline_unit(cls, data: object) -> object:
        """With ``unit``, inline values are plain numbers in that unit."""
        if not isinstance(data, dict) or data.get("unit") is None or not isinstance(data.get("values"), list):
            return data
        factor = duration_unit(str(data["unit"]))
        values = []
        for v in data["values"]:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"with unit = {data['unit']!r}, values are plain numbers (got {v!r})")
            values.append(Factor(v * factor))
        return {**data, "values": values}

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Empirical:
        if (self.values is None) == (self.file is None):
            raise ValueError("give either 'values' or 'file' (with 'column'), not both or neither")
        if self.file is not None:
            base = Path((info.context or {}).get("base_dir", "."))
            path = (base / self.file).resolve()
            if not path.exists():
                raise ValueError(f"file not found: {self.file!r} (looked in {path})")
            import pandas as pd

            frame = pd.read_csv(path)
            col = self.column or frame.columns[0]
            if col not in frame.columns:
                raise ValueError(
                    f"column {col!r} not in {self.file!r} (columns: {', '.join(map(str, frame.columns))})"
                )
            factor = _file_unit(self.unit, str(col), self.file, units_required(info))
            try:
                vals = [float(v) * factor for v in frame[col].dropna().to_numpy()]
            except (TypeError, ValueError):
                raise ValueError(f"column {col!r} of {self.file!r} must hold numbers") from None
            if not all(math.isfinite(v) for v in vals):
                raise ValueError(f"column {col!r} of {self.file!r} must hold finite numbers")
            object.__setattr__(self, "values", vals)
        assert self.values is not None
        if len(self.values) == 0:
            raise ValueError("an empirical distribution needs at least one value")
        if min(self.values) < 0:
            raise ValueError(f"values must be >= 0 (got {min(self.values):g})")
        return self

    def _array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(self._array(), n)

    @property
    def mean(self) -> float:
        return float(self._array().mean())

    @property
    def variance(self) -> float:
        return float(self._array().var())

    def scaled(self, factor: float) -> Empirical:
        return Empirical(dist="empirical", values=[v * factor for v in self._array()])


class Survival(_Dist):
    """A survival curve (e.g. a Kaplan-Meier patience curve): the share still waiting at each
    time of ``at``, with a constant hazard between the times (the survival falls log-linearly,
    from 1 at 0) and the last piece's hazard continuing after the last time (an exponential tail).
    """

    dist: Literal["survival"]
    at: list[Seconds] = Field(min_length=1, description="times, increasing, e.g. ['30s', '1min']")
    survival: list[float] = Field(min_length=1, description="share still waiting at each time, falling")

    @model_validator(mode="after")
    def _falling(self) -> Survival:
        t, s = self.at, self.survival
        if len(t) != len(s):
            raise ValueError(f"'at' and 'survival' need as many values ({len(t)} and {len(s)})")
        if t[0] <= 0 or any(b <= a for a, b in itertools.pairwise(t)):
            raise ValueError("'at' must be times > 0, increasing")
        if not (s[-1] > 0 and s[0] < 1) or any(b >= a for a, b in itertools.pairwise(s)):
            raise ValueError("'survival' must be shares between 0 and 1 (exclusive), falling")
        return self

    def _pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Knots from 0, the cumulative hazard at them, and each piece's hazard (the last one
        continues beyond the last knot)."""
        t = np.concatenate([[0.0], np.asarray(self.at, dtype=float)])
        cum = np.concatenate([[0.0], -np.log(np.asarray(self.survival, dtype=float))])
        return t, cum, np.diff(cum) / np.diff(t)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        t, cum, h = self._pieces()
        e = rng.standard_exponential(n)  # the cumulative hazard at which each one gives up
        k = np.minimum(np.searchsorted(cum, e, side="right") - 1, len(h) - 1)
        return t[k] + (e - cum[k]) / h[k]

    def _moments(self) -> tuple[float, float]:
        """E[T] = integral of S, E[T^2] = 2 x integral of t S, piece by piece."""
        t, cum, h = self._pieces()
        a, b, s_a, s_b = t[:-1], t[1:], np.exp(-cum[:-1]), np.exp(-cum[1:])
        m1 = float(np.sum((s_a - s_b) / h)) + s_b[-1] / h[-1]
        m2 = float(np.sum(s_a * (a / h + 1 / h**2) - s_b * (b / h + 1 / h**2)))
        m2 += s_b[-1] * (b[-1] / h[-1] + 1 / h[-1] ** 2)
        return m1, 2 * m2

    @property
    def mean(self) -> float:
        return self._moments()[0]

    @property
    def variance(self) -> float:
        m1, m2 = self._moments()
        return m2 - m1 * m1

    def scaled(self, factor: float) -> Survival:
        return Survival(dist="survival", at=[v * factor for v in self.at], survival=list(self.survival))


def _file_unit(unit: str | None, column: str, file: str, required: bool) -> float:
    """Seconds per number of an empirical file: from ``unit``, or the column's name."""
    named = column_unit(column, "duration")
    if unit is not None:
        factor = duration_unit(unit)
        if named is not None and named != factor:
            raise ValueError(f"unit {unit!r} contradicts the column name {column!r}")
        return factor
    if named is not None:
        return named
    if required:
        raise ValueError(
            f"the unit of column {column!r} of {file!r} is not said: add unit = 's' (or 'min', "
            "'h'), or name the column with it, e.g. 'talk_s'"
        )
    return 1.0


Distribution = Annotated[
    Exponential | Constant | Uniform | LogNormal | Gamma | Erlang | Empirical | Survival,
    Field(discriminator="dist"),
]

DIST_NAMES = ("exponential", "constant", "uniform", "lognormal", "gamma", "erlang", "empirical", "survival")
