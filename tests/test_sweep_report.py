"""The sweep report: each figure against ``SweepResults.summary`` (lines and CI bands against a
numeric factor, one line per value of a second factor, heatmaps of two-factor grids, categorical
factors, sampled designs, failed points as gaps), the page as a file, and ``ccsim sweep`` writing it.
Most tests use small hand-made ``SweepResults`` (exact numbers, no simulation); one real sweep
checks the figures against what the runner produces."""

from __future__ import annotations

import itertools
import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.experiments import SweepResults, sweep
from ccsim.report import render_sweep
from ccsim.report.sweep import (
    build_sweep,
    factor_figure,
    factor_levels,
    heatmap_figure,
    panels,
    point_table,
    two_factor_grid,
)

ROOT = Path(__file__).resolve().parents[1]
ERLANG_A = ROOT / "configs" / "erlang_a.toml"
COUNT, POLICY, WITHIN = "agents.pool.count", "routing.policy", "channels.phone.service_level.within"
RAW = {
    "scenario": {"name": "hand-made"},
    "channels": {
        "phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}},
        "chat": {"kind": "chat", "service_level": {"within": "60s", "target": 0.9}},
    },
}


def fake(
    factors: dict[str, list[Any]],
    design: str = "grid",
    failed: tuple[int, ...] = (),
    pending: tuple[int, ...] = (),
    replications: int = 3,
) -> SweepResults:
    """A ``SweepResults`` with the runner's table layout and made-up numbers: two channels (phone,
    chat), two agent groups; ASA of the phone in minutes, so its panel is scaled."""
    names = list(factors)
    values = (
        list(itertools.product(*factors.values()))
        if design == "grid"
        else list(zip(*factors.values(), strict=True))
    )
    points = pd.DataFrame(
        {
            "point": range(len(values)),
            **{f: pd.Series([v[i] for v in values], dtype=object) for i, f in enumerate(names)},
            "key": [f"k{i}" for i in range(len(values))],
            "status": [
                "failed" if i in failed else "pending" if i in pending else "done" for i in range(len(values))
            ],
            "error": [f"ConfigError: point {i} is bad" if i in failed else None for i in range(len(values))],
            "wall_s": 0.1,
            "reused": False,
        }
    )
    rng = np.random.default_rng(7)
    rows = []
    for i, v in enumerate(values):
        if i in failed or i in pending:
            continue
        row: dict[str, Any] = {"point": i, **dict(zip(names, v, strict=True)), "replications": replications}
        row["sl_definition"] = "phone: answered within 20s"
        base = 0.5 + 0.05 * i
        for col, mean in [
            ("service_level", base),
            ("service_level.channel.phone", base - 0.05),
            ("service_level.channel.chat", min(0.99, base + 0.2)),
            ("asa_s", 200.0 - 10 * i),
            ("asa_s.channel.phone", 700.0 - 30 * i),  # > 5 min: drawn in minutes
            ("asa_s.channel.chat", 30.0 + i),
            ("abandon_rate", 0.1 - 0.005 * i),
            ("abandon_rate.channel.phone", 0.12 - 0.005 * i),
            ("abandon_rate.channel.chat", 0.02),
            ("occupancy", 0.85 - 0.01 * i),
            ("occupancy.agent_group.sales", 0.9 - 0.01 * i),
            ("occupancy.agent_group.service", 0.8 - 0.01 * i),
        ]:
            row[col] = mean
            row[f"{col}_ci95"] = float(rng.uniform(0.01, 0.08)) * (mean if mean > 1 else 1)
        rows.append(row)
    summary = pd.DataFrame(rows, columns=None if rows else ["point", *names, "replications"])
    return SweepResults(
        factors=names,
        points=points,
        per_replication=pd.DataFrame(),
        summary=summary,
        long=pd.DataFrame(),
        replications=replications,
        seed=1,
        design={"kind": design},
    )


def of_role(fig: Any, role: str) -> list[Any]:
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def summary_row(results: SweepResults, point: int) -> pd.Series:
    return results.summary.set_index("point").loc[point]


