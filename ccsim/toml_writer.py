"""Writing TOML: the one writer of the package, on tomlkit (the standard library only reads TOML).

``to_toml`` writes a config (a dict as ``tomllib`` reads it) with the layout of the example
configs: top-level tables and arrays of tables get headers, and so do the named tables inside a
top-level table (``[channels.phone]``); everything deeper is written inline (``{ dist = ... }``).
``inline`` and ``comment_lines`` are the pieces for writers that add comments, such as the
calibrated scenario of ``ccsim.calibrate.writer``, which keeps a comment on where each value came
from.
"""

from __future__ import annotations

import textwrap
from typing import Any

import tomlkit
from tomlkit.items import Item, Table

WIDTH = 100  # comments are wrapped to this many characters


def inline(value: Any) -> Item:
    """A value as an inline TOML item: tables as ``{ ... }``, lists as ``[ ... ]``."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for k, v in value.items():
            table.append(k, inline(v))
        return table
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        for v in value:
            array.append(inline(v))
        return array
    return tomlkit.item(value)


def comment_lines(text: str, indent: str = "") -> list[str]:
    """``text`` wrapped to comment lines (without the ``# ``) that fit ``WIDTH`` after ``indent``."""
    return textwrap.wrap(text, WIDTH - len(indent) - 2) or [""]


def add_comment(container: Any, text: str) -> None:
    """``text`` as comment lines in a document or table, before what is added next."""
    for line in comment_lines(text):
        container.add(tomlkit.comment(line))


def to_toml(raw: dict[str, Any]) -> str:
    """A config as TOML text (tables as headers, arrays of tables as [[...]]; None left out)."""
    doc = tomlkit.document()
    _fill(doc, [], _drop_none(raw))
    return tomlkit.dumps(doc).strip() + "\n"


def _fill(container: Any, path: list[str], node: dict[str, Any]) -> None:
    sections = [k for k, v in node.items() if _is_section(path, v)]
    for k in node:
        if k not in sections:
            container.add(k, inline(node[k]))
    for k in sections:
        v = node[k]
        if isinstance(v, dict):
            plain = any(not _is_section([*path, k], x) for x in v.values())
            table: Table = tomlkit.table(is_super_table=not plain and bool(v))
            _fill(table, [*path, k], v)
            container.add(k, table)
            continue
        tables = tomlkit.aot()
        for item in v:
            entry = tomlkit.table()
            for a, b in item.items():
                entry.add(a, inline(b))
            tables.append(entry)
        container.add(k, tables)


def _drop_none(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _drop_none(x) for k, x in v.items() if x is not None}
    if isinstance(v, list | tuple):
        return [_drop_none(x) for x in v if x is not None]
    return v


def _is_section(path: list[str], v: Any) -> bool:
    """Top-level tables and arrays of tables, and the named tables inside top-level tables
    (``[channels.phone]``), get headers; everything deeper is written inline."""
    if isinstance(v, list):
        return not path and bool(v) and all(isinstance(x, dict) for x in v)
    return isinstance(v, dict) and len(path) <= 1 and "dist" not in v
