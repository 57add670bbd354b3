"""One task of a sweep: simulate one point (a set of overrides) for a block of its replications.

A task is a pure function of its inputs (the base config, the overrides, the seed and the
replication numbers), so its result is the same on any executor. A point is named by a hash of
what its numbers depend on (``point_key``: the config, the overrides and the seed), and a task's
result by that key and its replications, ``KEY.rA-B`` for replications A to B: a replication
that is finished is never run again, however the replications are grouped into tasks.

Replication ``r`` of a point uses the random streams of replication ``r`` of
``ccsim.simulate(scenario, replications=R, seed=seed)`` (whichever other replications run with
it): with common random numbers (the default) every point gets the sweep's seed, so points
differ only by their overrides.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import ccsim.api as api
from ccsim.config.errors import ConfigError
from ccsim.config.loader import set_path
from ccsim.economics.accounting import MONEY, RATIOS
from ccsim.economics.prices import has_prices
from ccsim.scenario import Scenario

SCHEMA_VERSION = 2  # 2: a priced point keeps its money columns
MONEY_COLUMNS = [*MONEY, "paid_hours", *RATIOS]  # a priced point's money KPIs
MIN_TASKS = 32  # fewer points than this: split their replications into blocks


def canonical(value: Any) -> str:
    """A stable JSON text of a value (sorted keys; dates and paths as strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def point_key(config: dict[str, Any], overrides: dict[str, Any], seed: int) -> str:
    """The name of a point: a hash of everything its numbers depend on, but the replications."""
    text = canonical({"v": SCHEMA_VERSION, "config": config, "overrides": overrides, "seed": seed})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def task_key(point: str, first: int, last: int) -> str:
    """The name of a task's result: its point's key and its replications (``first`` to ``last``)."""
    return f"{point}.r{first}-{last}"


def parse_task_key(key: str) -> tuple[str, int, int] | None:
    """``KEY.rA-B`` -> (KEY, A, B), or None for another name."""
    point, _, reps = key.rpartition(".r")
    first, _, last = reps.partition("-")
    if not point or not first.isdigit() or not last.isdigit():
        return None
    return point, int(first), int(last)


def block_size(replications: int, points: int, per_task: int | None = None) -> int:
    """How many replications of a point one task runs.

    A whole point, unless the sweep has fewer than ``MIN_TASKS`` points: then each point's
    replications are split into near-equal blocks so that the sweep has about ``MIN_TASKS``
    tasks, which keeps every core (or cluster worker) busy. ``per_task`` overrides it.
    """
    if per_task is not None:
        return max(int(per_task), 1)
    return math.ceil(replications / min(replications, math.ceil(MIN_TASKS / max(points, 1))))


def blocks(missing: list[int], size: int) -> list[tuple[int, int]]:
    """Runs of consecutive replication numbers, cut into blocks of at most ``size``:
    ``blocks([0, 1, 2, 5, 6], 2) == [(0, 1), (2, 2), (5, 6)]`` as (first, last)."""
    out: list[tuple[int, int]] = []
    for r in sorted(missing):
        if out and r == out[-1][1] + 1 and r - out[-1][0] < size:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def point_seed(seed: int, overrides: dict[str, Any]) -> int:
    """The seed of a point without common random numbers: from the sweep's seed and the point's
    overrides (not its position, so adding points to a design changes no other point)."""
    digest = hashlib.sha256(canonical({"seed": seed, "overrides": overrides}).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to simulate a block of replications of one point (the base config as
    parsed TOML, so it pickles small and is validated where it runs)."""

    key: str  # task_key(point, first, last)
    config: dict[str, Any]
    base_dir: str
    source: str | None
    overrides: dict[str, Any]
    first: int  # replications first..last
    last: int
    seed: int

    @property
    def replications(self) -> list[int]:
        return list(range(self.first, self.last + 1))


@dataclass
class PointOutcome:
    """The result of one task: KPIs per replication (``Results.per_replication``), or an error."""

    key: str
    rows: pd.DataFrame | None = None
    sl_definitions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    error: str | None = None
    traceback: str | None = None
    reused: bool = False  # read back from the store rather than computed now

    @property
    def ok(self) -> bool:
        return self.error is None


def normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes, so rows computed now and rows read back from Parquet compare equal."""
    out = rows.reset_index(drop=True)
    fixed: dict[str, Any] = {"replication": out["replication"].astype("int64")}
    for col in ("group_by", "group"):
        fixed[col] = out[col].astype(str)
    for col in out.columns:
        if col not in fixed and out[col].dtype != "float64":
            fixed[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.assign(**fixed)


def build_scenario(
    config: dict[str, Any], base_dir: str, source: str | None, overrides: dict[str, Any]
) -> Scenario:
    """The scenario of a point: the base config with the overrides set, validated."""
    raw = copy.deepcopy(config)
    for path, value in overrides.items():
        set_path(raw, path, copy.deepcopy(value))
    return Scenario(raw, Path(base_dir), source)


def with_money(rows: pd.DataFrame, money: pd.DataFrame) -> pd.DataFrame:
    """The KPI rows of a replication with the money columns (costs, lost value, cost per
    contact, CSAT, ...) of ``Money.per_replication`` beside them, per group."""
    keys = ["replication", "group_by", "group"]
    cols = [c for c in MONEY_COLUMNS if c in money.columns and c not in rows.columns]
    money = money[[*keys, *cols]].assign(group=money["group"].astype(str))
    return rows.assign(group=rows["group"].astype(str)).merge(money, on=keys, how="left")


def run_point(task: PointTask) -> PointOutcome:
    """Simulate one point; any error is returned in the outcome, never raised."""
    t0 = time.perf_counter()
    try:
        scenario = build_scenario(task.config, task.base_dir, task.source, task.overrides)
        results = api.simulate(
            scenario, replications=task.replications, seed=task.seed, contacts=False, workers=1
        )
        rows = results.per_replication
        if has_prices(scenario):
            rows = with_money(rows, results.money.per_replication)
        return PointOutcome(
            key=task.key,
            rows=normalise(rows),
            sl_definitions=dict(results.sl_definitions),
            warnings=list(results.warnings),
            wall_s=time.perf_counter() - t0,
        )
    except Exception as exc:
        message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        return PointOutcome(
            key=task.key,
            wall_s=time.perf_counter() - t0,
            error=message,
            traceback=traceback.format_exc(),
        )
