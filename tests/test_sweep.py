"""Sweeps: designs, the result store and resuming, failures, executors giving identical numbers
(serial, local processes, a real Dask cluster on loopback), the sweep file and CLI, the example
sweep and the sweep study."""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.config.errors import ConfigError
from ccsim.experiments import Design, Range, SweepResults, lhs, random, sweep
from ccsim.experiments.designs import parse_factors

ROOT = Path(__file__).resolve().parents[1]
ERLANG_A = ROOT / "configs" / "erlang_a.toml"


def small() -> Any:
    """The Erlang-A centre, shortened: about 0.05 s per replication."""
    return ccsim.load(ERLANG_A).with_overrides({"scenario.duration": "2h", "scenario.warmup": "15min"})


def cli_app() -> Any:
    from ccsim.cli import app
    from ccsim.cli import sweep as sweep_cli

    if not any(c.callback is not None and c.callback.__name__ == "sweep" for c in app.registered_commands):
        sweep_cli.register(app)
    return app


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli_app(), list(args), env={"COLUMNS": "120"})


# The same CLI in a child process (for the kill test).
CLI_CODE = (
    "import sys; from ccsim.cli import app; from ccsim.cli import sweep as s\n"
    "names = [c.callback.__name__ for c in app.registered_commands if c.callback is not None]\n"
    "if 'sweep' not in names:\n"
    "    s.register(app)\n"
    "sys.argv[0] = 'ccsim'; app()\n"
)


