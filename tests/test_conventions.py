"""What people expect of a Python tool: --version, a public API that dir() and tab completion
find, output files colleagues can read, help texts shown as written, choices listed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, base_raw
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app

runner = CliRunner(env={"COLUMNS": "80"})


def test_version_option() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"ccsim {ccsim.__version__}"


def test_subpackages_are_attributes_after_a_bare_import() -> None:
    code = (
        "import ccsim, sys\n"
        "assert 'ccsim.experiments' not in sys.modules\n"
        "print(ccsim.experiments.load_sweep.__name__, ccsim.economics.with_prices.__name__)\n"
        "print(ccsim.load_sweep is ccsim.experiments.load_sweep)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["load_sweep", "with_prices", "True"]


def test_dir_lists_the_public_api() -> None:
    names = dir(ccsim)
    for name in ("load", "simulate", "sweep", "load_sweep", "compare", "Results", "experiments", "report"):
        assert name in names, name
        assert name in ccsim.__all__
        getattr(ccsim, name)
    with pytest.raises(AttributeError):
        ccsim.no_such_thing  # noqa: B018


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sweep_files_are_as_readable_as_run_files(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        scenario = ccsim.from_dict(base_raw(**{"scenario.duration": "1h"}))
        ccsim.sweep(
            scenario, {"agents.pool.count": [9, 10]}, replications=2, out=tmp_path / "s", progress=False
        )
        ccsim.simulate(scenario, replications=1).write(tmp_path / "r")
    finally:
        os.umask(old)
    run_modes = {_mode(p) for p in (tmp_path / "r").iterdir()}
    sweep_modes = {_mode(p) for p in (tmp_path / "s").rglob("*") if p.is_file()}
    assert run_modes == {0o644}
    assert sweep_modes == {0o644}


@pytest.mark.parametrize(
    "command", ["run", "sweep", "optimize", "frontier", "calibrate", "backtest", "erlang"]
)
def test_help_shows_brackets_and_defaults_as_written(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "(default: )" not in result.output
    assert "…" not in result.output  # nothing cut at 80 columns
    if command == "frontier":
        assert "[frontier.choices]" in result.output
        assert "(default: [frontier])" in result.output


def test_options_with_a_fixed_set_of_values_list_them() -> None:
    assert (
        "<offered|answered|offered_excl_short|answered_or_abandoned>"
        in runner.invoke(app, ["erlang", "--help"]).output
    )
    help_text = runner.invoke(app, ["backtest", "--help"]).output
    assert "<hour|weekday|day|segment|contact_type>" in help_text
    assert "<auto|ccsim|anonymous_bank>" in help_text
    bad = runner.invoke(app, ["erlang", "--rate", "10/min", "--handle", "3min", "--definition", "offerd"])
    assert bad.exit_code == 2 and "offered_excl_short" in bad.output


def test_compare_stays_the_function_after_use() -> None:
    first = ccsim.compare
    ccsim.Paired  # noqa: B018
    assert callable(ccsim.compare) and ccsim.compare is first


def test_compact_tables_wrap_headers_and_never_cut_values() -> None:
    from rich.console import Console

    from ccsim.cli.tables import compact_table

    headers = ["start", "service", "digital", "relationship", "specialists", "branch"]
    headers += [f"SL {c}" for c in ("phone", "chat", "email", "social", "walk_in")]
    rows: list[list[str] | None] = [
        ["08:00", "102", "31", "14", "22", "6", "84% ~", "99%", "100%", "97%", "95% ✗"]
    ]
    console = Console(width=80, record=True)
    console.print(compact_table([(h, "right") for h in headers], rows, "staffing plan"))
    text = console.export_text()
    assert "…" not in text and max(len(x) for x in text.splitlines()) <= 80
    for value in rows[0] or []:
        assert value in text


def test_a_table_wider_than_the_terminal_is_split_and_drops_no_column() -> None:
    from rich.console import Console

    from ccsim.cli.tables import compact_table

    columns = [("assumption", "left")] + [(f"total cost at point {k}", "right") for k in range(8)]
    rows: list[list[str] | None] = [["handle time", *(f"{1000 * k + 0.5:,.1f}±12.3" for k in range(8))]]
    console = Console(width=80, record=True)
    console.print(compact_table(columns, rows, "costs"))
    text = console.export_text()
    assert max(len(x) for x in text.splitlines()) <= 80 and "…" not in text
    for value in rows[0] or []:
        assert value in text  # every column, none cropped
    assert text.count("handle time") == 2  # the label repeated in each part


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial.md"])
def test_the_file_tables_list_every_output_file(page: str, tmp_path: Path) -> None:
    import re

    out = tmp_path / "o"
    args = ["run", str(ROOT / "configs" / "quickstart.toml"), "-r", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, [*args, "--set", "scenario.duration=1h"]).exit_code == 0
    text = (ROOT / page).read_text(encoding="utf-8")
    table = text.split("| file |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)`", table, re.MULTILINE))
    assert listed == {p.name for p in out.iterdir()}
