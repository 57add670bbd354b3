"""Helpers shared by the commands: error reporting, the command line and the consoles."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from ccsim.config.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Print a ``ConfigError`` (or a bad argument) as one message and exit with code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def command_line() -> str:
    """The command as typed, for the manifests: ``ccsim run configs/quickstart.toml -r 5``."""
    return " ".join(["ccsim", *sys.argv[1:]])


def progress_console(quiet: bool) -> Console:
    """Progress goes to stderr (silent with ``--quiet``), so that stdout keeps the answer."""
    return Console(stderr=True, quiet=quiet)


def say_to(console: Console) -> Callable[[str], None]:
    """A ``progress(message)`` callback for the optimiser, printed dim and as written."""
    return lambda msg: console.print(msg, style="dim", markup=False)