def check_line(results: SweepResults, trace: Any) -> None:
    """A mean trace's points are the summary's means (divided by the panel's scale), its
    customdata the summary's mean and half-width; missing points are gaps (None)."""
    col, scale = trace.meta["column"], trace.meta["scale"]
    done = set(results.summary["point"])
    for y, (point, mean, ci) in zip(trace.y, trace.customdata, strict=True):
        if point not in done:
            assert y is None and mean is None and ci is None
            continue
        row = summary_row(results, point)
        assert mean == pytest.approx(row[col]) and ci == pytest.approx(row[f"{col}_ci95"])
        assert y == pytest.approx(row[col] / scale)


def band_outline(results: SweepResults, mean_trace: Any, kind: str) -> tuple[list[Any], list[Any]]:
    """The expected outline of a band: per run of points with results, mean + ci going right and
    mean - ci coming back (cut at 0, and at 1 for shares), runs separated by None."""
    col, scale = mean_trace.meta["column"], mean_trace.meta["scale"]
    xs, ys, run_x, run_hi, run_lo = [], [], [], [], []

    def close() -> None:
        if run_x:
            xs.extend([*run_x, *run_x[::-1], None])
            ys.extend([*run_hi, *run_lo[::-1], None])
            run_x.clear(), run_hi.clear(), run_lo.clear()

    for x, (point, mean, ci) in zip(mean_trace.x, mean_trace.customdata, strict=True):
        if mean is None or ci is None:
            close()
            continue
        assert ci == pytest.approx(summary_row(results, point)[f"{col}_ci95"])
        run_x.append(x)
        run_hi.append(min(mean + ci, 1.0 if kind == "share" else math.inf) / scale)
        run_lo.append(max(mean - ci, 0.0) / scale)
    close()
    return xs[:-1], ys[:-1]


def mean_traces(fig: Any) -> dict[tuple[str, str], Any]:
    found = {(t.meta["column"], t.meta["slice"]): t for t in of_role(fig, "mean")}
    assert len(found) == len(of_role(fig, "mean")), "two mean traces for one column and slice"
    return found


# --------------------------------------------------------------------------- factor figures


def test_one_line_per_kpi_against_a_numeric_factor_with_ci_bands() -> None:
    res = fake({COUNT: [10, 12, 14, 16]})
    fig = factor_figure(res, COUNT, raw_config=RAW)
    lines = mean_traces(fig)
    expected = {s.column for p in panels(res) for s in p.series}
    assert set(c for c, _ in lines) == expected
    assert expected >= {"service_level.channel.phone", "asa_s.channel.chat", "occupancy.agent_group.sales"}
    bands = {t.meta["column"]: t for t in of_role(fig, "ci95")}
    assert set(bands) == expected
    for (col, _), trace in lines.items():
        assert trace.mode == "lines+markers" and list(trace.x) == [10.0, 12.0, 14.0, 16.0]
        check_line(res, trace)
        kind = "share" if not col.startswith("asa_s") else "time"
        x, y = band_outline(res, trace, kind)
        assert list(bands[col].x) == x and bands[col].fill == "toself"
        assert list(bands[col].y) == pytest.approx(y)
    assert lines[("asa_s.channel.phone", "")].meta["scale"] == 60.0  # ASA up to 11.7 min: minutes
    assert lines[("service_level.channel.phone", "")].meta["scale"] == 1.0
    chosen = panels(res, ["asa_s.channel.chat", "abandon_rate", "no_such_kpi"])
    assert [(p.kpi, [s.column for s in p.series]) for p in chosen] == [
        ("asa_s", ["asa_s.channel.chat"]),
        ("abandon_rate", ["abandon_rate.channel.phone", "abandon_rate.channel.chat"]),
    ]