def write_sweep_file(folder: Path, factors: str, replications: int = 2, duration: str = "2h") -> Path:
    path = folder / "sweep.toml"
    path.write_text(
        f'[sweep]\nconfig = "{ERLANG_A.as_posix()}"\nreplications = {replications}\nseed = 5\n\n'
        f"[factors]\n{factors}\n\n"
        f'[set]\n"scenario.duration" = "{duration}"\n"scenario.warmup" = "15min"\n',
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------- designs


def test_grid_is_every_combination_last_factor_fastest() -> None:
    factors = parse_factors({"a.x": [1, 2], "b.y": ["p", "q", "r"]})
    points = Design("grid").points(factors)
    assert len(points) == 6
    assert points[:3] == [{"a.x": 1, "b.y": "p"}, {"a.x": 1, "b.y": "q"}, {"a.x": 1, "b.y": "r"}]


def test_zip_pairs_values_and_checks_lengths() -> None:
    points = Design("zip").points(parse_factors({"a": [1, 2, 3], "b": {"low": 10, "high": 30, "step": 10}}))
    assert points == [{"a": 1, "b": 10}, {"a": 2, "b": 20}, {"a": 3, "b": 30}]
    with pytest.raises(ConfigError, match=r"same number of values.*a has 2, b has 3"):
        Design("zip").points(parse_factors({"a": [1, 2], "b": [1, 2, 3]}))


def test_range_levels_integers_formats_and_log() -> None:
    assert Range(90, 110, step=5).levels() == [90, 95, 100, 105, 110]
    assert Range(0.5, 1.0, num=3).levels() == [0.5, 0.75, 1.0]
    assert Range(18, 22, num=3, format="{:.1f}/min").levels() == ["18.0/min", "20.0/min", "22.0/min"]
    assert Range(10, 1000, num=3, log=True).levels() == pytest.approx([10.0, 100.0, 1000.0])
    nested = parse_factors({"agents": {"pool": {"count": [1, 2]}}, "demand.0.rate": {"low": 1, "high": 2}})
    assert list(nested) == ["agents.pool.count", "demand.0.rate"]


@pytest.mark.parametrize("kind", ["random", "lhs"])
def test_sampling_designs_stay_in_range_and_repeat_with_their_seed(kind: str) -> None:
    factors = parse_factors(
        {
            "n": {"low": 90, "high": 110},
            "x": {"low": 0.5, "high": 2.0},
            "rate": {"low": 15, "high": 25, "format": "{:.1f}/min"},
            "level": ["a", "b", "c", "d"],
        }
    )
    design = random(40, seed=3) if kind == "random" else lhs(40, seed=3)
    points = design.points(factors)
    assert len(points) == 40
    assert all(isinstance(p["n"], int) and 90 <= p["n"] <= 110 for p in points)
    assert all(0.5 <= p["x"] <= 2.0 for p in points)
    assert all(p["rate"].endswith("/min") and 15 <= float(p["rate"][:-4]) <= 25 for p in points)
    assert design.points(factors) == points
    assert Design(kind, 40, seed=4).points(factors) != points
    if kind == "lhs":  # every one of the 40 strata of each range is used exactly once
        strata = sorted(int((p["x"] - 0.5) / 1.5 * 40) for p in points)
        assert strata == list(range(40))
        assert sorted(p["level"] for p in points) == sorted(["a", "b", "c", "d"] * 10)


@pytest.mark.parametrize(
    ("factors", "design", "message"),
    [
        ({"a": 3}, None, "factors.a: a factor is a list of values or a range"),
        ({"a": []}, None, "factors.a: needs at least one value"),
        ({"a": {"low": 1, "hihg": 2}}, None, "factors.a.hihg: unknown key .did you mean 'high'"),
        ({"a": {"low": 5, "high": 1}}, None, "high must be >= low"),
        ({"a": {"low": 1, "high": 5}}, None, "a range needs step or num"),
        ({"a": {"low": 1, "high": 5, "format": "{:d}{:d}"}}, None, "factors.a.format: not a format"),
        ({"a": [1, 2]}, "lhs", "needs a number of samples"),
        ({"a": [1, 2]}, {"kind": "grdi"}, "design.kind: must be one of .* .did you mean 'grid'"),
        ({}, None, "give at least one factor"),
    ],
)
def test_bad_factors_and_designs_are_user_errors(factors: Any, design: Any, message: str) -> None:
    from ccsim.experiments.runner import plan_points

    with pytest.raises(ConfigError, match=message):
        plan_points(factors, design, seed=1)


# ---------------------------------------------------------------------- the sweep itself


def test_sweep_tables_and_common_random_numbers() -> None:
    scenario = small()
    res = sweep(
        scenario, {"agents.pool.count": [95, 100]}, replications=3, seed=9, executor="serial", progress=False
    )
    per_rep = res.per_replication
    assert len(per_rep) == 2 * 3 and list(per_rep.columns[:3]) == [
        "point",
        "agents.pool.count",
        "replication",
    ]
    assert {"service_level", "service_level.channel.phone", "occupancy.agent_group.pool"} <= set(
        per_rep.columns
    )
    assert "occupancy.channel.phone" not in per_rep.columns  # never defined for a channel
    # replication r of a point is replication r of ccsim.simulate at the same seed
    direct = ccsim.simulate(scenario.with_overrides({"agents.pool.count": 100}), replications=3, seed=9)
    rows = direct.per_replication[direct.per_replication["group_by"] == "all"]
    mine = per_rep[per_rep["agents.pool.count"] == 100]
    np.testing.assert_array_equal(mine["service_level"].to_numpy(), rows["service_level"].to_numpy())
    summary = res.summary.set_index("agents.pool.count")
    mean, half = direct.kpi("service_level")
    assert summary.loc[100, "service_level"] == pytest.approx(mean, rel=1e-12)
    assert summary.loc[100, "service_level_ci95"] == pytest.approx(half, rel=1e-9)
    assert set(res.summary["replications"]) == {3}
    # common random numbers: the same customers arrive at every point
    offered = per_rep.pivot(index="replication", columns="point", values="offered")
    assert (offered[0] == offered[1]).all()
    kpi = res.kpi("service_level", "channel", "phone")
    assert list(kpi.columns) == ["point", "agents.pool.count", "mean", "ci95"]
    independent = sweep(
        scenario,
        {"agents.pool.count": [95, 100]},
        replications=3,
        seed=9,
        executor="serial",
        progress=False,
        common_random_numbers=False,
    )
    offered = independent.per_replication.pivot(index="replication", columns="point", values="offered")
    assert not (offered[0] == offered[1]).all()


def test_replications_split_into_blocks_give_the_same_numbers(tmp_path: Path) -> None:
    from ccsim.experiments.tasks import block_size, blocks

    assert block_size(20, 3) == 2  # few points: blocks, about 32 tasks in all
    assert block_size(5, 100) == 5  # many points: one task per point
    assert block_size(5, 1, per_task=2) == 2
    assert blocks([0, 1, 2, 5, 6], 2) == [(0, 1), (2, 2), (5, 6)]
    factors = {"agents.pool.count": [98, 102]}
    split = sweep(small(), factors, replications=5, seed=2, executor="serial", progress=False)
    whole = sweep(
        small(), factors, replications=5, seed=2, executor="serial", progress=False, replications_per_task=5
    )
    pd.testing.assert_frame_equal(split.per_replication, whole.per_replication)
    pd.testing.assert_frame_equal(split.summary, whole.summary)
    # more replications later: only the new ones run, and the numbers are those of one run
    calls: list[tuple[int, int]] = []
    sweep(small(), factors, replications=2, seed=2, executor="serial", out=tmp_path, progress=False)
    files = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "points").glob("*.parquet")}
    more = sweep(
        small(),
        factors,
        replications=5,
        seed=2,
        executor="serial",
        out=tmp_path,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (4 + 1, 10) and calls[-1] == (10, 10)  # 4 of 10 replications were there
    assert all((tmp_path / "points" / name).stat().st_mtime_ns == t for name, t in files.items())
    pd.testing.assert_frame_equal(more.per_replication, whole.per_replication)


def test_points_given_one_by_one() -> None:
    res = sweep(
        small(),
        [{"agents.pool.count": 96}, {"agents.pool.count": 104, "demand.0.rate": "20/min"}],
        replications=1,
        executor="serial",
        progress=False,
    )
    assert res.factors == ["agents.pool.count", "demand.0.rate"]
    rates = res.points["demand.0.rate"]
    assert pd.isna(rates[0]) and rates[1] == "20/min"  # not set at point 0: the base config's value


def test_a_warning_names_the_points_it_concerns(tmp_path: Path) -> None:
    # Erlang-A's 97.5 Erlangs: 90 agents are overloaded (a warning), 110 are not
    res = sweep(small(), [{"agents.pool.count": 110}, {"agents.pool.count": 90}], replications=1,
                executor="serial", progress=False, out=tmp_path / "s")  # fmt: skip
    overload = [w for w in res.warnings if "offered load" in w]
    assert len(overload) == 1 and overload[0].endswith("[points 1]")
    assert SweepResults.load(tmp_path / "s").warnings == res.warnings  # the folder keeps them
    same = [{"agents.pool.count": 90, "scenario.name": name} for name in ("a", "b")]  # the same load
    both = sweep(small(), same, replications=1, executor="serial", progress=False)
    assert next(w for w in both.warnings if "offered load" in w).endswith("length")  # all points: no list


def test_a_failing_point_is_recorded_and_the_others_finish(tmp_path: Path) -> None:
    factors = {"agents.pool.count": [100, -3, 102]}
    with pytest.warns(UserWarning, match="1 of 3 points failed"):
        res = sweep(small(), factors, replications=1, executor="serial", out=tmp_path, progress=False)
    assert res.points["status"].tolist() == ["done", "failed", "done"]
    assert "agents.pool.count: must be >= 0 (got -3)" in res.failed.loc[0, "error"]
    errors = list((tmp_path / "points").glob("*.error.json"))
    assert len(errors) == 1 and "must be >= 0" in json.loads(errors[0].read_text())["error"]
    assert len(res.summary) == 2
    # a rerun keeps the finished points and tries the failed one again
    with pytest.warns(UserWarning):
        again = sweep(small(), factors, replications=1, executor="serial", out=tmp_path, progress=False)
    assert again.points["reused"].tolist() == [True, False, True]
    # an error outside the config (here: a task that raises) is recorded the same way
    from ccsim.experiments import runner

    def boom(task: Any) -> Any:
        raise RuntimeError("worker lost")

    original = runner.run_point
    runner.run_point = boom  # type: ignore[assignment]
    try:
        with pytest.warns(UserWarning, match="RuntimeError: worker lost"):
            lost = sweep(
                small(), {"agents.pool.count": [90]}, replications=1, executor="serial", progress=False
            )
    finally:
        runner.run_point = original
    assert lost.points["status"].tolist() == ["failed"]


def test_a_mistake_in_a_factor_path_stops_the_sweep_at_once() -> None:
    with pytest.raises(
        ConfigError, match=r"point 0 .*agents\.pool\.cuont: unknown key.*did you mean 'count'"
    ):
        sweep(small(), {"agents.pool.cuont": [1, 2]}, executor="serial", progress=False)
    with pytest.raises(ConfigError, match=r"agents\.pol: no such table.*did you mean 'pool'"):
        sweep(small(), {"agents.pol.count": [1, 2]}, executor="serial", progress=False)


# ---------------------------------------------------------------------- resume after a kill


def test_a_killed_sweep_resumes_without_redoing_finished_points(tmp_path: Path) -> None:
    counts = ", ".join(str(n) for n in range(94, 106))  # 12 points
    spec = write_sweep_file(tmp_path, f'"agents.pool.count" = [{counts}]', replications=4, duration="6h")
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", CLI_CODE, "sweep", str(spec), "--out", str(out), "--serial", "--quiet"]
    child = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    points = out / "points"
    deadline = time.monotonic() + 60
    try:  # no assertion in here: the cleanup must not hide one
        while len(list(points.glob("*.parquet"))) < 3 and child.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        _, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, f"the sweep ended before the kill: {err.decode()}"
    done = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in points.glob("*.parquet")}
    assert len(done) >= 3, "the sweep wrote fewer than 3 point files in 60 s"
    assert len(done) < 24, "the kill came too late to test anything"  # 12 points x 2 tasks
    partial = SweepResults.load(out)
    assert set(partial.points["status"]) == {"done", "pending"}
    assert len(partial.per_replication) == 4 * (partial.points["status"] == "done").sum()

    result = subprocess.run(
        [*cmd[:-2], "--workers", "2", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for p, stamp in done.items():  # finished points were not written again
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["done"] == 12
    assert len(list(points.glob("*.parquet"))) == 24
    assert not list(points.glob(".*.tmp"))

    scenario = ccsim.load(ERLANG_A).with_overrides({"scenario.warmup": "15min", "scenario.duration": "6h"})
    whole = sweep(
        scenario,
        {"agents.pool.count": list(range(94, 106))},
        replications=4,
        seed=5,
        workers=2,
        progress=False,
    )
    resumed = SweepResults.load(out)
    pd.testing.assert_frame_equal(resumed.per_replication, whole.per_replication)
    pd.testing.assert_frame_equal(resumed.summary, whole.summary)
    table = pd.read_parquet(out / "replications.parquet")
    pd.testing.assert_frame_equal(table, whole.per_replication, check_dtype=False)


# ---------------------------------------------------------------------- executors agree


def _scheduler_address(scheduler: subprocess.Popen[bytes], file: Path, timeout: float = 60) -> str:
    """The address the scheduler chose (``--port 0``), read from its ``--scheduler-file``."""
    deadline = time.monotonic() + timeout
    while not file.exists() and scheduler.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not file.exists():
        raise RuntimeError(f"the dask scheduler wrote no {file.name} (exit code {scheduler.poll()})")
    return str(json.loads(file.read_text())["address"])


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real ``dask scheduler`` (on a port it picks) and two ``dask worker`` processes on loopback."""
    pytest.importorskip("distributed")
    dask = Path(sys.executable).parent / "dask"
    if not dask.exists():
        pytest.skip("the dask command is not installed beside this Python")
    file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    common: dict[str, Any] = {
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "start_new_session": True,
    }
    scheduler = [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
    procs = [subprocess.Popen([*scheduler, "--scheduler-file", str(file)], **common)]
    try:
        address = _scheduler_address(procs[0], file)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(dask),
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    **common,
                )
            )
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for group in (procs[1:], procs[:1]):  # the workers, then the scheduler
            for p in group:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in group:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()


def test_serial_processes_and_dask_give_identical_numbers(tmp_path: Path, dask_cluster: str) -> None:
    factors = {"agents.pool.count": [97, 100, 103], "channels.phone.service_level.within": ["20s", "30s"]}
    serial = sweep(small(), factors, replications=2, seed=5, executor="serial", progress=False)
    procs = sweep(small(), factors, replications=2, seed=5, workers=2, progress=False)
    assert procs.executor == "local processes (2 workers)"
    spec = write_sweep_file(
        tmp_path,
        '"agents.pool.count" = [97, 100, 103]\n"channels.phone.service_level.within" = ["20s", "30s"]',
    )
    result = invoke("sweep", str(spec), "--scheduler", dask_cluster, "--out", str(tmp_path / "dask"))
    assert result.exit_code == 0, result.output
    on_dask = SweepResults.load(tmp_path / "dask")
    assert on_dask.executor == f"dask ({dask_cluster})"
    for other in (procs, on_dask):
        pd.testing.assert_frame_equal(other.per_replication, serial.per_replication)
        pd.testing.assert_frame_equal(other.summary, serial.summary)
        pd.testing.assert_frame_equal(other.long, serial.long)
    # a Client passed in Python works too, and is left open
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:
        by_client = sweep(small(), factors, replications=2, seed=5, executor=client, progress=False)
        assert client.status == "running"
    pd.testing.assert_frame_equal(by_client.per_replication, serial.per_replication)


def test_an_unreachable_scheduler_is_a_user_error(tmp_path: Path) -> None:
    spec = write_sweep_file(tmp_path, '"agents.pool.count" = [100]')
    with socket.socket() as held:  # bound and never listening: connections to it are refused
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        result = invoke(
            "sweep", str(spec), "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "o")
        )
    assert result.exit_code == 2
    assert "could not reach the Dask scheduler" in result.output


def test_a_cluster_without_distributed_installed_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the cluster extra were missing
    spec = write_sweep_file(tmp_path, '"agents.pool.count" = [100]')
    result = invoke("sweep", str(spec), "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output
    assert "pip install 'ccsim[cluster]'" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not list((tmp_path / "o").glob("points/*.parquet"))  # nothing ran


# ---------------------------------------------------------------------- the sweep file and CLI


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("replications = 2", "replication = 2"),
            "sweep.replication: unknown key (did you mean 'replications'?)",
        ),
        (("seed = 5", "seed = -1"), "sweep.seed: must be >= 0 (got -1)"),
        (("[factors]", '[design]\nkind = "lhs"\n[factors]'), "design.samples: required for the lhs design"),
        (
            ("[sweep]", 'design = "grdi"\n[sweep]'),
            "design.kind: input should be 'grid', 'zip', 'random' or 'lhs'",
        ),
        (("[factors]", '[factors]\n"demand.0.rate" = 3'), "factors.demand.0.rate: a factor is a list"),
        (("erlang_a.toml", "nope.toml"), "sweep.config: no such file"),
        (("[sweep]", "[swep]\n[sweep]"), "swep: unknown key (did you mean 'sweep'?)"),
    ],
)
def test_sweep_file_mistakes_exit_2_with_path_rule_and_value(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    spec = write_sweep_file(tmp_path, '"agents.pool.count" = [100, 101]')
    spec.write_text(spec.read_text().replace(*edit, 1))
    result = invoke("sweep", str(spec), "--out", str(tmp_path / "o"), "--serial")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_reports_failed_points_and_exits_1(tmp_path: Path) -> None:
    spec = write_sweep_file(tmp_path, '"agents.pool.count" = [100, -1]')
    result = invoke("sweep", str(spec), "--out", str(tmp_path / "o"), "--serial")
    assert result.exit_code == 1
    text = " ".join(result.output.split())  # the terminal wraps long lines
    assert "point 1 (agents.pool.count=-1) failed" in text
    assert "must be >= 0 (got -1)" in text
    assert (tmp_path / "o" / "summary.csv").exists()


def test_example_sweep_file_runs(tmp_path: Path) -> None:
    result = invoke(
        "sweep", str(ROOT / "configs" / "sweeps" / "agents.toml"), "--out", str(tmp_path), "--workers", "2"
    )
    assert result.exit_code == 0, result.output
    res = SweepResults.load(tmp_path)
    assert res.complete and len(res.points) == 6
    sl = res.summary.groupby("agents.specialists.count")["service_level.channel.phone"].mean()
    assert sl.is_monotonic_increasing  # more specialists, better phone service (same customers)


def test_sweep_study_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("plotly")
    monkeypatch.setattr(sys, "argv", ["sweep_study.py", "--quick", "--out", str(tmp_path)])
    runpy.run_path(str(ROOT / "experiments" / "sweep_study.py"), run_name="__main__")
    page = tmp_path / "sweep_study.html"
    assert page.exists() and "plotly" in page.read_text(encoding="utf-8")[:5000].lower()
    assert SweepResults.load(tmp_path / "sweep").complete


def test_sweep_reference_lists_every_key() -> None:
    import re

    from ccsim.experiments.designs import RANGE_KEYS
    from ccsim.experiments.spec import DesignSection, SweepFile, SweepSection

    text = (ROOT / "docs" / "reference" / "sweep.md").read_text(encoding="utf-8")
    for keys, heading in [
        (SweepFile.model_fields, "## File layout"),
        (SweepSection.model_fields, "## `[sweep]`"),
        (DesignSection.model_fields, "## `[design]`"),
        (RANGE_KEYS, "## `[factors]`"),
    ]:
        section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
        assert set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)) == set(keys), heading
