"""Write a ``Calibration`` as a scenario TOML file whose comments say where each number came from."""

from __future__ import annotations

import textwrap
from typing import Any

from ccsim.calibrate.scenario import Calibration
from ccsim.config.toml_text import toml_key, toml_value

WIDTH = 100
SECTIONS = ["channels", "segments", "contact_types", "agents"]


def _comment(text: str, indent: str = "") -> list[str]:
    return [indent + "# " + line for line in textwrap.wrap(text, WIDTH - len(indent) - 2)] or [indent + "#"]


def _long_list(key: str, values: list[Any], chunk: int, labels: list[str] | None) -> list[str]:
    """A list over several lines: one block per day (with its label), a few values per line."""
    lines = [f"{key} = ["]
    per_line = 8 if any(isinstance(x, str) for x in values) else 12
    for d in range(0, len(values), chunk):
        if labels and d // chunk < len(labels):
            lines += _comment(labels[d // chunk], "  ")
        block = values[d : d + chunk]
        for i in range(0, len(block), per_line):
            lines.append("  " + ", ".join(toml_value(x) for x in block[i : i + per_line]) + ",")
    lines.append("]")
    return lines


def _entry(path: str, key: str, value: Any, cal: Calibration) -> list[str]:
    note = cal.notes.get(path)
    lines = _comment(note) if note else []
    if isinstance(value, list) and len(value) > 12:
        return lines + _long_list(key, value, cal.per_day, cal.list_labels.get(path))
    if isinstance(value, dict) and value.get("dist") == "empirical":
        vals = value["values"]
        unit = f"unit = {toml_value(value['unit'])}, " if "unit" in value else ""
        out = [key + ' = { dist = "empirical", ' + unit + "values = ["]
        for i in range(0, len(vals), 12):
            out.append("  " + ", ".join(toml_value(x) for x in vals[i : i + 12]) + ",")
        out.append("] }")
        return lines + out
    return [*lines, f"{key} = {toml_value(value)}"]


def _table(name: str, body: dict[str, Any], cal: Calibration, prefix: str) -> list[str]:
    lines = ["", f"[{name}]"]
    for k, v in body.items():
        lines += _entry(f"{prefix}.{k}", toml_key(k), v, cal)
    return lines


def write_toml(cal: Calibration) -> str:
    """The scenario file's text."""
    raw = cal.raw
    lines: list[str] = []
    for h in cal.header:
        lines += _comment(h)
    lines += _table("scenario", raw["scenario"], cal, "scenario")
    for section in SECTIONS:
        for name, body in raw.get(section, {}).items():
            lines += _table(f"{section}.{toml_key(name)}", body, cal, f"{section}.{name}")
    for i, stream in enumerate(raw.get("demand", [])):
        lines += ["", "[[demand]]"]
        for k, v in stream.items():
            lines += _entry(f"demand.{i}.{k}", toml_key(k), v, cal)
    if "routing" in raw:
        lines += _table("routing", raw["routing"], cal, "routing")
    return "\n".join(lines).lstrip("\n") + "\n"
