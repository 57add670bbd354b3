"""``ccsim.sweep``: simulate a scenario at many points, on any executor, resumably."""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ccsim.config.errors import ConfigError
from ccsim.config.loader import set_path, value_problems
from ccsim.executors import Executor, make_executor
from ccsim.experiments.designs import Design, as_design, explicit_points, parse_factors
from ccsim.experiments.results import SweepResults, assemble, point_warnings
from ccsim.experiments.store import SweepStore
from ccsim.experiments.tasks import (
    PointOutcome,
    PointTask,
    block_size,
    blocks,
    build_scenario,
    point_key,
    point_seed,
    run_point,
    task_key,
)
from ccsim.progress import SweepProgress
from ccsim.provenance import versions
from ccsim.scenario import Scenario
from ccsim.scenario import load as load_scenario
from ccsim.units import NEEDS_UNIT

MAX_LEVELS_CHECKED = 50  # values of a factor checked before the sweep runs (sampled ranges have more)


def plan_points(
    factors: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    design: str | Design | Mapping[str, Any] | None,
    seed: int,
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """(factor paths, points, design description, factors description)."""
    if hasattr(factors, "to_dict") and hasattr(factors, "columns"):  # a DataFrame of points
        factors = factors.to_dict(orient="records")
    if isinstance(factors, Sequence) and not isinstance(factors, str):
        if design is not None:
            raise ConfigError(["design: points given one by one (a list of dicts) take no design"])
        paths, points = explicit_points(factors)
        return paths, points, {"kind": "points"}, {"points": points}
    if not isinstance(factors, Mapping):
        raise ConfigError(
            [f"factors: a dict {{path: values}} or a list of points (got {type(factors).__name__})"]
        )
    parsed = parse_factors(factors)
    d = as_design("grid" if design is None else design)
    points = d.points(parsed, seed=seed)
    if not points:
        raise ConfigError(["factors: the design has no points"])
    return list(parsed), points, d.describe(), {p: f.describe() for p, f in parsed.items()}


def check_first_point(scenario: Scenario, points: list[dict[str, Any]]) -> None:
    """Every factor path can be set, and the first point is a valid scenario: mistakes in the
    factors show at once, before anything runs. (Other points that fail are reported as failed.)"""
    raw = copy.deepcopy(scenario.raw)
    seen: set[str] = set()
    for p in points:
        for path, value in p.items():
            if path not in seen:
                seen.add(path)
                set_path(raw, path, value)
    problems = level_problems(scenario, points)
    if problems:
        raise ConfigError(problems, scenario.source)
    try:
        build_scenario(scenario.raw, str(scenario.base_dir), scenario.source, points[0])
    except ConfigError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in points[0].items())
        raise ConfigError([f"point 0 ({shown}): {p}" for p in exc.problems], exc.source) from None


def level_problems(scenario: Scenario, points: list[dict[str, Any]]) -> list[str]:
    """Each factor's values, one at a time on the base scenario: a rate or a duration written
    without its unit is said at once (the same rule as in a scenario file). Other values the
    schema refuses only fail their own points, which are reported as failed."""
    levels: dict[str, list[Any]] = {}
    for p in points:
        for path, value in p.items():
            if value not in levels.setdefault(path, []):
                levels[path].append(value)
    problems = []
    for path, values in levels.items():
        for value in values[:MAX_LEVELS_CHECKED]:
            found = [p for p in value_problems(scenario, path, value) if NEEDS_UNIT in p]
            if found:  # the first refused value of each factor is enough to say
                problems += [f"factors.{path} = {value!r}: {p}" for p in found]
                break
    return problems


