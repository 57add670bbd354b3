"""User-facing configuration errors: the TOML path, the rule and the value."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from pydantic import ValidationError


class ConfigError(Exception):
    """A mistake in a scenario file. ``str()`` is the message shown to the user."""

    def __init__(self, problems: Sequence[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = head + self.problems[0]
        else:
            text = f"{head}{len(self.problems)} problems\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


def suggest(name: str, choices: Iterable[str], defined: bool = False) -> str:
    """A ' (did you mean ...?)' hint for a near-miss name, or ''. ``defined``: the choices are
    names the user defined (channels, segments, ...), so the near miss may be the misspelt one."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not close:
        return ""
    if defined:
        return f" (did you mean {close[0]!r}?) or is {close[0]!r} misspelt where it is defined"
    return f" (did you mean {close[0]!r}?)"


def unknown_name(path: str, what: str, name: object, known: Iterable[str]) -> str:
    """The problem of a reference to a name the scenario does not define (a channel, segment,
    contact type, group, ...): the near miss, both ways, and the names it does define."""
    names = list(known)
    hint = suggest(str(name), names, defined=True)
    return f"{path}: unknown {what} {name!r}{hint}; known: {', '.join(names)}"


def format_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_TAGS = {
    "exponential",
    "constant",
    "uniform",
    "lognormal",
    "gamma",
    "erlang",
    "empirical",
    "str",
    "dict[str,float]",
    "list[str]",
    "list[constrained-int]",
    "list[function-before[_rate(), float]]",
    "ProfileFile",
    "list[float]",
    "int",
    "float",
    "function-before[_rate(), float]",
    "function-before[_duration(), float]",
    "function-before[_clock(), float]",
    "list[Hours]",
    "list[Shift]",
    "list[function-before[_duration(), float]]",
}


_BOUNDS = {
    "greater_than_equal": ">=",
    "greater_than": ">",
    "less_than_equal": "<=",
    "less_than": "<",
    "too_short": "at least of length",
}


def _clean_loc(loc: Sequence[int | str]) -> list[int | str]:
    """Drop pydantic's union/tag markers from an error location."""
    return [p for p in loc if not (isinstance(p, str) and (p in _TAGS or ("[" in p and "]" in p)))]


def from_validation_error(
    exc: ValidationError, raw: dict | None = None, known_keys: dict[str, set[str]] | None = None
) -> list[str]:
    """Turn pydantic's errors into one line each: ``path: rule (got value)``."""
    problems: list[str] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        path = format_path(loc)
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            parent = loc[:-1]
            allowed = _allowed_keys(exc, parent, known_keys)
            hint = suggest(str(loc[-1]), allowed) if allowed else ""
            msg = f"{path}: unknown key{hint}"
        elif kind == "missing":
            msg = f"{path}: required key is missing"
        elif kind == "value_error":
            text = str(err["msg"]).removeprefix("Value error, ")
            msg = f"{path}: {text}"
            if "(got" not in text and value is not None and not isinstance(value, dict | list):
                msg += f" (got {value!r})"
        elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
            msg = (
                f"{path}: 'dist' must be one of exponential, constant, uniform, lognormal, gamma, "
                f"erlang, empirical (got {err.get('ctx', {}).get('tag', value)!r})"
            )
        elif kind in _BOUNDS:
            bound = next(iter((err.get("ctx") or {}).values()), "?")
            msg = f"{path}: must be {_BOUNDS[kind]} {bound} (got {value!r})"
        else:
            text = str(err["msg"]).removeprefix("Value error, ")
            msg = f"{path}: {text.lower()[0] + text[1:] if text else kind} (got {value!r})"
        if msg not in seen:
            seen.add(msg)
            problems.append(msg)
    return _shorten_lists(_drop_union_noise(problems))


_ITEM = re.compile(r"^(.*)\[\d+\]: ")


def _shorten_lists(problems: list[str], keep: int = 3) -> list[str]:
    """Many items of one list with a problem (100 handle times without a unit): the first few,
    then how many more."""
    by_list: dict[str, int] = {}
    out: list[str] = []
    for p in problems:
        m = _ITEM.match(p)
        if m is None:
            out.append(p)
            continue
        n = by_list[m.group(1)] = by_list.get(m.group(1), 0) + 1
        if n <= keep:
            out.append(p)
    for lst, n in by_list.items():
        if n > keep:
            out.append(f"{lst}: {n - keep} more of its items have a problem (the first {keep} are shown)")
    return out


def _drop_union_noise(problems: list[str]) -> list[str]:
    """With unions (a value or a table), keep the most specific message per path."""
    by_path: dict[str, list[str]] = {}
    for p in problems:
        by_path.setdefault(p.split(": ", 1)[0], []).append(p)
    out = []
    for p in problems:
        path = p.split(": ", 1)[0]
        group = by_path[path]
        if len(group) > 1 and "input should be" in p and any("input should be" not in g for g in group):
            continue
        inner = [q for q in problems if q.startswith((path + "[", path + "."))]
        if "input should be" in p and any("input should be" not in q for q in inner):
            continue  # the value's other form (a list, not a table) has the precise message
        out.append(p)
    return out


def _allowed_keys(
    exc: ValidationError, parent: Sequence[int | str], known: dict[str, set[str]] | None
) -> list[str]:
    if not known:
        return []
    key = ".".join(str(p) for p in parent if not isinstance(p, int))
    # known maps a path pattern (with names replaced by '*') to allowed keys
    for pattern, keys in known.items():
        if _match(pattern, key):
            return sorted(keys)
    return []


def _match(pattern: str, key: str) -> bool:
    a, b = pattern.split(".") if pattern else [], key.split(".") if key else []
    return len(a) == len(b) and all(x == "*" or x == y for x, y in zip(a, b, strict=True))
