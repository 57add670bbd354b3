"""The cost of each site: paid agent hours and their cost per replication, on the KPI rows of
the sites (``group_by = 'site'``), so that the summary gives them with their confidence
intervals. Paid hours and cost per hour are those of ``accounting.agent_money`` (a site's
``cost_per_hour`` is the default of its groups)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccsim.config.schema import ScenarioConfig
from ccsim.economics.accounting import agent_money

SITE_MONEY = ["paid_hours", "staffing_cost", "staffing_cost_per_served"]


def with_site_costs(per_rep: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """The KPI table with the paid hours and staffing cost of each site's agent groups on the
    sites' rows (NaN elsewhere); unchanged without sites."""
    if not config.sites:
        return per_rep
    site_of = {g: name for name, s in config.sites.items() for g in s.groups}
    money = agent_money(agents, config)
    money["site"] = money["agent_group"].astype(str).map(site_of)
    per_site = money.groupby(["replication", "site"])[["paid_hours", "staffing"]].sum()
    out = per_rep.copy()
    rows = out["group_by"] == "site"
    keys = pd.MultiIndex.from_arrays([out.loc[rows, "replication"], out.loc[rows, "group"].astype(str)])
    found = per_site.reindex(keys)
    out["paid_hours"] = np.nan
    out["staffing_cost"] = np.nan
    out.loc[rows, "paid_hours"] = found["paid_hours"].to_numpy()
    out.loc[rows, "staffing_cost"] = found["staffing"].to_numpy()
    served = out["served"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staffing_cost_per_served"] = np.where(
            served > 0, out["staffing_cost"] / np.where(served > 0, served, 1), np.nan
        )
    return out
