"""Write a calibrated scenario (a ``Calibration``, or anything with its ``Commented`` fields) as a
scenario TOML file whose comments say where each number came from.

The file is built with tomlkit (``ccsim.toml_writer``): each value is preceded by its note from
``Calibration.notes``; long lists (rates and staffing per interval) are written one day per block
under a comment naming the day, a few values per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import tomlkit
from tomlkit.items import Array, Item, Table

from ccsim.toml_writer import add_comment, comment_lines, inline

SECTIONS = ["channels", "segments", "contact_types", "agents"]
INDENT = "  "


class Commented(Protocol):
    """What the writer reads of a ``ccsim.calibrate.scenario.Calibration``."""

    raw: dict[str, Any]  # the scenario as a dict
    notes: dict[str, str]  # dotted path -> where its value came from
    header: list[str]  # the file's opening comments
    list_labels: dict[str, list[str]]  # dotted path of a long list -> a label per day
    per_day: int  # values per day in the long lists


def _lines(values: Sequence[object], per_line: int, labels: list[str] | None = None, chunk: int = 0) -> Array:
    """A multi-line array, ``per_line`` values a line; with ``labels``, a comment line before
    each block of ``chunk`` values."""
    array = tomlkit.array()
    for d in range(0, len(values), chunk or len(values)):
        if labels and d // chunk < len(labels):
            for line in comment_lines(labels[d // chunk], INDENT):
                array.add_line(indent=INDENT, comment=line)
        block = values[d : d + (chunk or len(values))]
        for i in range(0, len(block), per_line):
            array.add_line(*block[i : i + per_line], indent=INDENT)
    array.add_line(indent="")
    return array


def _item(path: str, value: object, cal: Commented) -> Item:
    if isinstance(value, list) and len(value) > 12:
        per_line = 8 if any(isinstance(x, str) for x in value) else 12
        return _lines(value, per_line, cal.list_labels.get(path), cal.per_day)
    if isinstance(value, dict) and value.get("dist") == "empirical":
        table = tomlkit.inline_table()
        table.append("dist", "empirical")
        if "unit" in value:
            table.append("unit", value["unit"])
        table.append("values", _lines(value["values"], 12))
        return table
    return inline(value)


def _add(container: Table, path: str, body: dict[str, object], cal: Commented) -> None:
    for k, v in body.items():
        note = cal.notes.get(f"{path}.{k}")
        if note:
            add_comment(container, note)
        container.add(k, _item(f"{path}.{k}", v, cal))


def _table(path: str, body: dict[str, object], cal: Commented) -> Table:
    table = tomlkit.table()
    _add(table, path, body, cal)
    return table


def write_toml(cal: Commented) -> str:
    """The scenario file's text."""
    raw = cal.raw
    doc = tomlkit.document()
    for h in cal.header:
        add_comment(doc, h)
    doc.add("scenario", _table("scenario", raw["scenario"], cal))
    for section in SECTIONS:
        if raw.get(section):
            group = tomlkit.table(is_super_table=True)
            for name, body in raw[section].items():
                group.add(name, _table(f"{section}.{name}", body, cal))
            doc.add(section, group)
    if raw.get("demand"):
        streams = tomlkit.aot()
        for i, stream in enumerate(raw["demand"]):
            streams.append(_table(f"demand.{i}", stream, cal))
        doc.add("demand", streams)
    if "routing" in raw:
        doc.add("routing", _table("routing", raw["routing"], cal))
    return tomlkit.dumps(doc).lstrip("\n")
