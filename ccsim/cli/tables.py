"""Rich tables for the terminal: the compact summary of a run, and what it says of the targets.

Tables are built to fit an 80-column terminal; a value that does not fit is wrapped, never cut.
"""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from ccsim.economics.targets import intervals_below, status
from ccsim.model.timeline import clock_label

# the terminal's mark for each state of ccsim.economics.targets.status
MARKS = {"met": "✓", "close": "~", "missed": "✗", "": ""}
LEGEND = (
    "mean±95% half-width over the replications; target ✓ met even at the low end of the "
    "interval, ~ can't tell (the target is inside it), ✗ missed even at its high end"
)


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def _pm(mean: float, ci: float, fmt: str, unit: str = "") -> str:
    """'83.5±0.9%': a mean and its 95% half-width, compact enough for an 80-column terminal."""
    if not _finite(mean):
        return "-"
    text = format(mean, fmt)
    if _finite(ci):
        text += "±" + format(ci, fmt)
    return text + unit


def duration_pm(mean: float, ci: float) -> str:
    """A wait with its half-width in s, min or h, chosen by the mean's size: '8.7±0.9s',
    '24.8±14.5min', '3.1±0.4h' (deferred channels wait minutes to hours)."""
    if not _finite(mean):
        return "-"
    unit, size = ("s", 1.0) if mean < 120 else ("min", 60.0) if mean < 7200 else ("h", 3600.0)
    return _pm(mean / size, ci / size if _finite(ci) else ci, ".1f", unit)


def pct_pm(mean: float, ci: float) -> str:
    return _pm(mean * 100, ci * 100, ".1f", "%") if _finite(mean) else "-"


def target_cell(row: Any) -> str:
    """'80% ✓': the channel's target and the state of its mean service level against it."""
    target = row.get("sl_target")
    if not _finite(target):
        return ""
    st = status(float(row["service_level"]), float(row["service_level_ci95"]), float(target))
    return f"{target:.0%} {MARKS[st]}".rstrip()


def summary_table(results: Any) -> Table:
    """One row per channel (and all): offered, service level and its target, ASA, abandonment;
    then occupancy per agent group. Means with their 95% confidence half-widths."""
    s = results.summary
    title = f"{results.scenario.name}: {results.replications} replication(s), seed {results.seed}"
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        padding=(0, 1),
    )
    for col in ("", "offered", "SL", "target", "ASA", "abandoned", "occupancy"):
        table.add_column(col, justify="left" if not col else "right", overflow="fold")
    rows = s[s["group_by"].isin(["all", "channel"])]
    for _, r in rows.iterrows():
        table.add_row(
            "all" if r["group_by"] == "all" else str(r["group"]),
            f"{r['offered']:.0f}",
            pct_pm(r["service_level"], r["service_level_ci95"]),
            target_cell(r),
            duration_pm(r["asa_s"], r["asa_s_ci95"]),
            pct_pm(r["abandon_rate"], r["abandon_rate_ci95"]),
            pct_pm(r["occupancy"], r["occupancy_ci95"]) if r["group_by"] == "all" else "",
        )
    table.add_section()
    for _, r in s[s["group_by"] == "agent_group"].iterrows():
        table.add_row(str(r["group"]), "", "", "", "", "", pct_pm(r["occupancy"], r["occupancy_ci95"]))
    return table


def interval_word(interval_s: float, n: int) -> str:
    """'half-hours', 'quarter-hours', 'hours' or 'intervals' (for ``n`` of them)."""
    word = {1800.0: "half-hour", 900.0: "quarter-hour", 3600.0: "hour"}.get(float(interval_s), "interval")
    return word if n == 1 else word + "s"


def _spans(intervals: list[int], start: float, step: float) -> list[str]:
    """Runs of consecutive intervals as clock spans: [18, 19, 20, 25] -> ['09:00-10:30', '12:30-13:00']."""
    runs: list[list[int]] = []
    for k in sorted(intervals):
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return [f"{clock_label(start + a * step)}-{clock_label(start + (b + 1) * step)}" for a, b in runs]


