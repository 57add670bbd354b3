"""Every example config in configs/ loads and runs (shortened to keep the suite fast)."""

from __future__ import annotations

import pytest
from conftest import ROOT

import ccsim
from ccsim.model.store import OUTCOMES

CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_example_config_runs(path):
    scenario = ccsim.load(path)
    if scenario.scenario.duration > 12 * 3600 and scenario.raw["scenario"].get("interval") is None:
        scenario = scenario.with_overrides({"scenario.duration": "12h"})
    results = ccsim.simulate(scenario, replications=2)
    offered = results.intervals.groupby("replication")["offered"].sum()
    ended = results.intervals.groupby("replication")[list(OUTCOMES)].sum().sum(axis=1)
    assert (offered == ended).all() and offered.min() > 0
    assert results.summary["service_level"].notna().any()


def test_quickstart_is_small_and_multichannel():
    s = ccsim.load(ROOT / "configs" / "quickstart.toml")
    assert {c.kind for c in s.channels.values()} == {"voice", "chat", "email"}
