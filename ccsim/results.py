"""``Results``: the tables of a run, KPIs per replication and their summary across replications."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccsim.confidence import t_half_width
from ccsim.economics.accounting import Money, account
from ccsim.metrics import SLRule
from ccsim.provenance import versions
from ccsim.scenario import Scenario

KPIS = [
    "offered",
    "served",
    "abandoned",
    "blocked",
    "closed",
    "unfinished",
    "service_level",
    "asa_s",
    "abandon_rate",
    "block_rate",
    "mean_wait_s",
    "wait_p50_s",
    "wait_p90_s",
    "wait_p99_s",
    "aht_s",
    "occupancy",
    "balk_rate",
    "fcr",
    "resolution_rate",
    "contacts_per_resolved",
    "escalation_rate",
    "personal_share",
    "asa_personal_s",
    "partner_share",
    "promise_kept_rate",
    "mean_lateness_s",
    "late_answered",
    "late_over_1h",
    "late_over_4h",
    "late_over_24h",
    "callback_take_up",
    "announce_bias_s",
    "retrials",
    "repeats",
    "balked",
    "self_served",
    "passed_through",
    "declined",
    "callback",
    "callback_offers",
    "voicemail",
    "fallback",
    "absent_hours",
    "outbound_done",
    "outbound_not_done",
    "outbound_reached",
    "inbound_prevented",
    "outbound_hours",
    "prevented_hours",
    "net_agent_hours",
    "absence_rate",
    "planned_shrinkage",
    "off_phone_hours",
    "rostered_hours",
    "chases",
    "chase_work_s",
    "chased",
    "pauses",
    "pause_hours",
    "occupancy_above_85",
    "occupancy_above_90",
    "occupancy_above_95",
    "longest_stretch_s",
    "paid_hours",  # per site (ccsim/economics/sites.py)
    "staffing_cost",
    "staffing_cost_per_served",
    "moved",  # channel choice: on the 'all' row and the rows of the moves (group_by 'move')
]
GROUPINGS = ["channel", "segment", "contact_type"]


def summarise(per_rep: pd.DataFrame, rule: SLRule, channels: list[str]) -> pd.DataFrame:
    """Mean and 95% half-width of each KPI across replications, one row per group."""
    kpis = [k for k in [*KPIS, "agents"] if k in per_rep.columns]
    rows = []
    for (group_by, group), frame in per_rep.groupby(["group_by", "group"], sort=False):
        row: dict[str, Any] = {
            "group_by": group_by,
            "group": group,
            "replications": len(frame),
        }
        for k in kpis:
            v = frame[k].to_numpy(dtype=float)
            row[k] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
            row[f"{k}_ci95"] = t_half_width(v)
        if group_by == "channel" and group in rule.text:
            row["sl_target"] = float(rule.target[channels.index(str(group))])
            row["sl_definition"] = f"{group}: {rule.text[str(group)]}"
        elif group_by in ("all", "segment", "contact_type", "site"):
            row["sl_definition"] = "; ".join(f"{c}: {t}" for c, t in rule.text.items())
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Results:
    """The tables of a run (docs/reference/results.md) and what produced them."""

    scenario: Scenario
    seed: int
    replications: int
    contacts: pd.DataFrame | None
    intervals: pd.DataFrame
    agents: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    sl_definitions: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0
    _money: tuple[tuple[int, int, int], Money] | None = field(default=None, repr=False, compare=False)

    @property
    def money(self) -> Money:
        """Costs, customer value and experience KPIs (``ccsim.economics.Money``), built on first
        use and kept while the intervals and agents tables are the same objects."""
        key = (id(self.intervals), id(self.agents), id(self.scenario))
        if self._money is None or self._money[0] != key:
            self._money = (key, account(self))
        return self._money[1]

    def kpi(self, name: str, by: str = "all", group: str = "all") -> tuple[float, float]:
        """(mean, 95% half-width) of a KPI, e.g. ``kpi("service_level", "channel", "phone")``."""
        if by != "all" and group == "all":
            raise ValueError("give the group, e.g. kpi('service_level', 'channel', 'phone')")
        row = self.summary[(self.summary["group_by"] == by) & (self.summary["group"] == group)]
        if row.empty:
            raise KeyError(f"no summary row for {by}={group!r}")
        return float(row[name].iloc[0]), float(row[f"{name}_ci95"].iloc[0])

    def write(self, out: str | Path, manifest: dict[str, Any] | None = None) -> Path:
        """Write the output folder: summary.csv, money.csv, intervals/contacts/agents.parquet,
        manifest.json."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(folder / "summary.csv", index=False)
        if "churn_risk" in self.intervals.columns:  # tables from before money was accounted lack it
            self.money.summary.to_csv(folder / "money.csv", index=False)
        self.intervals.to_parquet(folder / "intervals.parquet", index=False)
        self.agents.to_parquet(folder / "agents.parquet", index=False)
        self.per_replication.to_parquet(folder / "replications.parquet", index=False)
        if self.contacts is not None:
            self.contacts.to_parquet(folder / "contacts.parquet", index=False)
        info = self.manifest()
        info.update(manifest or {})
        (folder / "manifest.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        return folder

    def manifest(self) -> dict[str, Any]:
        return {
            "scenario": getattr(self.scenario, "name", None),
            "source": getattr(self.scenario, "source", None),
            "seed": self.seed,
            "replications": self.replications,
            "service_level_definitions": self.sl_definitions,
            "warnings": self.warnings,
            "wall_time_s": round(self.wall_time_s, 3),
            "config": getattr(self.scenario, "raw", None),
            "resolved_config": self.scenario.config.model_dump(mode="json", by_alias=True)
            if hasattr(self.scenario, "config")
            else None,
            **versions(),
        }
