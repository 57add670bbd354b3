"""Writing config values as TOML text (the standard library reads TOML but does not write it)."""

from __future__ import annotations

import json
from typing import Any


def toml_value(v: Any) -> str:
    """A value as inline TOML: booleans, numbers, inline tables, arrays, strings."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def toml_key(k: str) -> str:
    """A key, quoted when it is not a bare TOML key."""
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)
