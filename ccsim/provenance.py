"""What produced a result: versions of ccsim and its engine libraries, and the git commit."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any


def git_commit(path: Path | None = None) -> str | None:
    """The commit of the repository holding ``path`` (default: ccsim's own), if any."""
    where = path or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def versions() -> dict[str, Any]:
    """The versions of ccsim (as installed), its engine libraries and Python, and the git commit."""
    return {
        "ccsim": version("ccsim"),
        "simpy": version("simpy"),  # as installed (the package metadata): nothing is imported
        "numpy": version("numpy"),
        "pandas": version("pandas"),
        "python": platform.python_version(),
        "git_commit": git_commit(),
    }
