"""``SweepResults``: the tables of a sweep, in a tidy, wide layout.

- ``per_replication``: one row per point and replication. Columns: ``point``, one column per
  factor (named by its dotted path, holding the value set at that point), ``replication``, then
  the KPIs of that replication: the whole centre's under their own names (``service_level``,
  ``asa_s``, ``abandon_rate``, ``occupancy``, ...) and each group's as ``KPI.BY.GROUP``, with BY
  one of ``channel``, ``segment``, ``contact_type``, ``agent_group`` (``service_level.channel.phone``,
  ``asa_s.segment.vip``, ``occupancy.agent_group.sales``). A group's KPI that is never defined
  (a channel's occupancy) has no column; a group without contacts at some point is NaN there.
  A scenario with prices (``ccsim.economics.prices.has_prices``) adds the money columns of
  ``Money.per_replication`` the same way: ``staffing``, ``service_cost``, ``lost_value``,
  ``total_cost``, ``cost_per_contact``, ``csat``, ... and ``total_cost.channel.phone``.
- ``summary``: one row per finished point: ``point``, the factors, ``replications``,
  ``sl_definition``, and for each KPI column of the ``Results.summary`` KPIs its mean across
  replications and ``<column>_ci95``, the 95% Student-t half-width.
- ``points``: every point: ``point``, the factors, ``key`` (the start of the names of its
  result files), ``status`` (``done``, ``failed``, ``pending``), ``error``, ``wall_s``
  (simulation time, all its tasks), ``reused`` (read from the output folder of an earlier run).
- ``long``: the same numbers as ``per_replication``, one row per point, replication and group
  (the layout of ``Results.per_replication``, with ``point`` and the factors in front).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ccsim.confidence import t_half_widths
from ccsim.config.errors import ConfigError
from ccsim.experiments.store import SweepStore
from ccsim.experiments.tasks import MONEY_COLUMNS, PointOutcome
from ccsim.results import KPIS
from ccsim.scenario import Scenario

GROUPS = ["all", "channel", "segment", "contact_type", "agent_group"]
INDEX = ["point", "replication"]


def column_name(kpi: str, by: str = "all", group: str = "all") -> str:
    """The wide column of a KPI: ``service_level`` or ``service_level.channel.phone``."""
    return kpi if by == "all" else f"{kpi}.{by}.{group}"


def _summary_kpis() -> list[str]:
    return [*KPIS, "agents", *MONEY_COLUMNS]


def widen(long: pd.DataFrame) -> pd.DataFrame:
    """Long rows (point, replication, group_by, group, KPIs) -> one row per point and replication."""
    kpis = [c for c in long.columns if c not in (*INDEX, "group_by", "group")]
    keys = long[INDEX].drop_duplicates().sort_values(INDEX)
    index = pd.MultiIndex.from_frame(keys)
    present = list(dict.fromkeys(long["group_by"]))
    parts = []
    for by in [*[g for g in GROUPS if g in present], *[g for g in present if g not in GROUPS]]:
        sub = long[long["group_by"] == by]
        cols = [k for k in kpis if sub[k].notna().any()]
        for group in dict.fromkeys(sub["group"]):
            part = sub[sub["group"] == group].set_index(INDEX)[cols]
            part.columns = [column_name(k, by, str(group)) for k in cols]
            parts.append(part)
    if not parts:
        return keys.reset_index(drop=True)
    wide = pd.concat(parts, axis=1).reindex(index).copy()  # copy: one block, not one per part
    return wide.reset_index()


def summarise_points(wide: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% half-width across replications of each KPI column, one row per point."""
    wanted = set(_summary_kpis())
    cols = [c for c in wide.columns if c not in INDEX and c.split(".", 1)[0] in wanted]
    grouped = wide.groupby("point", sort=True)[cols]
    mean = grouped.mean()
    n = grouped.count()
    sd = grouped.std(ddof=1)
    half = t_half_widths(n.to_numpy(), sd.to_numpy())
    out = pd.DataFrame({"point": mean.index.to_numpy()})
    out["replications"] = wide.groupby("point", sort=True).size().to_numpy()
    data: dict[str, Any] = {}
    for j, c in enumerate(cols):
        data[c] = mean[c].to_numpy()
        data[f"{c}_ci95"] = half[:, j]
    return pd.concat([out, pd.DataFrame(data)], axis=1)


def _sl_text(definitions: dict[str, str]) -> str:
    return "; ".join(f"{c}: {t}" for c, t in definitions.items())