def sweep(
    scenario: Scenario | str | Path,
    factors: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    design: str | Design | Mapping[str, Any] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Any = None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: bool | Callable[[int, int], None] = True,
    common_random_numbers: bool = True,
    replications_per_task: int | None = None,
    info: Mapping[str, Any] | None = None,
) -> SweepResults:
    """Simulate ``scenario`` at every point of a design over ``factors``; see ``SweepResults``.

    ``factors`` maps dotted config paths to a list of values or a range
    (``{"agents.pool.count": [95, 100, 105], "demand.0.rate": {"low": 18, "high": 22,
    "num": 3, "format": "{:.1f}/min"}}``), or is a list of points (dicts of overrides).
    ``design``: ``"grid"`` (default), ``"zip"``, ``ccsim.experiments.random(n)`` or
    ``ccsim.experiments.lhs(n)``. ``replications`` and ``seed`` default to the scenario's.
    ``executor``: ``"processes"`` (default: local processes, ``workers`` of them, one per core
    by default), ``"serial"``, a Dask scheduler address (``"tcp://host:8786"``), a
    ``distributed.Client``, or a ``concurrent.futures`` executor. With ``out``, each finished
    point is written to that folder as it finishes, and running the same sweep again skips
    them. ``progress``: a progress bar (True), none (False), or ``progress(done, total)``,
    called with the number of replications done and to do.
    With ``common_random_numbers`` (default) every point uses the same seed, so replication r
    of every point sees the same arrivals and customers and differences between points are not
    noise; otherwise each point gets its own seed, derived from ``seed`` and its overrides.
    A point that fails does not stop the others: see ``results.failed``.
    A point is one task, or with fewer than 32 points, blocks of its replications are
    (``replications_per_task`` sets the block size); the numbers are the same either way.
    """
    started = time.time()
    t0 = time.perf_counter()
    scenario, reps, root = _scenario_of(scenario, replications, seed)
    paths, points, design_info, factors_info = plan_points(factors, design, root)
    check_first_point(scenario, points)
    runner = make_executor(executor, workers)
    store = _open_store(out)
    size = block_size(reps, len(points), replications_per_task)
    entries, tasks, done = _point_tasks(scenario, points, reps, root, common_random_numbers, store, size)
    facts = {
        "replications": reps,
        "seed": root,
        "common_random_numbers": common_random_numbers,
        "design": design_info,
        "factors": factors_info,
        "factor_paths": paths,
        "replications_per_task": size,
        "executor": runner.describe(),
        "started": time.ctime(started),
    }
    manifest = _manifest(scenario, facts, info, entries)
    if store is not None:
        store.write_manifest(manifest)
    failures = _run_tasks(runner, list(tasks.values()), done, reps, scenario.name, progress, store, manifest)
    table, long, per_rep, summary = assemble(entries, paths, reps, done, failures)
    results = SweepResults(
        factors=paths,
        points=table,
        per_replication=per_rep,
        summary=summary,
        long=long,
        replications=reps,
        seed=root,
        design=design_info,
        common_random_numbers=common_random_numbers,
        out=Path(out) if out is not None else None,
        executor=runner.describe(),
        wall_time_s=time.perf_counter() - t0,
        scenario=scenario,
        warnings=point_warnings(entries, done),
    )
    if store is not None:
        _write_finished(store, manifest, results)
    _warn_failed(results)
    return results


def _scenario_of(
    scenario: Scenario | str | Path, replications: int | None, seed: int | None
) -> tuple[Scenario, int, int]:
    """The scenario (loaded if given as a path), the replications and the root seed (by default
    the scenario's)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    sc = scenario.scenario
    reps = sc.replications if replications is None else int(replications)
    root = sc.seed if seed is None else int(seed)
    if reps < 1:
        raise ConfigError([f"replications: must be >= 1 (got {reps})"])
    return scenario, reps, root


def _open_store(out: str | Path | None) -> SweepStore | None:
    """The output folder's store, opened (None without an output folder)."""
    if out is None:
        return None
    store = SweepStore(out)
    store.open()
    return store


