"""The documentation runs: the config reference matches the schema, every complete TOML scenario
in docs/ loads and simulates, every Python block in docs/ and README.md runs (together with
the `$ ccsim ...` commands shown in console blocks before it), the results reference lists
exactly the columns of the tables, and every relative link points to an existing file.

Markdown conventions the tests rely on:
- a ```toml block with a `[scenario]` table is a complete scenario;
- a ```console block's lines starting with `$ ccsim ` are commands a reader types;
- a line `<!-- no-test -->` right before a fence skips that block (only for blocks that truly
  cannot run here, e.g. ones that need a server).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

import ccsim
from ccsim.model.store import OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.rglob("*.md"))
PAGES = [ROOT / "README.md", *DOC_FILES]

# Pages that are linked before they are written (repository-relative paths); links to them may
# dangle until they land. Empty now: list a page here only while it is being written, with a
# comment saying who writes it, and remove it as soon as it exists.
PENDING_PAGES: set[str] = set()

FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)[^\n]*\n(.*?)^\1\s*$", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
NO_TEST = "<!-- no-test -->"


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    code: str
    skip: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        line = text.count("\n", 0, m.start()) + 1
        out.append(Block(path, line, m.group(2).lower(), m.group(3), before == NO_TEST))
    return out


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------------- (a) config reference


def test_config_reference_is_up_to_date() -> None:
    from ccsim.config.reference import render_config_reference

    committed = (DOCS / "reference" / "config.md").read_text(encoding="utf-8")
    assert committed == render_config_reference(), (
        "docs/reference/config.md is out of date with the schema; regenerate it with\n"
        "    python -m ccsim.config.reference > docs/reference/config.md"
    )


# ---------------------------------------------------------------------- (b) TOML scenarios

SCENARIOS = [
    b
    for p in DOC_FILES
    for b in blocks(p)
    if b.lang == "toml" and not b.skip and re.search(r"^\[scenario\]", b.code, re.MULTILINE)
]


@pytest.mark.parametrize("block", SCENARIOS, ids=[b.id for b in SCENARIOS])
def test_toml_scenario_runs(block: Block) -> None:
    scenario = ccsim.from_dict(tomllib.loads(block.code), base_dir=ROOT)
    if scenario.scenario.duration > 3 * 86400:  # keep the suite fast
        scenario = scenario.with_overrides({"scenario.duration": "3d"})
    results = ccsim.simulate(scenario, replications=1, contacts=False)
    offered = results.kpi("offered")[0]
    assert offered > 0, f"{block.id}: the scenario produced no contacts"
    row = results.summary[results.summary["group_by"] == "all"].iloc[0]
    ends = row[list(OUTCOMES)].sum()
    assert ends == pytest.approx(offered), f"{block.id}: outcomes do not add up to offered"


# ---------------------------------------------------------------------- (c) Python blocks


def _run_command(line: str, where: str) -> None:
    from typer.testing import CliRunner

    from ccsim.cli import app

    args = shlex.split(line)[1:]  # drop "ccsim"
    result = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    assert result.exit_code == 0, f"{where}: `{line}` failed:\n{result.output}"


PY_PAGES = [p for p in PAGES if any(b.lang == "python" and not b.skip for b in blocks(p))]


@pytest.mark.parametrize("page", PY_PAGES, ids=[_rel(p) for p in PY_PAGES])
def test_python_blocks_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's Python blocks run in order in one namespace, as a reader would run them."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.skip:
            continue
        if block.lang == "console":
            for line in block.code.splitlines():
                if line.startswith("$ ccsim "):
                    _run_command(line[2:], block.id)
        elif block.lang == "python":
            exec(compile(block.code, block.id, "exec"), namespace)


# ---------------------------------------------------------------------- results reference


def _documented_columns(section: str) -> set[str]:
    """Backticked names in the first cell of `| column | ...` tables under a `### `name`` heading."""
    text = (DOCS / "reference" / "results.md").read_text(encoding="utf-8")
    body = re.split(rf"^### `{section}`$", text, flags=re.MULTILINE)[1]
    body = re.split(r"^##", body, flags=re.MULTILINE)[0]
    names: set[str] = set()
    for table in re.findall(r"^\| column \|.*?(?=^[^|]|\Z)", body, re.MULTILINE | re.DOTALL):
        for row in table.splitlines()[2:]:
            names.update(re.findall(r"`([^`]+)`", row.split("|")[1]))
    return names


def test_results_reference_lists_every_column() -> None:
    scenario = ccsim.load(ROOT / "configs" / "quickstart.toml")
    results = ccsim.simulate(scenario.with_overrides({"scenario.duration": "2h"}), replications=2)
    assert results.contacts is not None
    for name, frame in [
        ("contacts", results.contacts),
        ("intervals", results.intervals),
        ("agents", results.agents),
    ]:
        assert set(frame.columns) == _documented_columns(name), f"docs/reference/results.md: {name}"
    text = (DOCS / "reference" / "results.md").read_text(encoding="utf-8")
    section = text.split("### `replications`")[1].split("###")[0]
    mentioned = set(re.findall(r"`([^`]+)`", section)) | _documented_columns("intervals")
    assert set(results.per_replication.columns) <= mentioned, "docs/reference/results.md: replications"
    summary = {c.removesuffix("_ci95") for c in results.summary.columns}
    assert summary == _documented_columns("summary") - {"_ci95"}, "docs/reference/results.md: summary"


# ---------------------------------------------------------------------- (d) links


def _strip_code(text: str) -> str:
    text = FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchors(path: Path) -> set[str]:
    text = _strip_code(path.read_text(encoding="utf-8"))
    ids = set(re.findall(r'<a id="([^"]+)"', text))
    for heading in re.findall(r"^#+\s+(.*)$", path.read_text(encoding="utf-8"), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        ids.add(slug)
    return ids


@pytest.mark.parametrize("page", PAGES, ids=[_rel(p) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(_strip_code(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # absolute URLs; in-page anchors
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve()
        rel = _rel(dest) if dest.is_relative_to(ROOT) else str(dest)
        if not dest.exists():
            if rel not in PENDING_PAGES:
                broken.append(f"{target} (no file {rel})")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no anchor #{anchor} in {rel})")
    assert not broken, f"{_rel(page)}: broken links: " + "; ".join(broken)
