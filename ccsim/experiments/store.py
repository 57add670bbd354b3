"""The result store of a sweep: one folder, written as tasks finish.

```
OUT/
  manifest.json              the sweep: base config, factors, design, seed, replications, every
                             point with its overrides and key; status and counts; versions
  points/KEY.rA-B.parquet    replications A to B of the point KEY: KPIs per replication (one
                             row per replication and group, as Results.per_replication)
  points/KEY.rA-B.error.json a failed task: its error and traceback (retried on the next run)
  replications.parquet       the wide table, one row per point and replication (at the end)
  summary.parquet, summary.csv   one row per point: mean and 95% half-width of each KPI
  points.csv                 every point: factors, status, error, wall time
```

Every file is written to a temporary file in the same folder, flushed to disk and moved into
place with ``os.replace``, so a file either exists whole or not at all, even when the process is
killed. A replication of a point is finished when a ``KEY.rA-B.parquet`` holding it exists; the
point's key hashes the config, the overrides and the seed, so a rerun runs exactly the
replications that are missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ccsim.experiments.tasks import PointOutcome, normalise, parse_task_key

META_KEY = b"ccsim"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file via a temporary file beside it and ``os.replace``. The temporary file is
    created as an ordinary file (permissions from the umask, as ``ccsim run`` writes), not by
    ``tempfile.mkstemp``, whose 0600 would make a sweep's files unreadable to colleagues."""
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    tmp.touch(exist_ok=False)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: _write_text(p, text))


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n"


def parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns of mixed types (factor values such as ``[30, "1min"]`` or tables) as JSON
    text, so the frame can be written to Parquet."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        values = out[col].dropna().tolist()
        if all(isinstance(v, str) for v in values):
            continue
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            out[col] = pd.to_numeric(out[col])
            continue
        out[col] = [v if v is None else json.dumps(v, default=str) for v in out[col]]
    return out


class SweepStore:
    """Read and write one sweep's folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.points_dir = self.folder / "points"

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def open(self) -> None:
        """Create the folder; remove temporary files a killed run left behind."""
        self.points_dir.mkdir(parents=True, exist_ok=True)
        for leftover in [*self.points_dir.glob(".*.tmp"), *self.folder.glob(".*.tmp")]:
            with contextlib.suppress(OSError):
                leftover.unlink()

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return dict(json.loads(self.manifest_path.read_text(encoding="utf-8")))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_text(self.manifest_path, _json(manifest))

    def _point(self, key: str) -> Path:
        return self.points_dir / f"{key}.parquet"

    def _error(self, key: str) -> Path:
        return self.points_dir / f"{key}.error.json"

    def scan(self, kind: str = "parquet") -> dict[str, list[tuple[str, int, int]]]:
        """The task files in the folder, by point: ``{point key: [(task key, first, last), ...]}``;
        ``kind`` is ``"parquet"`` (finished tasks) or ``"error.json"`` (failed tasks)."""
        out: dict[str, list[tuple[str, int, int]]] = {}
        suffix = "." + kind
        if not self.points_dir.is_dir():
            return out
        for path in sorted(self.points_dir.glob("*" + suffix)):
            parsed = parse_task_key(path.name[: -len(suffix)])
            if parsed is not None:
                point, first, last = parsed
                out.setdefault(point, []).append((path.name[: -len(suffix)], first, last))
        return out

    def finished(
        self, point: str, wanted: range, files: dict[str, list[tuple[str, int, int]]]
    ) -> list[PointOutcome]:
        """The finished tasks of a point that hold any of the ``wanted`` replications."""
        out = []
        for key, first, last in files.get(point, []):
            if first < wanted.stop and last >= wanted.start:
                try:
                    out.append(self.read_point(key))
                except Exception:  # unreadable (should not happen with atomic writes): run again
                    continue
        return out

    def read_point(self, key: str) -> PointOutcome:
        import pyarrow.parquet as pq

        table = pq.read_table(self._point(key))
        meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
        return PointOutcome(
            key=key,
            rows=normalise(table.to_pandas()),
            sl_definitions=dict(meta.get("sl_definitions", {})),
            warnings=list(meta.get("warnings", [])),
            wall_s=float(meta.get("wall_s", 0.0)),
            reused=True,
        )

    def read_error(self, key: str) -> dict[str, Any] | None:
        path = self._error(key)
        if not path.exists():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def save(
        self,
        outcome: PointOutcome,
        overrides: dict[str, Any] | None = None,
        replications: list[int] | None = None,
    ) -> None:
        """Write a finished task (or a failed task's error) atomically."""
        if outcome.ok and outcome.rows is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            meta = {
                "key": outcome.key,
                "overrides": overrides,
                "replications": replications,
                "sl_definitions": outcome.sl_definitions,
                "warnings": outcome.warnings,
                "wall_s": outcome.wall_s,
            }
            table = pa.Table.from_pandas(outcome.rows, preserve_index=False)
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), META_KEY: json.dumps(meta, default=str).encode()}
            )
            atomic_write(self._point(outcome.key), lambda p: pq.write_table(table, p))
            with contextlib.suppress(FileNotFoundError):
                self._error(outcome.key).unlink()
        else:
            info = {
                "key": outcome.key,
                "overrides": overrides,
                "replications": replications,
                "error": outcome.error,
                "traceback": outcome.traceback,
                "wall_s": outcome.wall_s,
            }
            atomic_text(self._error(outcome.key), _json(info))

    def write_tables(
        self, per_replication: pd.DataFrame, summary: pd.DataFrame, points: pd.DataFrame
    ) -> None:
        """The combined tables of the sweep (rewritten at the end of each run)."""
        per_rep = parquet_safe(per_replication)
        summ = parquet_safe(summary)
        atomic_write(self.folder / "replications.parquet", lambda p: per_rep.to_parquet(p, index=False))
        atomic_write(self.folder / "summary.parquet", lambda p: summ.to_parquet(p, index=False))
        atomic_write(self.folder / "summary.csv", lambda p: summary.to_csv(p, index=False))
        atomic_write(self.folder / "points.csv", lambda p: points.to_csv(p, index=False))
