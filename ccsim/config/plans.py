"""A staffing plan in a scenario: the folder that ``ccsim optimize`` writes, put in place.

``ccsim optimize`` writes ``staffing.csv`` (a ``start`` column with the clock time of each
period and one column of agents per optimised group) into its output folder.
``staffing_overrides`` turns it into the overrides that give each of those groups
``staffing = { file, column }`` (replacing its ``count``, ``staffing`` or ``shifts``);
``ccsim.scenario.plan_overrides``, ``Scenario.with_plan`` and ``ccsim run --plan`` use them.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from ccsim.config.errors import ConfigError, suggest

PLAN_FILE = "staffing.csv"


def plan_file(plan: str | Path) -> Path:
    """The staffing CSV of a plan: ``plan`` itself, or ``staffing.csv`` in the folder ``plan``."""
    path = Path(plan)
    if path.is_dir():
        path = path / PLAN_FILE
    if not path.exists():
        raise ConfigError(
            [f"{plan}: no staffing plan here (write one with `ccsim optimize CONFIG --out DIR`)"]
        )
    return path


def _read(path: Path) -> tuple[list[str], list[str]]:
    """(group columns, start times) of a plan file."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or not rows[0] or rows[0][0] != "start" or len(rows[0]) < 2:
        raise ConfigError([f"{path}: a plan has a 'start' column and one column per agent group"])
    return rows[0][1:], [r[0] for r in rows[1:] if r]


def staffing_overrides(
    plan: str | Path, groups: Collection[str], starts: Sequence[str], source: str | None = None
) -> dict[str, Any]:
    """The overrides that put the plan at ``plan`` (a folder of ``ccsim optimize`` or its
    staffing CSV) into a scenario with agent ``groups`` whose intervals start at the clock times
    ``starts`` ("HH:MM", the first intervals at least); the plan's groups must be the
    scenario's and its periods start where the scenario's intervals do."""
    path = plan_file(plan)
    columns, found = _read(path)
    problems = [
        f"{path}: column {g!r} is not an agent group of the scenario{suggest(g, groups)}; "
        f"known: {', '.join(groups)}"
        for g in columns
        if g not in groups
    ]
    expected = list(starts[: len(found)])
    if expected and found[: len(expected)] != expected:
        problems.append(
            f"{path}: the plan's periods start at {', '.join(found[:3])}, ..., the scenario's "
            f"intervals at {', '.join(expected[:3])}, ...: it was made for another scenario.start "
            "or scenario.interval"
        )
    if problems:
        raise ConfigError(problems, source)
    file = str(path.resolve())
    return {f"agents.{g}.staffing": {"file": file, "column": g} for g in columns}