def test_service_level_panel_marks_each_channels_target() -> None:
    res = fake({COUNT: [10, 12]})
    fig = factor_figure(res, COUNT, raw_config=RAW)
    targets = {tuple(t.meta["channels"]): set(t.y) for t in of_role(fig, "target")}
    assert targets == {("phone",): {0.8}, ("chat",): {0.9}}
    varied = fake({"channels.phone.service_level.target": [0.7, 0.8]})  # a factor: no fixed line
    assert [
        t.meta["channels"]
        for t in of_role(factor_figure(varied, varied.factors[0], raw_config=RAW), "target")
    ] == [["chat"]]


def test_a_second_factor_gives_one_line_per_value() -> None:
    res = fake({COUNT: [10, 12, 14], WITHIN: ["20s", "30s"]})
    fig = factor_figure(res, COUNT, raw_config=RAW)
    lines = mean_traces(fig)
    slices = {s for _, s in lines}
    assert slices == {"service_level.within=20s", "service_level.within=30s"}
    for (_, sl), trace in lines.items():
        value = sl.split("=")[1]
        assert {str(res.points.set_index("point").loc[p, WITHIN]) for p, _, _ in trace.customdata} == {value}
        check_line(res, trace)
    # against the threshold ("20s", "30s": numbers with a unit), one line per team size
    fig2 = factor_figure(res, WITHIN, raw_config=RAW)
    lines2 = mean_traces(fig2)
    assert {s for _, s in lines2} == {"pool.count=10", "pool.count=12", "pool.count=14"}
    assert all(list(t.x) == [20.0, 30.0] for t in lines2.values())
    assert list(fig2.layout.xaxis.ticktext) == ["20s", "30s"] and fig2.layout.xaxis3.title.text == WITHIN
    for trace in lines2.values():
        check_line(res, trace)


def test_categorical_factor_draws_markers_with_whiskers_in_design_order() -> None:
    policies = ["skills_first", "longest_idle", "random"]
    res = fake({POLICY: policies})
    fig = factor_figure(res, POLICY, raw_config=RAW)
    assert fig.layout.xaxis.type == "category" and list(fig.layout.xaxis.categoryarray) == policies
    assert fig.layout.scattermode == "group"
    assert not of_role(fig, "ci95")  # no bands between categories
    for trace in of_role(fig, "mean"):
        assert trace.mode == "markers" and list(trace.x) == policies
        check_line(res, trace)
        cis = [ci for _, _, ci in trace.customdata]
        assert list(trace.error_y.array) == pytest.approx([ci / trace.meta["scale"] for ci in cis])


def test_factor_levels_numbers_units_and_categories() -> None:
    assert factor_levels([14, 12.5, 16]) == ({"14": 14.0, "12.5": 12.5, "16": 16.0}, ["12.5", "14", "16"], "")
    pos, order, unit = factor_levels(["30/h", "20/h", "45.5/h"])
    assert order == ["20/h", "30/h", "45.5/h"] and pos == {"20/h": 20.0, "30/h": 30.0, "45.5/h": 45.5}
    assert unit == "/h"
    assert factor_levels(["20s", "1min"]) == (None, ["20s", "1min"], "")  # units differ: categories
    assert factor_levels(["b", "a", "b"]) == (None, ["b", "a"], "")
    assert factor_levels([True, False])[0] is None


def test_failed_points_are_gaps_and_empty_cells_not_errors() -> None:
    res = fake({COUNT: [10, 12, 14, 16, 18], WITHIN: ["20s", "30s"]}, failed=(4, 5), pending=(9,))
    fig = factor_figure(res, COUNT, raw_config=RAW)
    for trace in of_role(fig, "mean"):
        check_line(res, trace)
        if trace.meta["slice"].endswith("20s"):  # points 0, 2, 4 (failed), 6, 8
            assert trace.y[2] is None and trace.customdata[2][0] == 4
            assert trace.text[2] == "point 4: failed"
    band = next(
        t
        for t in of_role(fig, "ci95")
        if t.meta["column"] == "service_level.channel.phone" and t.meta["slice"].endswith("20s")
    )
    assert list(band.x).count(None) == 1  # two runs of points: 10-12 and 16-18
    assert fig.layout.xaxis.tickvals == (10.0, 12.0, 14.0, 16.0, 18.0)  # the failed value stays on the axis
    heat = heatmap_figure(res, raw_config=RAW)
    z = next(t for t in heat.data if t.meta["column"] == "service_level.channel.phone")
    assert z.z[2][0] is None and z.text[2][0] == "failed"  # row 14, column 20s
    assert z.z[4][1] is None and z.text[4][1] == "not run"  # point 9: 18 and 30s
    text = build_sweep(res, plotly_js="/* plotly */")
    assert "2 point(s) failed" in text and "ConfigError: point 4 is bad" in text
    assert "1 point(s) have not run yet" in text


