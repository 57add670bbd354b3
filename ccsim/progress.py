"""The progress bar of a sweep or a run: replications done (over all points), failed, time
elapsed and an estimate of the time left.

On a terminal (and in Jupyter with ipywidgets installed) it is a rich progress bar on stderr. In a
notebook without ipywidgets it is one line updated in place through ``IPython.display``. When
stderr is neither (a log file, CI) it prints nothing until the end, then one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# what a caller passes as ``progress``: True for a bar, a ``progress(done, total)`` callable,
# False or None for nothing
ProgressOption = bool | Callable[[int, int], None] | None


def _fmt(seconds: float) -> str:
    s = max(round(seconds), 0)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class SweepProgress:
    """Report ``done`` of ``total`` replications; ``skipped`` were finished by an earlier run."""

    def __init__(self, total: int, skipped: int, label: str, show: bool | Callable[[int, int], None] = True):
        self.total, self.done, self.failed = total, skipped, 0
        self.skipped = skipped
        self.label = label
        self.callback = show if callable(show) else None
        self.enabled = bool(show) and not callable(show)
        self.t0 = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None
        self._handle: Any = None
        self._last = 0.0

    def __enter__(self) -> SweepProgress:
        if not self.enabled:
            return self
        from rich.console import Console

        console = Console(stderr=True)
        if console.is_jupyter and not _has_ipywidgets():
            from IPython.display import display

            self._handle = display(self._line(), display_id=True)
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.table import Column

            # the name and the bar give way in a narrow terminal; the counts and times do not
            self._bar = Progress(
                TextColumn(
                    "[bold]{task.description}",
                    table_column=Column(ratio=2, no_wrap=True, overflow="ellipsis", min_width=8),
                ),
                BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=5)),
                MofNCompleteColumn(),
                TextColumn("replications{task.fields[failed]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                expand=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, failed="")
        return self

    def _line(self) -> str:
        ran = self.done - self.skipped
        elapsed = time.perf_counter() - self.t0
        left = "?" if ran == 0 else _fmt(elapsed / ran * (self.total - self.done))
        failed = f", {self.failed} failed" if self.failed else ""
        done = f"{self.done}/{self.total} replications{failed}"
        return f"{self.label}: {done}; elapsed {_fmt(elapsed)}, left {left}"

    def advance(self, n: int, ok: bool) -> None:
        """``n`` more replications done (``ok``: without an error)."""
        self.done += n
        self.failed += 0 if ok else n
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self._bar is not None:
            failed = f" ({self.failed} failed)" if self.failed else ""
            self._bar.update(self._task, advance=n, failed=failed)
        elif self._handle is not None:
            now = time.perf_counter()
            if now - self._last > 0.25 or self.done == self.total:
                self._last = now
                self._handle.update(self._line())

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self._handle is not None:
            self._handle.update(self._line())


def _has_ipywidgets() -> bool:
    import importlib.util

    return importlib.util.find_spec("ipywidgets") is not None
