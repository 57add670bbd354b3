"""What a command reads: the scenario (its config file with a staffing plan, a prices file and
the ``--set`` overrides, as each command allows) and a call log; a mistake in any is a
``ConfigError`` (exit 2)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccsim.api import load
from ccsim.calibrate.logs import CallLog, read_log
from ccsim.cli.options import LOG_FORMATS, choice
from ccsim.config.errors import ConfigError
from ccsim.config.loader import read_toml
from ccsim.economics.prices import price_overrides
from ccsim.scenario import Scenario, plan_overrides


def parse_set(items: list[str]) -> dict[str, Any]:
    """``PATH=VALUE`` pairs; VALUE is read as a TOML value if it is one, else as a string."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError([f"--set {item!r}: write PATH=VALUE, e.g. agents.pool.count=105"])
        path, value = item.split("=", 1)
        try:
            parsed: Any = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value
        out[path.strip()] = parsed
    return out


def load_scenario(
    config: Path,
    sets: list[str] | None = None,
    prices: Path | None = None,
    plan: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """The scenario of ``config`` with a staffing plan of ``ccsim optimize``, the prices of a
    prices file and the ``--set`` overrides (``PATH=VALUE``; ``overrides``: already parsed, as
    a sweep file's ``[set]``), applied in this order (the most specific last) and validated
    once; the plan and the prices are checked against the scenario with the overrides, and a
    mistake they make names the prices file."""
    scenario = load(config)
    cli_sets = parse_set(sets or [])
    given = {**cli_sets, **(overrides or {})}
    try:
        with_sets = scenario.with_overrides(given) if given else scenario
    except ConfigError as exc:
        raise _blame_sets(exc, sets or [], overrides or {}) from None
    if plan is None and prices is None:
        return with_sets
    changes: dict[str, Any] = {}
    if plan is not None:
        changes.update(plan_overrides(with_sets, plan))
    if prices is not None:
        changes.update(price_overrides(read_toml(prices), with_sets, str(prices)))
    try:
        return scenario.with_overrides({**changes, **given})
    except ConfigError as exc:
        if prices is None:
            raise
        raise ConfigError(exc.problems, f"{scenario.source or 'scenario'} with prices {prices}") from None


def _blame_sets(exc: ConfigError, sets: list[str], overrides: Mapping[str, Any]) -> ConfigError:
    """``exc`` saying which values were given on the command line (``--set PATH=VALUE``, as
    typed) or by a sweep's ``[set]``: the file validated without them, so they are the cause.
    The source names them all (a problem may show elsewhere: an interval that no longer divides
    the profiles); with several, a problem at (or above or below) a given path names its own."""
    given = [(_dotted(item.split("=", 1)[0].strip()), f"--set {item.strip()}") for item in sets]
    given += [(_dotted(path), f"the sweep's [set] {path} = {value!r}") for path, value in overrides.items()]
    problems = []
    for problem in exc.problems:
        where = _dotted(problem.split(":", 1)[0].strip())
        origins = [text for path, text in given if _within(where, path) or _within(path, where)]
        named = origins and len(given) > 1  # (one value given: the source names it)
        problems.append(f"{problem} (given with {', '.join(origins)})" if named else problem)
    source = f"{exc.source or 'scenario'} with {', '.join(text for _, text in given)}"
    return ConfigError(problems, source)


def _dotted(path: str) -> str:
    """A config path with list items as ``.k`` (``demand[1].rate`` -> ``demand.1.rate``)."""
    return path.replace("[", ".").replace("]", "")


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def load_log(paths: Path | list[Path], log_format: str, first: str | None, last: str | None) -> CallLog:
    """The call log in ``paths`` (several files are joined), its days ``first`` to ``last``."""
    log = read_log(paths, choice(log_format, LOG_FORMATS, "--format"))
    try:
        part = log.between(first, last)
    except ValueError as exc:
        raise ConfigError([f"--from/--to: {exc}"]) from None
    if not len(part):
        raise ConfigError(["no contacts in the log between --from and --to"])
    return part