def assemble(
    points: list[dict[str, Any]],
    factors: list[str],
    replications: int,
    done: dict[str, list[PointOutcome]],
    failed: dict[str, list[PointOutcome]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(points, long, per_replication, summary) from the manifest's points and the tasks' outcomes.

    ``points`` are dicts with ``point``, ``key`` and ``overrides``; ``done`` and ``failed`` map a
    point's key to the outcomes of its finished and failed tasks. A point is done when its
    finished tasks hold replications 0 to ``replications - 1``; tasks may overlap (replication r
    is the same in every task that ran it) or hold more.
    """
    failed = failed or {}
    rows, frames = [], []
    for p in points:
        found = [o for o in done.get(p["key"], []) if o.rows is not None]
        if found:
            frame = pd.concat([o.rows for o in found], ignore_index=True)
            frame = frame[frame["replication"] < replications]
            frame = frame.drop_duplicates(["replication", "group_by", "group"])
            frame = frame.sort_values("replication", kind="stable", ignore_index=True)
        else:
            frame = None
        complete = frame is not None and frame["replication"].nunique() == replications
        errors = [o.error for o in failed.get(p["key"], [])]
        status = "done" if complete else ("failed" if errors else "pending")
        rows.append(
            {
                "point": p["point"],
                **{f: p["overrides"].get(f) for f in factors},
                "key": p["key"],
                "status": status,
                "error": errors[0] if status == "failed" else None,
                "wall_s": sum(o.wall_s for o in found) if found else math.nan,
                "reused": bool(found) and all(o.reused for o in found),
            }
        )
        if complete and frame is not None:
            frame.insert(0, "point", p["point"])
            frame["sl_definition"] = _sl_text(found[0].sl_definitions)
            frames.append(frame)
    points_table = pd.DataFrame(
        rows, columns=["point", *factors, "key", "status", "error", "wall_s", "reused"]
    )
    for f in factors:
        points_table[f] = points_table[f].astype(object)
    factor_values = points_table[["point", *factors]]
    if frames:
        long = pd.concat(frames, ignore_index=True)
    else:
        long = pd.DataFrame(columns=[*INDEX, "group_by", "group", "sl_definition"])
    sl = long.drop_duplicates("point").set_index("point")["sl_definition"]
    long = long.drop(columns=["sl_definition"])
    wide = widen(long)
    summary = summarise_points(wide)
    summary.insert(2, "sl_definition", summary["point"].map(sl).astype(object))
    per_rep = factor_values.merge(wide, on="point", how="inner")
    summary = factor_values.merge(summary, on="point", how="inner")
    long = factor_values.merge(long, on="point", how="inner")
    return points_table, long, per_rep, summary


@dataclass
class SweepResults:
    """What ``ccsim.sweep`` returns: the sweep's tables and what produced them.

    ``per_replication`` is the tidy table (one row per point and replication), ``summary`` one
    row per point with confidence half-widths, ``points`` the status of every point; see the
    module docstring for the columns.
    """

    factors: list[str]
    points: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    long: pd.DataFrame
    replications: int
    seed: int
    design: dict[str, Any]
    common_random_numbers: bool = True
    out: Path | None = None
    executor: str = ""
    wall_time_s: float = 0.0
    scenario: Scenario | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        """The points that failed, with their error."""
        return self.points[self.points["status"] == "failed"].reset_index(drop=True)

    @property
    def complete(self) -> bool:
        return bool((self.points["status"] == "done").all())

    def kpi(self, name: str, by: str = "all", group: str = "all") -> pd.DataFrame:
        """One KPI per point: the factors, ``mean`` and ``ci95``, e.g.
        ``kpi("service_level", "channel", "phone")``."""
        if by != "all" and group == "all":
            raise ValueError("give the group, e.g. kpi('service_level', 'channel', 'phone')")
        col = column_name(name, by, group)
        if col not in self.summary.columns:
            known = sorted({c.split(".", 1)[0] for c in self.summary.columns if not c.endswith("_ci95")})
            raise KeyError(f"no summary column {col!r}; KPIs: {', '.join(known)}")
        out = self.summary[["point", *self.factors, col, f"{col}_ci95"]]
        return out.rename(columns={col: "mean", f"{col}_ci95": "ci95"})

    @classmethod
    def load(cls, folder: str | Path) -> SweepResults:
        """Read a sweep's output folder (finished, interrupted or still running)."""
        store = SweepStore(folder)
        manifest = store.read_manifest()
        if manifest is None:
            raise ConfigError([f"{folder}: no manifest.json; not a sweep output folder"])
        points = manifest["points"]
        reps = int(manifest["replications"])
        files, error_files = store.scan(), store.scan("error.json")
        done: dict[str, list[PointOutcome]] = {}
        failed: dict[str, list[PointOutcome]] = {}
        for p in points:
            key = p["key"]
            if key not in done:
                done[key] = store.finished(key, range(reps), files)
                failed[key] = [
                    PointOutcome(key=k, error=str((store.read_error(k) or {}).get("error")))
                    for k, first, _ in error_files.get(key, [])
                    if first < reps
                ]
        factors = list(manifest["factor_paths"])
        table, long, per_rep, summary = assemble(points, factors, reps, done, failed)
        return cls(
            factors=factors,
            points=table,
            per_replication=per_rep,
            summary=summary,
            long=long,
            replications=reps,
            seed=int(manifest["seed"]),
            design=dict(manifest["design"]),
            common_random_numbers=bool(manifest.get("common_random_numbers", True)),
            out=Path(folder),
            executor=str(manifest.get("executor", "")),
            wall_time_s=float(manifest.get("wall_time_s") or 0.0),
            warnings=point_warnings(points, done),
        )

    def __repr__(self) -> str:
        counts = self.points["status"].value_counts()
        parts = [f"{int(counts.get(s, 0))} {s}" for s in ("done", "failed", "pending") if counts.get(s, 0)]
        where = f", out={str(self.out)!r}" if self.out else ""
        return (
            f"SweepResults({len(self.points)} points x {self.replications} replications: "
            f"{', '.join(parts) or 'none'}; factors {json.dumps(self.factors)}{where})"
        )

    def _repr_html_(self) -> str:
        head = f"<p><code>{repr(self).replace('<', '&lt;')}</code></p>"
        return head + str(self.summary._repr_html_())


def point_warnings(entries: list[dict[str, Any]], done: dict[str, list[PointOutcome]]) -> list[str]:
    """Each warning of the points' runs once, with the points it concerns (their numbers, as
    in the points table) unless it concerns them all."""
    points: dict[str, list[int]] = {}
    for entry in entries:
        for w in sorted({w for outcome in done.get(entry["key"], []) for w in outcome.warnings}):
            points.setdefault(w, []).append(int(entry["point"]))
    return [
        w if len(numbers) == len(entries) else f"{w} [points {', '.join(map(str, numbers))}]"
        for w, numbers in sorted(points.items())
    ]
