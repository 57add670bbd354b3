"""docs/explanation/architecture.md lets a newcomer find a feature's module from its name: every
command of the CLI has a row, and every module or folder the page names exists."""

from __future__ import annotations

import re
from pathlib import Path

from ccsim.cli import app
from ccsim.model.store import ORIGINS, OUTCOMES, SERVED_BY, Origin, Outcome, ServedBy

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "explanation" / "architecture.md").read_text(encoding="utf-8")


def test_every_command_has_a_row() -> None:
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    assert {"run", "sweep", "calibrate", "backtest", "frontier", "sensitivity"} <= commands
    rows = set(re.findall(r"^\| `ccsim ([a-z]+)` \|", PAGE, re.MULTILINE))
    assert rows == commands


def test_every_module_named_exists() -> None:
    named = set(re.findall(r"`((?:ccsim/)?(?:[a-z_]+/)*[a-z_]+\.py|ccsim/[a-z_]+/)`", PAGE))
    assert len(named) > 60
    package = ROOT / "ccsim"
    missing = [p for p in sorted(named) if not (ROOT / p).exists() and not (package / p).exists()]
    assert not missing, f"architecture.md names modules that do not exist: {missing}"


def test_every_module_of_the_package_is_placed() -> None:
    """Each module appears on the page (by its path from ccsim/ or from its package)."""
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "ccsim").rglob("*.py")]
    skip = {"__init__.py", "__main__.py"}
    unplaced = [
        m
        for m in modules
        if Path(m).name not in skip
        and f"`{m}`" not in PAGE
        and f"`{m.removeprefix('ccsim/')}`" not in PAGE
        and f"`{Path(m).parent.as_posix()}/`" not in PAGE
    ]
    assert not unplaced, f"modules missing from architecture.md: {unplaced}"


def test_codes_are_compared_by_name_not_number() -> None:
    """Outcomes, origins and who served are compared through their names (``model/store.py``:
    the ``Outcome``, ``Origin`` and ``ServedBy`` enums and their int aliases), never as bare numbers."""
    assert tuple(c.name.lower() for c in Outcome) == OUTCOMES
    assert tuple(c.name.lower() for c in Origin) == ORIGINS
    assert SERVED_BY[1:] == tuple(c.name.lower() for c in ServedBy)[1:]
    bare = re.compile(r"\b(outcome|origin|by|status)\s*(==|!=|not in|in)\s*\(?\s*\d")
    found = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "ccsim").rglob("*.py"))
        for i, line in enumerate(p.read_text().splitlines(), start=1)
        if bare.search(line)
    ]
    assert not found, f"bare code numbers compared: {found}"