def test_every_point_failed_still_gives_a_page() -> None:
    res = fake({COUNT: [10, 12]}, failed=(0, 1))
    assert panels(res) == []
    text = build_sweep(res, plotly_js="/* plotly */")
    assert "No point has finished" in text and 'data-figure="' not in text
    assert "2 point(s) failed" in text


def test_sampled_designs_draw_one_marker_per_point_and_no_heatmap() -> None:
    res = fake(
        {COUNT: [11, 17, 13, 15], "demand.0.rate": ["31.2/h", "44.0/h", "52.9/h", "38.1/h"]}, design="lhs"
    )
    assert two_factor_grid(res) is None
    fig = factor_figure(res, COUNT, raw_config=RAW)
    assert not of_role(fig, "ci95")
    for trace in of_role(fig, "mean"):
        assert trace.mode == "markers" and trace.meta["slice"] == ""
        assert list(trace.x) == [11.0, 13.0, 15.0, 17.0]
        check_line(res, trace)
    with pytest.raises(ValueError, match="full grid over exactly two factors"):
        heatmap_figure(res)
    assert 'id="fig-heatmap"' not in build_sweep(res, plotly_js="/* plotly */")


def test_zip_design_draws_one_line_through_the_paired_values() -> None:
    res = fake({COUNT: [10, 12, 14], "demand.0.rate": ["30/h", "40/h", "50/h"]}, design="zip")
    fig = factor_figure(res, "demand.0.rate", raw_config=RAW)
    for trace in of_role(fig, "mean"):
        assert trace.mode == "lines+markers" and list(trace.x) == [30.0, 40.0, 50.0]
        check_line(res, trace)


def test_heatmap_of_a_two_factor_grid_holds_the_summary_means() -> None:
    res = fake({COUNT: [10, 12, 14], WITHIN: ["30s", "20s"]})
    assert two_factor_grid(res) == (COUNT, WITHIN)
    fig = heatmap_figure(res, raw_config=RAW)
    columns = [t.meta["column"] for t in fig.data]
    assert columns == [
        "service_level.channel.phone",
        "service_level.channel.chat",
        "asa_s",
        "abandon_rate",
        "occupancy",
    ]
    table = point_table(res).assign(a=lambda d: d[COUNT].astype(str), b=lambda d: d[WITHIN].astype(str))
    for trace in fig.data:
        assert list(trace.y) == ["10", "12", "14"] and list(trace.x) == ["20s", "30s"]  # numbers in order
        want = table.pivot(index="a", columns="b", values=trace.meta["column"]).loc[
            ["10", "12", "14"], ["20s", "30s"]
        ]
        assert np.asarray(trace.z, dtype=float) == pytest.approx(want.to_numpy())
    phone = fig.data[0]
    assert phone.zmid == 0.8 and phone.colorscale[0][1] != phone.colorscale[-1][1]
    mean, ci = summary_row(res, 0)[["service_level.channel.phone", "service_level.channel.phone_ci95"]]
    assert phone.text[0][1] == f"{100 * mean:.1f}% ± {100 * ci:.1f}"


