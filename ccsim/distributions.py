"""Distribution specs: what the TOML writes as ``{ dist = "...", ... }``.

Each spec samples ``n`` values from a ``numpy.random.Generator`` and knows its analytic mean
and variance (used by ``ccsim validate``, the Erlang estimates and the tests). Durations are in
seconds once the config is loaded.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

from ccsim.units import parse_duration


def _duration(value: object) -> object:
    try:
        return parse_duration(value)
    except ValueError as exc:  # pydantic turns ValueError into a validation error
        raise ValueError(str(exc)) from None


Seconds = Annotated[float, BeforeValidator(_duration)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

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
    cv_: float = Field(alias="cv", gt=0, description="coefficient of variation (sd / mean)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv_**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), n)

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
    cv_: float = Field(alias="cv", gt=0, description="coefficient of variation (sd / mean)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape, n)

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
    k: int = Field(ge=1, description="number of phases (cv = 1/sqrt(k))")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.k, self.mean_ / self.k, n)

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

    ``file`` is relative to the config file. Values are durations in seconds (numbers) or
    strings with units.
    """

    dist: Literal["empirical"]
    values: list[Seconds] | None = Field(default=None, description="observed values")
    file: str | None = Field(default=None, description="CSV file, relative to the config")
    column: str | None = Field(default=None, description="column of the CSV file to use")

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
            vals = [float(v) for v in frame[col].dropna().to_numpy()]
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


Distribution = Annotated[
    Exponential | Constant | Uniform | LogNormal | Gamma | Erlang | Empirical,
    Field(discriminator="dist"),
]

DIST_NAMES = ("exponential", "constant", "uniform", "lognormal", "gamma", "erlang", "empirical")
