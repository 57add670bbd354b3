"""The planner's report: each figure function against its data, and the page as a file."""

from __future__ import annotations

import html
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.report import figures as F
from ccsim.report import render, render_folder
from ccsim.report.data import ReportData, backlog, from_folder, from_results, interval_labels, to_toml
from ccsim.report.page import status

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["summary", "intervals", "waiting", "agents", "outcomes", "run"]
LIMIT = 10_000_000  # bytes: the ceiling for the examples


@pytest.fixture(scope="module")
def quick() -> Any:
    return ccsim.simulate(ccsim.load(ROOT / "configs" / "quickstart.toml"))


@pytest.fixture(scope="module")
def data(quick: Any) -> ReportData:
    return from_results(quick)


@pytest.fixture(scope="module")
def page(quick: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = render(quick, tmp_path_factory.mktemp("report") / "report.html")
    return path.read_text(encoding="utf-8")


def traces(fig: Any, meta: str) -> list[Any]:
    return [t for t in fig.data if getattr(t, "meta", None) == meta]


def one(fig: Any, meta: str) -> Any:
    found = traces(fig, meta)
    assert len(found) == 1, f"expected one trace tagged {meta!r}, found {len(found)}"
    return found[0]


def figure_specs(text: str) -> dict[str, dict[str, Any]]:
    """The figures of a page: id -> plotly JSON (data, layout)."""
    pattern = r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>'
    return {m[0]: json.loads(m[1]) for m in re.findall(pattern, text, re.DOTALL)}


def per_channel_interval(intervals: pd.DataFrame, num: str, den: list[str]) -> pd.DataFrame:
    cols = list(dict.fromkeys([num, *den]))
    g = intervals.groupby(["replication", "interval", "channel"], observed=True)[cols].sum()
    g["ratio"] = g[num] / g[den].sum(axis=1).where(lambda s: s > 0)
    return g.reset_index()


# --------------------------------------------------------------------------- figures


def test_interval_labels_show_clock_time_and_day() -> None:
    assert interval_labels(8 * 3600, 1800, 3) == ["08:00", "08:30", "09:00"]
    assert interval_labels(23 * 3600, 3600, 3) == ["23:00", "d2 00:00", "d2 01:00"]


def test_service_level_figure_has_the_target_line_at_each_channels_target(data: ReportData) -> None:
    fig = F.service_level_by_interval(data.intervals, data.channels, data.labels)
    expected = per_channel_interval(data.intervals, "sl_numerator", ["sl_denominator"])
    for c in data.channels:
        assert c.target is not None
        target = one(fig, f"target:{c.name}")
        assert set(target.y) == {c.target}
        assert len(target.x) == data.n_intervals
        line = one(fig, f"service_level:{c.name}")
        mean = expected[expected["channel"] == c.name].groupby("interval")["ratio"].mean()
        np.testing.assert_allclose(np.asarray(line.y, dtype=float), mean.to_numpy(), equal_nan=True)
        assert list(line.x) == [data.labels[k] for k in mean.index]


def test_abandonment_line_is_abandoned_over_served_plus_abandoned(data: ReportData) -> None:
    fig = F.service_level_by_interval(data.intervals, data.channels, data.labels)
    expected = per_channel_interval(data.intervals, "abandoned", ["served", "abandoned"])
    line = one(fig, "abandon_rate:phone")
    mean = expected[expected["channel"] == "phone"].groupby("interval")["ratio"].mean()
    np.testing.assert_allclose(np.asarray(line.y, dtype=float), mean.to_numpy())


def test_offered_vs_staffed_bars_are_mean_offered_and_lines_the_workload(data: ReportData) -> None:
    assert data.workload is not None
    fig = F.offered_vs_staffed(data.intervals, data.workload, data.channels, data.labels)
    for c in data.channels:
        bars = one(fig, f"offered:{c.name}")
        offered = (
            data.intervals[data.intervals["channel"] == c.name]
            .groupby(["replication", "interval"])["offered"]
            .sum()
            .groupby("interval")
            .mean()
        )
        np.testing.assert_allclose(np.asarray(bars.y, dtype=float), offered.to_numpy())
        w = data.workload[data.workload["channel"] == c.name].sort_values("interval")
        np.testing.assert_allclose(np.asarray(one(fig, f"agents:{c.name}").y, dtype=float), w["agents"])
    required = one(fig, "required:phone")
    assert np.all(np.asarray(required.y, dtype=float) >= 1)
    assert not traces(fig, "required:email"), "no Erlang requirement for a deferred channel"


def test_occupancy_heatmap_z_is_the_agents_tables_occupancy(data: ReportData) -> None:
    fig = F.occupancy_heatmap(data.agents, data.labels)
    z = np.asarray(fig.data[0].z, dtype=float)
    expected = data.agents.pivot_table(
        index="agent_group", columns="interval", values="occupancy", aggfunc="mean", observed=True
    )
    assert list(fig.data[0].y) == [str(g) for g in expected.index]
    np.testing.assert_allclose(z, expected.to_numpy())
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1


def test_outcome_flows_add_up_to_offered(data: ReportData) -> None:
    fig = F.outcomes_sankey(data.intervals)
    link = fig.data[0].link
    labels = list(fig.data[0].node.label)
    source, target, value = list(link.source), list(link.target), np.asarray(link.value, dtype=float)
    reps = data.replications
    offered = data.intervals.groupby("channel", observed=True)["offered"].sum() / reps
    for i, (channel, total) in enumerate(offered.items()):
        assert labels[i].startswith(str(channel))
        out = value[[k for k, s in enumerate(source) if s == i]].sum()
        assert out == pytest.approx(total)
    n_ch = len(offered)
    outcome_nodes = [
        j for j, lab in enumerate(labels) if j >= n_ch and not lab.startswith(("within", "after"))
    ]
    into_outcomes = value[[k for k, t in enumerate(target) if t in outcome_nodes]].sum()
    assert into_outcomes == pytest.approx(offered.sum())
    served = labels.index(next(lab for lab in labels if lab.startswith("served")))
    onward = value[[k for k, s in enumerate(source) if s == served]].sum()
    assert onward == pytest.approx(data.intervals["served"].sum() / reps)


def test_wait_ecdf_is_monotone_ends_at_one_and_marks_the_threshold(data: ReportData, quick: Any) -> None:
    assert data.waits is not None
    fig = F.wait_ecdf(data.waits, data.channels)
    for c in data.channels:
        threshold = one(fig, f"threshold:{c.name}")
        assert threshold.x[0] == threshold.x[1] and list(threshold.y) == [0, 1]
        curves = [t for t in fig.data if str(t.meta).startswith(f"ecdf:{c.name}:")]
        assert curves
        for t in curves:
            y, x = np.asarray(t.y, dtype=float), np.asarray(t.x, dtype=float)
            assert y[-1] == 1.0 and np.all(np.diff(y) >= 0) and np.all(np.diff(x) >= 0)
    # the threshold line sits at the channel's threshold in the axis' unit
    phone = one(fig, "threshold:phone")
    assert phone.x[0] == pytest.approx(20.0)  # 20 s, shown in seconds
    email = one(fig, "threshold:email")
    assert email.x[0] * 60 == pytest.approx(4 * 3600) or email.x[0] * 3600 == pytest.approx(4 * 3600)
    # the share read off the kept quantiles matches the contacts within the 0.5% grid
    c = quick.contacts
    waits = c[(c["outcome"] == "served") & (c["channel"] == "phone") & (c["segment"] == "vip")]["wait_s"]
    from ccsim.report.data import share_within

    assert share_within(data.waits, "phone", "vip", 20.0) == pytest.approx((waits <= 20).mean(), abs=0.006)


def test_wait_percentiles_are_those_of_answered_contacts(data: ReportData, quick: Any) -> None:
    assert data.percentiles is not None
    c = quick.contacts
    sel = c[(c["outcome"] == "served") & (c["channel"] == "phone") & (c["segment"] == "standard")]
    expected = sel.groupby("replication")["wait_s"].quantile(0.9).mean()
    fig = F.wait_percentiles(data.percentiles, data.channels)
    bar = one(fig, "p90:phone")
    assert bar.y[list(bar.x).index("standard")] == pytest.approx(expected)


def test_segments_compared_service_level_per_segment(data: ReportData) -> None:
    fig = F.segments_compared(data.intervals, data.channels)
    iv = data.intervals[(data.intervals["channel"] == "phone") & (data.intervals["segment"] == "vip")]
    g = iv.groupby("replication")[["sl_numerator", "sl_denominator"]].sum()
    bar = one(fig, "service_level:vip")
    expected = (g["sl_numerator"] / g["sl_denominator"]).mean()
    assert bar.y[list(bar.x).index("phone")] == pytest.approx(expected)
    target = one(fig, "target")
    assert dict(zip(target.x, target.y, strict=True)) == {c.name: c.target for c in data.channels}


def test_replication_spread_shows_every_replication(data: ReportData) -> None:
    fig = F.replication_spread(data.per_replication, data.channels)
    dots = one(fig, "replications:service_level")
    assert len(dots.y) == data.replications * len(data.channels)


def test_backlog_counts_contacts_waiting_at_each_interval_end() -> None:
    contacts = pd.DataFrame(
        {
            "replication": 0,
            "channel": "email",
            "segment": "standard",
            "arrival_s": [10.0, 20.0, 1500.0, 1700.0, 1790.0],
            "wait_s": [5.0, 2000.0, 3000.0, np.nan, 0.0],
            "outcome": ["served", "served", "served", "unfinished", "served"],
        }
    )
    frame = backlog(contacts, ["email"], 1800.0, 3)
    # at 1800 s: #2 (answered 2020), #3 (4500) and #4 (never) wait; at 3600: #3, #4; at 5400: #4
    assert frame["waiting"].tolist() == [3, 2, 1]


def test_backlog_figure_draws_each_deferred_channel(data: ReportData) -> None:
    assert data.backlog is not None
    fig = F.backlog_figure(data.backlog, data.channels, data.labels)
    line = one(fig, "waiting:email")
    expected = data.backlog.groupby("interval")["waiting"].mean()
    np.testing.assert_allclose(np.asarray(line.y, dtype=float), expected.to_numpy())
    assert (data.backlog["waiting"] >= 0).all()


def test_status_colours_met_missed_and_close() -> None:
    assert status(0.85, 0.02, 0.8) == "met"
    assert status(0.70, 0.02, 0.8) == "missed"
    assert status(0.81, 0.03, 0.8) == "close"
    assert status(0.02, 0.005, 0.05, higher_is_better=False) == "met"
    assert status(0.5, 0.1, None) == ""


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.toml")), ids=lambda p: p.stem)
def test_config_as_toml_reads_back_the_same(config: Path) -> None:
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    assert tomllib.loads(to_toml(raw)) == raw


# --------------------------------------------------------------------------- page


def test_page_is_one_file_with_plotly_embedded_once(page: str) -> None:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert page.count(bundle[:300]) == 1
    assert page.count("<script") == page.count("</script>")
    assert not re.search(r"<script[^>]*\bsrc=", page), "no external scripts"
    assert not re.search(r"<link[^>]*>", page), "no linked stylesheets"
    outside = page.replace(bundle, "")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", outside, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", outside, re.IGNORECASE)