def _manifest(
    scenario: Scenario, facts: dict[str, Any], info: Mapping[str, Any] | None, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """The sweep's manifest.json: the scenario, the sweep's ``facts``, the caller's ``info``,
    the versions, the config and every point's entry; its status running."""
    return {
        "kind": "ccsim sweep",
        "format": 1,
        "scenario": scenario.name,
        "source": scenario.source,
        "base_dir": str(scenario.base_dir),
        **facts,
        "status": "running",
        **dict(info or {}),
        **versions(),
        "config": scenario.raw,
        "points": entries,
    }


def _point_tasks(
    scenario: Scenario,
    points: list[dict[str, Any]],
    reps: int,
    root: int,
    common_random_numbers: bool,
    store: SweepStore | None,
    size: int,
) -> tuple[list[dict[str, Any]], dict[str, PointTask], dict[str, list[PointOutcome]]]:
    """The entry of each point (its key, seed and overrides), the tasks left to run (blocks of
    ``size`` replications not already in the output folder), and by point key the finished
    tasks of earlier runs."""
    files = store.scan() if store is not None else {}
    wanted = range(reps)
    tasks: dict[str, PointTask] = {}
    done: dict[str, list[PointOutcome]] = {}  # by point key: finished tasks, earlier runs and this one
    entries = []
    for i, overrides in enumerate(points):
        s = root if common_random_numbers else point_seed(root, overrides)
        key = point_key(scenario.raw, overrides, s)
        entries.append({"point": i, "key": key, "seed": s, "overrides": overrides})
        if key in done:  # the same values twice: one simulation
            continue
        done[key] = store.finished(key, wanted, files) if store is not None else []
        have = {r for o in done[key] if o.rows is not None for r in o.rows["replication"]}
        for first, last in blocks([r for r in wanted if r not in have], size):
            task = PointTask(
                task_key(key, first, last),
                scenario.raw,
                str(scenario.base_dir),
                scenario.source,
                overrides,
                first,
                last,
                s,
            )
            tasks[task.key] = task
    return entries, tasks, done


def _run_tasks(
    runner: Executor,
    pending: list[PointTask],
    done: dict[str, list[PointOutcome]],
    reps: int,
    name: str,
    progress: bool | Callable[[int, int], None],
    store: SweepStore | None,
    manifest: dict[str, Any],
) -> dict[str, list[PointOutcome]]:
    """Run the tasks on the executor, adding each finished one to ``done`` (or, failed, to the
    failures returned) and saving it in the output folder as it finishes; an interrupted sweep
    says so in the folder's manifest."""
    failures: dict[str, list[PointOutcome]] = {}
    status = "interrupted"
    try:
        total = reps * len(done)
        todo = sum(len(t.replications) for t in pending)
        started_tasks = runner.map(run_point, pending)  # workers start before the bar's thread
        with SweepProgress(total, total - todo, name, progress) as bar:
            for i, result in started_tasks:
                task = pending[i]
                if not isinstance(result, PointOutcome):
                    result = PointOutcome(key=task.key, error=f"{type(result).__name__}: {result}")
                (done if result.ok else failures).setdefault(task.key.rsplit(".r", 1)[0], []).append(result)
                if store is not None:
                    store.save(result, task.overrides, task.replications)
                bar.advance(len(task.replications), result.ok)
        status = "finished"
    finally:
        if store is not None and status != "finished":
            manifest["status"] = status
            store.write_manifest(manifest)
    return failures


def _write_finished(store: SweepStore, manifest: dict[str, Any], results: SweepResults) -> None:
    """Write the tables of a finished sweep and its manifest with the counts of its points."""
    table = results.points
    store.write_tables(results.per_replication, results.summary, table)
    counts = table["status"].value_counts()
    manifest.update(
        status="finished",
        finished=time.ctime(),
        wall_time_s=round(results.wall_time_s, 3),
        done=int(counts.get("done", 0)),
        failed=int(counts.get("failed", 0)),
        reused=int(table["reused"].sum()),
    )
    store.write_manifest(manifest)


def _warn_failed(results: SweepResults) -> None:
    """A warning naming the first failed point, if any failed."""
    failed = results.failed
    if len(failed):
        first = failed.iloc[0]
        warnings.warn(
            f"{len(failed)} of {len(results.points)} points failed (see results.failed); point "
            f"{first['point']}: {first['error']}",
            stacklevel=3,
        )
