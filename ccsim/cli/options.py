"""Options several commands share, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

from ccsim.config.errors import ConfigError

Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="local worker processes (default: one per core)")
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="run the replications on a Dask cluster: the scheduler's address, tcp://HOST:PORT"
    ),
]


def where(workers: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """``workers`` and ``executor`` for ``ccsim.simulate`` from the two options (one at most)."""
    if workers is not None and scheduler is not None:
        raise ConfigError(["give --workers or --scheduler, not both"])
    return workers, scheduler