def test_page_has_every_section_figure_and_the_config(page: str, quick: Any) -> None:
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
        assert f'href="#{section}"' in page
    specs = figure_specs(page)
    assert set(specs) == {
        "fig-spread",
        "fig-offered",
        "fig-sl",
        "fig-backlog",
        "fig-ecdf",
        "fig-percentiles",
        "fig-segments",
        "fig-occupancy",
        "fig-outcomes",
    }
    for fig_id in specs:
        assert f'<div class="figure" id="{fig_id}" style="height:' in page
    text = html.unescape(page)
    assert "Quickstart: small multichannel centre" in text
    assert "<details><summary>" in page and '[channels.phone]\nkind = "voice"' in text
    for definition in quick.sl_definitions.values():
        assert definition in text
    assert "target within the CI" in text or "target met" in text or "target missed" in text


@pytest.mark.parametrize("name", ["quickstart", "multiskill"])
def test_report_of_the_examples_is_small_and_renders_from_the_folder(name: str, tmp_path: Path) -> None:
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / f"{name}.toml"))
    folder = results.write(tmp_path / name, manifest={"started": "Mon 1 Jan 2024 09:00"})
    path = render_folder(folder)
    assert path == folder / "report.html"
    assert path.stat().st_size < LIMIT
    text = path.read_text(encoding="utf-8")
    assert "Mon 1 Jan 2024 09:00" in text
    direct = render(results, tmp_path / "direct.html").read_text(encoding="utf-8")
    assert set(figure_specs(text)) == set(figure_specs(direct))
    data = from_folder(folder)
    assert data.workload is not None and data.waits is not None
    assert [c.name for c in data.channels] == [c.name for c in from_results(results).channels]