# --------------------------------------------------------------------------- a real sweep


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    scenario = ccsim.load(ERLANG_A).with_overrides({"scenario.duration": "2h", "scenario.warmup": "15min"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failing point
        return sweep(
            scenario,
            {"agents.pool.count": [90, 100, -1], WITHIN: ["20s", "40s"]},
            replications=2,
            seed=3,
            executor="serial",
            progress=False,
            out=tmp_path_factory.mktemp("sweep"),
        )


def test_figures_of_a_real_sweep_match_its_summary(real: SweepResults) -> None:
    assert len(real.failed) == 2
    fig = factor_figure(real, "agents.pool.count")
    lines = mean_traces(fig)
    assert {c for c, _ in lines} == {
        "service_level.channel.phone",
        "asa_s.channel.phone",
        "abandon_rate.channel.phone",
        "occupancy.agent_group.pool",
    }
    for trace in lines.values():
        check_line(real, trace)
        assert trace.customdata[0][1] is None  # -1 agents failed: a gap at the start
    assert {tuple(t.meta["channels"]) for t in of_role(fig, "target")} == {("phone",)}  # from the scenario
    loaded = SweepResults.load(real.out)  # no scenario: the targets come from manifest.json
    assert [t.meta["channels"] for t in of_role(factor_figure(loaded, WITHIN), "target")] == [["phone"]]
    heat = heatmap_figure(real)
    sl = real.kpi("service_level", "channel", "phone").set_index(["agents.pool.count", WITHIN])["mean"]
    z = np.asarray(heat.data[0].z, dtype=float)
    assert list(heat.data[0].y) == ["-1", "90", "100"]
    want = [[sl[(90, "20s")], sl[(90, "40s")]], [sl[(100, "20s")], sl[(100, "40s")]]]
    assert z[1:] == pytest.approx(np.array(want, dtype=float))
    assert np.isnan(z[0]).all()


def test_render_sweep_writes_one_self_contained_page(real: SweepResults, tmp_path: Path) -> None:
    from plotly.offline import get_plotlyjs

    path = render_sweep(real, tmp_path)
    assert path == tmp_path / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.count(get_plotlyjs()[:300]) == 1  # plotly.js embedded once
    page = text.replace(get_plotlyjs(), "")
    assert "<script src=" not in page and "https://" not in page  # nothing to fetch
    figures = dict(
        re.findall(r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', text, re.DOTALL)
    )
    assert set(figures) == {"fig-factor-1", "fig-factor-2", "fig-heatmap"}
    heat = json.loads(figures["fig-heatmap"])
    assert (
        len([t for t in heat["data"] if t["type"] == "heatmap"]) == 4
    )  # phone SL, ASA, abandoned, occupancy
    for section in ("summary", "factors", "map", "points", "run"):
        assert f'<section id="{section}">' in text
    assert "Sweep: Erlang-A check" in text and "must be &gt;= 0" in text
    assert len(text) < 10_000_000
    # from the output folder (the manifest gives the base config, hence the targets)
    again = render_sweep(str(real.out), tmp_path / "again.html").read_text(encoding="utf-8")
    assert set(re.findall(r'data-figure="([^"]+)"', again)) == set(figures)
    assert "target 80%" in again


# --------------------------------------------------------------------------- ccsim sweep


def test_ccsim_sweep_writes_the_report_unless_told_not_to(tmp_path: Path) -> None:
    from ccsim.cli import app

    spec = tmp_path / "sweep.toml"
    spec.write_text(
        f'[sweep]\nconfig = "{ERLANG_A.as_posix()}"\nreplications = 2\nseed = 5\n\n'
        '[factors]\n"agents.pool.count" = [95, 100]\n\n'
        '[set]\n"scenario.duration" = "1h"\n"scenario.warmup" = "10min"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(
        app, ["sweep", str(spec), "--out", str(tmp_path / "a"), "--serial"], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    assert "tables and report.html written" in " ".join(result.output.split())
    text = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert 'data-figure="fig-factor-1"' in text and "Sweep: Erlang-A check" in text
    result = runner.invoke(
        app, ["sweep", str(spec), "--out", str(tmp_path / "b"), "--serial", "--no-report", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "summary.csv").exists() and not (tmp_path / "b" / "report.html").exists()
