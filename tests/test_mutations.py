"""One-value mutations of every example config: each either loads or raises ``ConfigError``;
those that load run a short horizon to a result or a ``ConfigError``. Nothing else is raised
and nothing runs away: the size limits of ``ccsim.config.limits`` bound every run (here made
smaller, so that the test stays quick).

There are about 15,000 mutations in all (all of them pass; they take some minutes). The fast
test runs a fixed, seeded sample of 600; the slow one (run by CI) a sample of 3,000.
"""

from __future__ import annotations

import copy
import math
import random
import signal
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

import ccsim
from ccsim.config import limits
from ccsim.scenario import Scenario

CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
DROP = object()
VALUES: list[Any] = [
    0, -1, 1e308, math.nan, math.inf, -math.inf, "", "x", [], {}, True, 10**18,
    "1e308h", "1e308s", "1e9s", "inf/h", "1e300/s", "0s",
]  # fmt: skip
HANG_GUARD_S = 120  # a run still going after this is a hang, not a slow machine


def leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every value of the parsed TOML by path (tables and lists too; long lists: two items)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:2]):
            yield from leaves(v, (*path, i))
    if path:
        yield path, node


def mutations(raw: dict[str, Any]) -> Iterator[tuple[tuple, Any]]:
    for path, old in leaves(raw):
        values = [*VALUES, DROP]
        if isinstance(old, int | float) and not isinstance(old, bool):
            values += [old * 1000, -old]
        for v in values:
            if isinstance(old, dict | list) and v not in (DROP, "x", 0) and v != {} and v != []:
                continue  # a table or list is replaced whole by a scalar, emptied or dropped only
            yield path, v


def mutate(raw: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    node = out
    for p in path[:-1]:
        node = node[p]
    if value is DROP:
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    return out


def all_cases() -> list[tuple[Path, tuple, Any]]:
    cases = []
    for f in CONFIGS:
        raw = tomllib.loads(f.read_text())
        cases += [(f, path, v) for path, v in mutations(raw)]
    return cases


class Hang(Exception):
    pass


def _hang(*_: Any) -> None:
    raise Hang


def load_and_run(path: Path, mpath: tuple, value: Any) -> str:
    """'refused', 'refused at run' or 'ran'; anything else raised is a failure of the test."""
    raw = mutate(tomllib.loads(path.read_text()), mpath, value)
    try:
        scenario = Scenario(raw, path.parent, path.name)
    except ccsim.ConfigError:
        return "refused"
    try:
        if scenario.scenario.duration > 2 * 3600:
            scenario = scenario.with_overrides({"scenario.duration": "2h"})
        results = ccsim.simulate(scenario, replications=1, contacts=False)
    except ccsim.ConfigError:
        return "refused at run"
    assert len(results.summary) > 0
    return "ran"


def check(cases: list[tuple[Path, tuple, Any]], monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    monkeypatch.setattr(limits, "MAX_CONTACTS", 20_000)
    monkeypatch.setattr(limits, "MAX_AGENTS", 2_000)
    counts: dict[str, int] = {}
    failures = []
    old = signal.signal(signal.SIGALRM, _hang)
    try:
        for f, mpath, value in cases:
            shown = f"{f.name}: {'.'.join(map(str, mpath))} = {'(dropped)' if value is DROP else repr(value)}"
            signal.alarm(HANG_GUARD_S)
            try:
                outcome = load_and_run(f, mpath, value)
            except Hang:
                outcome = "hang"
                failures.append(f"{shown}: still running after {HANG_GUARD_S}s")
            except Exception as exc:  # the point of the test: nothing else may escape
                outcome = "crash"
                failures.append(f"{shown}: {type(exc).__name__}: {exc}"[:300])
            finally:
                signal.alarm(0)
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        signal.signal(signal.SIGALRM, old)
    assert not failures, f"{len(failures)} of {len(cases)} mutations failed:\n" + "\n".join(failures)
    return counts


def test_every_config_has_mutations():
    cases = all_cases()
    assert {f for f, _, _ in cases} == set(CONFIGS)
    assert len(cases) > 1000


def test_a_sample_of_one_value_mutations_loads_or_is_refused(monkeypatch):
    cases = random.Random(12).sample(all_cases(), 600)
    counts = check(cases, monkeypatch)
    assert counts.get("refused", 0) > 0 and counts.get("ran", 0) > 0, counts


@pytest.mark.slow
def test_three_thousand_one_value_mutations_load_or_are_refused(monkeypatch):
    counts = check(random.Random(1999).sample(all_cases(), 3000), monkeypatch)
    assert counts.get("refused", 0) > 0 and counts.get("ran", 0) > 0, counts