def test_report_without_contacts_explains_what_is_missing(tmp_path: Path) -> None:
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / "quickstart.toml"), replications=2, contacts=False)
    text = render(results, tmp_path).read_text(encoding="utf-8")
    specs = figure_specs(text)
    assert "fig-ecdf" not in specs and "fig-backlog" not in specs
    assert "fig-percentiles" in specs
    assert "--no-contacts" in text


def test_one_replication_and_no_service_level(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["channels"]["phone"]["service_level"]
    results = ccsim.simulate(ccsim.from_dict(raw), replications=1)
    text = render(results, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no SL target set" in text and "One replication" in text
    assert "fig-spread" not in figure_specs(text)


def test_the_module_is_callable_like_render(quick: Any, tmp_path: Path) -> None:
    import ccsim.report

    path = ccsim.report(quick, tmp_path / "r.html")  # type: ignore[operator]
    assert path.exists()


def test_report_command(tmp_path: Path, quick: Any) -> None:
    import typer

    from ccsim.cli import report

    app = typer.Typer()
    report.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `report` a subcommand
    folder = quick.write(tmp_path / "run")
    result = CliRunner().invoke(app, ["report", str(folder), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x.html").exists() and "report written to" in result.output
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    assert "no such output folder" in missing.output


def test_docs_screenshot_is_small() -> None:
    png = ROOT / "docs" / "img" / "report-quickstart.png"
    assert png.exists(), "take it with CCSIM_UPDATE_DOCS_IMG=1 pytest tests/browser"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 500_000
