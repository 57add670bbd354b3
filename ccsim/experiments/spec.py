"""The sweep file of ``ccsim sweep``: a base scenario, factors, a design, replications, seed, output.

```toml
[sweep]
config = "../quickstart.toml"      # the base scenario, relative to this file
replications = 5                   # default: the scenario's
seed = 42                          # default: the scenario's
# out = "results/agents"           # relative to this file; default: out/<this file's name>

[design]                           # or: design = "grid"
kind = "grid"                      # grid | zip | random | lhs
# samples = 20                     # random, lhs: the number of points
# seed = 0                         # random, lhs: the seed of the sample (default: [sweep] seed)

[factors]                          # dotted config path = list of values, or a range
"agents.specialists.count" = [14, 16, 18]
"demand.1.rate" = { low = 30, high = 60, num = 4, format = "{:.0f}/h" }

[set]                              # fixed overrides for every point (optional)
"scenario.duration" = "4h"
```
The keys are documented in docs/reference/sweep.md. Unknown keys are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ccsim.config.errors import ConfigError, from_validation_error
from ccsim.config.loader import read_toml
from ccsim.experiments.designs import Design, flatten_factors, parse_factor


class SweepSection(BaseModel):
    """[sweep]: what to run and where the results go."""

    model_config = ConfigDict(extra="forbid")
    config: str = Field(description="the base scenario TOML file, relative to the sweep file")
    replications: int | None = Field(
        None, ge=1, description="replications of every point (default: the scenario's)"
    )
    seed: int | None = Field(None, ge=0, description="root seed (default: the scenario's)")
    out: str | None = Field(
        None,
        description="output folder, relative to the sweep file "
        "(default: out/<sweep file name> in the current folder; --out overrides)",
    )
    common_random_numbers: bool = Field(
        True, description="every point uses the same seed, so differences between points are not noise"
    )


class DesignSection(BaseModel):
    """[design]: how the factors' values combine into points."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["grid", "zip", "random", "lhs"] = Field(
        "grid", description="grid: every combination; zip: i-th values together; random; lhs: Latin hypercube"
    )
    samples: int | None = Field(None, ge=1, description="random and lhs: the number of points")
    seed: int | None = Field(
        None, ge=0, description="random and lhs: seed of the sample (default: the sweep's)"
    )


class SweepFile(BaseModel):
    """A sweep file."""

    model_config = ConfigDict(extra="forbid")
    sweep: SweepSection
    design: DesignSection = Field(default_factory=DesignSection)
    factors: dict[str, Any] = Field(min_length=1, description="dotted config path -> list of values or range")
    set: dict[str, Any] = Field(
        default_factory=dict, description="dotted config path -> value, for every point"
    )

    @field_validator("design", mode="before")
    @classmethod
    def _design_name(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value


KNOWN_KEYS: dict[str, set[str]] = {
    "": {"sweep", "design", "factors", "set"},
    "sweep": set(SweepSection.model_fields),
    "design": set(DesignSection.model_fields),
}


def flatten_set(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``[set]`` as ``{path: value}``: sub-tables under plain keys are followed down to their
    values; a quoted dotted key (``"segments.vip.patience" = {...}``) takes its value whole."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "." not in key and value:
            out.update(flatten_set(value, path + "."))
        else:
            out[path] = value
    return out


class Sweep:
    """A loaded, checked sweep file: the paths resolved, the factors parsed."""

    def __init__(self, path: Path, spec: SweepFile, raw: dict[str, Any]):
        self.path = path
        self.spec = spec
        self.raw = raw
        here = path.resolve().parent
        self.config = here / spec.sweep.config
        self.out = here / spec.sweep.out if spec.sweep.out else None
        self.overrides = flatten_set(spec.set)
        problems: list[str] = []
        self.factors: dict[str, Any] = {}
        try:
            flat = flatten_factors(spec.factors)
        except ConfigError as exc:
            raise ConfigError(exc.problems, str(path)) from None
        for fpath, value in flat.items():
            try:
                self.factors[fpath] = parse_factor(fpath, value)
            except ConfigError as exc:
                problems.extend(exc.problems)
        try:
            d = spec.design
            self.design = Design(d.kind, d.samples, d.seed)
        except ConfigError as exc:
            problems.extend(exc.problems)
        if not self.config.is_file():
            problems.append(
                f"sweep.config: no such file {self.config} (paths are relative to the sweep file) "
                f"(got {spec.sweep.config!r})"
            )
        if problems:
            raise ConfigError(problems, str(path))


def load_sweep_file(path: str | Path) -> Sweep:
    """Read and check a sweep file (raises ``ConfigError``: path, rule, value)."""
    p = Path(path)
    raw = read_toml(p)
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(from_validation_error(exc, raw, KNOWN_KEYS), str(p)) from None
    return Sweep(p, spec, raw)
