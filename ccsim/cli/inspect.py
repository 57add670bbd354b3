"""``ccsim validate`` (check a file, show offered load against staffing) and ``ccsim schema``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from ccsim.cli.common import user_errors
from ccsim.cli.loader import load_scenario
from ccsim.cli.options import ConfigPath, Sets, out_option
from ccsim.config.schema import model_json_schema
from ccsim.erlang_requirement import erlang_estimate
from ccsim.scenario import Scenario
from ccsim.units import format_duration
from ccsim.workload import offered_load, overload_warnings

SchemaOut = Annotated[Path | None, out_option("write to this file")]
MAX_ROWS = 24  # intervals shown per channel; more are merged, several to a row


@user_errors
def validate(config: ConfigPath, set_: Sets = None) -> None:
    """Check a scenario file; show offered load per channel and interval against staffing."""
    scenario = load_scenario(config, set_)
    plan = scenario.plan
    frame = offered_load(scenario, plan)
    frame["erlang"] = erlang_estimate(scenario, plan, frame)
    console = Console()
    sc = scenario.scenario
    console.print(
        f"[bold]{scenario.name}[/bold]: {config} is valid. Measured {format_duration(sc.duration)} "
        f"after {format_duration(sc.warmup)} warm-up, intervals of {format_duration(sc.interval)}, "
        f"{sc.replications} replication(s), seed {sc.seed}."
    )
    for ch, part in frame.groupby("channel", sort=False):
        console.print(_load_table(scenario, str(ch), part))
    console.print(
        "Erlang C/A: agents the analytic formula needs for the target in each interval "
        "(Erlang A where patience is set; staffed counts every group on the channel).",
        style="dim",
    )
    for w in overload_warnings(scenario, plan):
        console.print(f"warning: {w}", style="yellow")


def _load_table(scenario: Scenario, channel: str, part: pd.DataFrame) -> Table:
    """A channel's offered load against its staffing, interval by interval (red: overloaded)."""
    spec = scenario.channels[channel]
    sl = spec.service_level
    sl_text = f"SL target {sl.target:.0%} within {format_duration(sl.within)}" if sl else "no SL"
    table = Table(title=f"{channel} ({spec.kind}, {sl_text})", title_justify="left", show_edge=False)
    for col in ("interval", "contacts/h", "AHT", "load (Erl)", "staffed", "Erlang C/A"):
        table.add_column(col, justify="right")
    start = scenario.scenario.start
    step = max(1, math.ceil(len(part) / MAX_ROWS))
    for k in range(0, len(part), step):
        block = part.iloc[k : k + step]
        t = (start + block["start_s"].iloc[0]) % 86400
        day = int((start + block["start_s"].iloc[0]) // 86400)
        label = f"{'d' + str(day) + ' ' if day else ''}{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"
        load, staffed = block["load_erlangs"].mean(), block["agents"].mean()
        style = "red" if load >= staffed and load > 0 else ""
        erl = block["erlang"].max()
        table.add_row(
            label,
            f"{block['rate_per_h'].mean():.0f}",
            format_duration(round(block["aht_s"].mean())) if block["aht_s"].notna().any() else "-",
            f"{load:.1f}",
            f"{staffed:.0f}",
            "-" if math.isnan(erl) else f"{erl:.0f}",
            style=style,
        )
    if step > 1:
        table.caption = f"{step} intervals a row (means; Erlang: the largest)"
    return table


def schema(out: SchemaOut = None) -> None:
    """Print the JSON Schema of scenario files (for editor completion and checks)."""
    text = json.dumps(model_json_schema(), indent=2)
    if out:
        out.write_text(text + "\n")
    else:
        print(text)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
