"""Replications spread over workers: the same numbers for any worker count or executor; small
runs stay in this process; progress and argument checks."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import ROOT

import ccsim
from ccsim import replications
from ccsim.config.errors import ConfigError

TABLES = ("summary", "per_replication", "intervals", "agents", "contacts")


def scenario() -> Any:
    """A multichannel centre, one hour: a few hundred contacts a replication."""
    return ccsim.load(ROOT / "configs" / "quickstart.toml").with_overrides({"scenario.duration": "1h"})


@pytest.fixture
def always_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spread even a tiny run, in chunks of one or two replications."""
    monkeypatch.setattr(replications, "SERIAL_BELOW_S", 0.0)
    monkeypatch.setattr(replications, "CHUNK_S", 1e-9)


def assert_same(a: Any, b: Any) -> None:
    for name in TABLES:
        left, right = getattr(a, name), getattr(b, name)
        if left is None or right is None:
            assert left is None and right is None, name
            continue
        pd.testing.assert_frame_equal(left, right, check_exact=True, obj=name)


def test_two_workers_give_the_numbers_of_one(always_spread: None) -> None:
    sc = scenario()
    one = ccsim.simulate(sc, replications=5, seed=3, workers=1)
    seen: list[tuple[int, int]] = []
    two = ccsim.simulate(sc, replications=5, seed=3, workers=2, progress=lambda d, t: seen.append((d, t)))
    assert_same(one, two)
    assert len(one.contacts) > 1000 and set(one.contacts["replication"]) == set(range(5))
    assert seen[0] == (1, 5) and seen[-1] == (5, 5) and len(seen) > 2  # the pilot, then chunk by chunk
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_without_contacts_and_on_chosen_replications(always_spread: None) -> None:
    sc = scenario()
    one = ccsim.simulate(sc, replications=[4, 0, 2], seed=3, workers=1, contacts=False)
    two = ccsim.simulate(sc, replications=[4, 0, 2], seed=3, workers=2, contacts=False)
    assert_same(one, two)
    assert one.contacts is None
    assert list(one.per_replication["replication"].unique()) == [4, 0, 2]
    alone = ccsim.simulate(sc, replications=[2], seed=3, workers=1, contacts=False)
    rows = one.intervals[one.intervals["replication"] == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, alone.intervals, check_exact=True)


def test_a_small_run_starts_no_worker() -> None:
    replications.drop_shared_pool()
    ccsim.simulate(scenario(), replications=3, seed=1, contacts=False)
    assert "pool" not in replications._POOL  # a few hundredths of a second: no pool started


def test_progress_false_and_true_work() -> None:
    sc = scenario()
    quiet = ccsim.simulate(sc, replications=2, seed=1, contacts=False, progress=False)
    shown = ccsim.simulate(sc, replications=2, seed=1, contacts=False, progress=True)
    pd.testing.assert_frame_equal(quiet.summary, shown.summary, check_exact=True)
    with pytest.raises(TypeError, match="progress"):
        ccsim.simulate(sc, replications=1, progress="yes")  # type: ignore[arg-type]


def test_a_wrong_executor_is_a_config_error_even_for_a_small_run() -> None:
    with pytest.raises(ConfigError, match="executor"):
        ccsim.simulate(scenario(), replications=1, executor="cluster")


@pytest.mark.parametrize("workers", [0, -1, True, 1.5])
def test_a_wrong_worker_count_is_a_config_error(workers: Any) -> None:
    with pytest.raises(ConfigError, match="workers"):
        ccsim.simulate(scenario(), replications=1, workers=workers)


def test_one_worker_by_default_inside_a_worker_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replications.multiprocessing, "parent_process", lambda: object())
    assert replications.default_workers() == 1


def test_serial_executor_and_a_futures_pool_give_the_same_numbers(always_spread: None) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sc = scenario()
    serial = ccsim.simulate(sc, replications=3, seed=5, executor="serial")
    with ThreadPoolExecutor(2) as pool:
        threads = ccsim.simulate(sc, replications=3, seed=5, executor=pool)
    assert_same(serial, threads)


def test_a_local_dask_cluster_gives_the_same_numbers(always_spread: None) -> None:
    distributed = pytest.importorskip("distributed")
    sc = scenario()
    here = ccsim.simulate(sc, replications=4, seed=11, workers=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        by_client = ccsim.simulate(sc, replications=4, seed=11, executor=client)
        by_address = ccsim.simulate(sc, replications=4, seed=11, executor=cluster.scheduler_address)
    assert_same(here, by_client)
    assert_same(here, by_address)


def test_ccsim_run_takes_workers(tmp_path: Any, always_spread: None) -> None:
    from typer.testing import CliRunner

    from ccsim.cli import app

    config = str(ROOT / "configs" / "quickstart.toml")
    tables = {}
    for workers in ("1", "2"):
        out = tmp_path / workers
        short = ["-q", "-r", "3", "--set", "scenario.duration=1h"]
        result = CliRunner().invoke(app, ["run", config, *short, "--workers", workers, "-o", str(out)])
        assert result.exit_code == 0, result.output
        tables[workers] = pd.read_parquet(out / "intervals.parquet")
    pd.testing.assert_frame_equal(tables["1"], tables["2"], check_exact=True)
    wrong = CliRunner().invoke(app, ["run", config, "-q", "--workers", "0", "-o", str(tmp_path / "x")])
    assert wrong.exit_code == 2


def test_the_kpi_table_agrees_with_the_intervals_agents_and_contacts_tables() -> None:
    """The per-replication KPIs, built from each replication's record, against pandas over the
    other tables of the same run."""
    import numpy as np

    from ccsim.metrics import COUNTS, answered_mask
    from ccsim.model.store import ORIGINS, OUTCOMES

    res = ccsim.simulate(scenario(), replications=2, seed=9, workers=1)
    kpis = res.per_replication.set_index(["replication", "group_by", "group"])
    iv = res.intervals
    for by in ("channel", "segment", "contact_type"):
        sums = iv.astype({by: str}).groupby(["replication", by])[COUNTS].sum()
        sums = sums[sums["offered"] > 0]
        rows = kpis.xs(by, level="group_by")[COUNTS].sort_index()
        pd.testing.assert_frame_equal(rows, sums.rename_axis(["replication", "group"]), check_dtype=False)
    c = res.contacts
    answered = answered_mask(
        c["outcome"].cat.codes.to_numpy(),
        c["wait_s"].to_numpy(),
        pd.Categorical(c["origin"], categories=list(ORIGINS)).codes,
    )
    assert list(c["outcome"].cat.categories) == list(OUTCOMES)
    for (rep, channel), waits in c[answered].groupby(["replication", "channel"], observed=True)["wait_s"]:
        p = np.percentile(waits.astype(np.float32).astype(float), [50, 90, 99])
        row = kpis.loc[(rep, "channel", channel)]
        assert [row["wait_p50_s"], row["wait_p90_s"], row["wait_p99_s"]] == pytest.approx(p)
    agents = res.agents.astype({"agent_group": str}).groupby(["replication", "agent_group"], sort=False)
    agents = agents[["busy_s", "staffed_s"]].sum()
    occupancy = kpis.xs("agent_group", level="group_by")["occupancy"]
    expected = (agents["busy_s"] / agents["staffed_s"]).rename_axis(["replication", "group"])
    pd.testing.assert_series_equal(occupancy, expected, check_names=False)