def shortfall_lines(results: Any, max_spans: int = 4) -> list[str]:
    """Per channel with a target: how many intervals have a service level (pooled over the
    replications) below it, and when: 'phone: 4 of 20 half-hours below 80%: 09:00-11:00'."""
    frame = intervals_below(results)
    sc = results.scenario.scenario
    lines = []
    for channel in [c for c in results.scenario.channels if c in set(frame["channel"])]:
        part = frame[frame["channel"] == channel]
        below = part.loc[part["below"], "interval"].astype(int).tolist()
        n, target = len(part), float(part["target"].iloc[0])
        word = interval_word(sc.interval, n)
        if not below:
            lines.append(f"{channel}: every one of {n} {word} at or above {target:.0%}")
            continue
        spans = _spans(below, sc.start, sc.interval)
        more = f" and {len(spans) - max_spans} more" if len(spans) > max_spans else ""
        shown = ", ".join(spans[:max_spans])
        lines.append(f"{channel}: {len(below)} of {n} {word} below {target:.0%}: {shown}{more}")
    return lines


def moved_line(results: Any, most: int = 3) -> str | None:
    """With channel choice: contacts that chose another channel than their stream's, per
    replication, and the largest moves: 'channel choice: 508±17 moved per replication (phone →
    chat 220±13, ...)'.
    None without channel choice."""
    s = results.summary
    if "moved" not in s.columns:
        return None
    total = s[s["group_by"] == "all"].iloc[0]
    moves = s[s["group_by"] == "move"].sort_values("moved", ascending=False, kind="stable").head(most)
    pairs = ", ".join(
        f"{str(m['group']).replace('->', ' → ')} {_pm(m['moved'], m['moved_ci95'], ',.0f')}"
        for _, m in moves.iterrows()
    )
    more = ", ..." if (s["group_by"] == "move").sum() > most else ""
    moved = _pm(total["moved"], total["moved_ci95"], ",.0f")
    return f"channel choice: {moved} moved per replication" + (f" ({pairs}{more})" if pairs else "")


SECTION = None  # a row of compact_table that draws a line instead


def compact_table(
    columns: list[tuple[str, str]], rows: list[list[str] | None], title: str = "", keep: int = 1
) -> CompactTable:
    """A table of text cells, ``columns`` as (header, justify), with no outer edge and one space
    between columns; each column is at least as wide as its longest value, so in a narrow
    terminal the headers wrap and no value is cut. Where the columns are wider than the terminal
    together, they are printed as several tables, each repeating the first ``keep`` columns
    (the rows' labels), so that no column is dropped. A row ``SECTION`` draws a line."""
    return CompactTable(columns, rows, title, keep)


class CompactTable:
    """``compact_table``'s renderable: its columns split to fit the console when printed."""

    def __init__(self, columns: list[tuple[str, str]], rows: list[list[str] | None], title: str, keep: int):
        self.columns, self.rows, self.title, self.keep = columns, rows, title, keep

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for k, part in enumerate(self.parts(console, options)):
            if k:
                yield Text("")  # a blank line between the parts
            yield part

    def parts(self, console: Console, options: ConsoleOptions) -> list[Table]:
        """Tables of the label columns and as many of the others as fit the width, in order."""
        labels, rest = (
            list(range(min(self.keep, len(self.columns)))),
            list(range(self.keep, len(self.columns))),
        )
        groups: list[list[int]] = []
        for j in rest:
            if groups and self._fits(console, options, labels + groups[-1] + [j]):
                groups[-1].append(j)
            else:
                groups.append([j])
        chosen = [labels + g for g in groups] or [labels]
        return [self._table(cols, self.title if k == 0 else "") for k, cols in enumerate(chosen)]

    def _fits(self, console: Console, options: ConsoleOptions, cols: list[int]) -> bool:
        """Whether the columns ``cols`` print at this width with every value whole: each row's
        line (one per row, the last lines of the table) holds its values in order."""
        lines = console.render_lines(self._table(cols, ""), options, pad=False)
        texts = ["".join(segment.text for segment in line) for line in lines]
        if len(texts) < len(self.rows):
            return False
        for row, text in zip(self.rows, texts[len(texts) - len(self.rows) :], strict=True):
            at = 0
            for value in [row[j] for j in cols] if row is not None else []:
                at = text.find(value, at)
                if at < 0:
                    return False
                at += len(value)
        return True

    def _table(self, cols: list[int], title: str) -> Table:
        """The table of columns ``cols``, each at least as wide as its widest value (longer
        headers wrap)."""
        table = Table(
            title=title or None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for j in cols:
            header, justify = self.columns[j]
            widest = max((len(r[j]) for r in self.rows if r is not SECTION), default=0)
            table.add_column(header, justify=justify, min_width=widest, overflow="fold")  # type: ignore[arg-type]
        for row in self.rows:
            if row is SECTION:
                table.add_section()
            else:
                table.add_row(*(row[j] for j in cols))
        return table
