"""The counting benchmark runs on a small config and reports what it promises."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_journeys_lines_counts_lines_per_contact_and_the_heap(capsys):
    lines = _load("journeys_lines")
    assert lines.main([str(ROOT / "configs" / "erlang_a.toml"), "--duration", "3000s", "--top", "3"]) == 0
    out = capsys.readouterr().out
    per_contact = float(re.search(r"([\d.]+) ccsim lines per contact", out).group(1))
    assert 20 < per_contact < 500  # the lean path runs about 76
    assert len(re.findall(r"^\s+[\d.]+\s+model/", out, flags=re.M)) == 3
    assert re.search(r"event heap at a pop: mean [\d,]+", out)
