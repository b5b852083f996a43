"""The meeting-ready report: report.html and summary.md written into a results folder.

The browser tests render the report in Debian's Chromium (installed by
scripts/test.sh) and are skipped, with the reason, when it is not on PATH.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import jinja2  # noqa: E402
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner, Result  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from shiftsim.analysis.runner import replicate  # noqa: E402
from shiftsim.cli import main  # noqa: E402
from shiftsim.model.formats import percent, percent_ci  # noqa: E402
from shiftsim.model.loading import load_scenario  # noqa: E402
from shiftsim.outputs.html import render_html, render_markdown, write_report  # noqa: E402
from shiftsim.outputs.pages import Cell, environment, render, table  # noqa: E402
from shiftsim.outputs.store import OutputError, ResultsFolder, load_results  # noqa: E402

SMALL = Path(__file__).with_name("data") / "small_center.yaml"

# One channel, one target: a report that is quick to draw.
TINY = """\
name: tiny
horizon: {start: 2026-03-02, days: 2}
replications: 2
channels:
  phone:
    kind: voice
    volume: {per_day: 200}
    handle_time: {dist: exponential, mean: 5min}
pools:
  agents:
    channels: [phone]
    shifts: {day: {headcount: 4}, evening: {headcount: 2}, night: {headcount: 1}}
targets:
  - {channel: phone, within: 1min, goal: 0.8}
"""


# Tests of the full report of the small center (its run and report take about
# 15 s): in the full suite; the quick loop checks reports on TINY.
full_report = pytest.mark.slow


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@dataclass
class Drawing:
    """The figures a report made, and how often each was drawn and saved (by id)."""

    made: list[Figure] = field(default_factory=list)
    draws: Counter[int] = field(default_factory=Counter)
    saves: Counter[int] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Drawing]:
    """A complete run of the small center and its report, by ``shiftsim report``.

    The report's figures are counted as it runs (it is the suite's one full
    report, so its drawing is checked on it).
    """
    out = tmp_path_factory.mktemp("run") / "small"
    result = invoke("run", SMALL, "--out", out, "--no-contacts", "--workers", "1", "-q")
    assert result.exit_code == 0, result.output
    assert not (out / "report.html").exists()
    drawing = Drawing()
    init, draw, savefig = Figure.__init__, Figure.draw, Figure.savefig

    def counted_init(fig: Figure, *args: Any, **kwargs: Any) -> None:
        drawing.made.append(fig)
        init(fig, *args, **kwargs)

    def counted_draw(fig: Figure, renderer: Any) -> None:
        drawing.draws[id(fig)] += 1
        draw(fig, renderer)

    def counted_savefig(fig: Figure, *args: Any, **kwargs: Any) -> None:
        drawing.saves[id(fig)] += 1
        savefig(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "__init__", counted_init)
        mp.setattr(Figure, "draw", counted_draw)
        mp.setattr(Figure, "savefig", counted_savefig)
        result = invoke("report", out)
    assert result.exit_code == 0, result.output
    assert result.output == f"Report: {out / 'report.html'}\nSummary: {out / 'summary.md'}\n"
    return out, drawing


@pytest.fixture(scope="module")
def folder(drawn: tuple[Path, Drawing]) -> Path:
    return drawn[0]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def page(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def rows_of(page: str, label: str) -> list[str]:
    """The HTML table rows whose first cell is ``label``, in page order."""
    rows = re.findall(r"<tr>(?:(?!</tr>).)*</tr>", page, flags=re.S)
    cell = f">{html.escape(label)}</td>"
    return [r for r in rows if cell in r.split("</td>", 1)[0] + "</td>"]


def row_of(page: str, label: str) -> str:
    """The row of ``label`` in the targets table (its period-table row comes after it)."""
    target_row, _ = rows_of(page, label)
    return target_row


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


@full_report
def test_run_report_writes_both_files_atomically(folder: Path) -> None:
    assert (folder / "report.html").is_file()
    assert (folder / "summary.md").is_file()
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name]


@full_report
def test_report_saves_charts_as_png_and_svg(folder: Path) -> None:
    charts = folder / "charts"
    png = sorted(p.stem for p in charts.glob("*.png"))
    svg = sorted(p.stem for p in charts.glob("*.svg"))
    assert png == svg and "target_probabilities" in png and "arrivals_and_staff" in png
    assert (charts / "target_probabilities.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (charts / "target_probabilities.svg").read_text()[:2000]
    assert not [p.name for p in charts.iterdir() if ".tmp-" in p.name]


@full_report
def test_failing_targets_charts_are_saved_for_slides(folder: Path) -> None:
    targets = pd.read_csv(folder / "targets.csv")
    failing = targets[targets["verdict"].isin(["missed", "at risk"])]["target"]
    assert len(failing) >= 2
    names = {p.stem for p in (folder / "charts").glob("*.png")}
    for label in failing:
        slug = "-".join(re.sub(r"[^A-Za-z0-9_-]", " ", label.replace("<=", " ")).split())
        assert f"service_level_{slug}" in names and f"meet_heatmap_{slug}" in names, slug
    assert not [n for n in names if "first_target" in n]


@full_report
def test_report_draws_each_chart_once(drawn: tuple[Path, Drawing], page: str) -> None:
    folder, drawing = drawn
    files = list((folder / "charts").iterdir())
    assert sum(drawing.saves.values()) == len(files) + page.count("<img ")
    # One figure per chart, for its files and the page (charts have distinct titles)...
    titles = [fig.axes[0].get_title(loc="left") for fig in drawing.made]
    assert len(set(titles)) == len(titles) and len(titles) < len(files) / 2 + page.count("<img ")
    assert set(drawing.saves) == {id(fig) for fig in drawing.made}
    # ...and one drawing per image: the layout draws nothing.
    assert drawing.draws == drawing.saves


# Calls answered by a front office, email by a back office that cannot take calls.
TWO_POOLS = TINY.replace(
    "pools:\n",
    "  email:\n    kind: async\n    volume: {per_day: 100}\n"
    "    handle_time: {dist: exponential, mean: 5min}\n"
    "pools:\n  backoffice:\n    channels: [email]\n"
    "    shifts: {day: {headcount: 9}}\n",
)


def test_arrivals_chart_counts_only_agents_skilled_for_the_channels(tmp_path: Path) -> None:
    from shiftsim.analysis.runner import run
    from shiftsim.outputs import plotting

    (tmp_path / "two.yaml").write_text(TWO_POOLS)
    result = run(load_scenario(tmp_path / "two.yaml").with_(replications=1))
    assert plotting.skill_groups(result) == [["phone"], ["email"]]
    ax = plotting.arrivals_and_staff(result, channels=["phone"])
    assert len(ax.patches) == 24  # phone bars only
    (twin,) = [a for a in ax.figure.axes if a is not ax]
    lines = {str(ln.get_label()): ln.get_ydata() for ln in twin.get_lines()}
    si = result.shift_intervals()
    phone = si[si["pool"] == "agents"].groupby("start")["on_duty"].sum()
    np.testing.assert_allclose(lines["agents available (after shrinkage)"][:24],
                               phone.groupby(phone.index.hour).mean())  # fmt: skip
    # Rostered: the front office's rota only (4 day agents rostered 4 days in 6 at noon).
    rostered = lines["agents rostered on duty"]
    day_shift = result.shift_names.index(("agents", "day"))
    assert rostered[12] == pytest.approx(result.rostered_by_day[:, day_shift].mean())
    assert "agents for phone" in twin.get_ylabel()
    with pytest.raises(ValueError, match=r"channels must be some of phone, email \(got fax\)"):
        plotting.arrivals_and_staff(result, channels=["fax"])


def test_sweep_chart_names_the_parameter_and_keeps_the_legend_off_the_data() -> None:
    from shiftsim.outputs import plotting

    frame = pd.DataFrame({
        "param": "channels.chat.bot.containment", "value": [0.1, 0.2, 0.1, 0.2],
        "target": ["a", "a", "b", "b"], "p_meet": [0.5, 0.7, 0.6, 0.9],
        "p_meet_low": [0.4, 0.6, 0.5, 0.8], "p_meet_high": [0.6, 0.8, 0.7, 1.0],
    })  # fmt: skip
    ax = plotting.sweep_chart(frame)
    assert ax.get_xlabel() == "chat bot containment"
    assert "as chat bot containment changes" in ax.get_title(loc="left")
    assert ax.xaxis.get_major_formatter()(0.2, 0) == "20%"
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent().transformed(ax.transAxes.inverted())
    assert box.x0 >= 1.0  # beside the axes, on no line


@full_report
def test_targets_table_matches_targets_csv(folder: Path, page: str) -> None:
    targets = pd.read_csv(folder / "targets.csv")
    assert len(targets) == 4
    for _, t in targets.iterrows():
        row = row_of(page, t["target"])
        low, high = pct(t["service_level_low"]), pct(t["service_level_high"])
        sl = f"{pct(t['service_level'])}% ({low}–{high})"
        p = f"{pct(t['p_meet'])}% ({pct(t['p_meet_low'])}–{pct(t['p_meet_high'])})"
        assert sl in row and p in row, (t["target"], row)
        assert f"{pct(t['goal'])}%" in row
        # The status is the worst period's verdict, coloured by it (not by P(day)).
        colour = {"likely met": "good", "at risk": "risk", "missed": "bad"}[t["verdict"]]
        assert f'<td class="{colour}"><b>{html.escape(t["status"])}</b></td>' in row
        worst = percent_ci(t["worst_value"], t["worst_low"], t["worst_high"])
        assert worst in row


@full_report
def test_period_table_matches_requirements_csv(folder: Path, page: str) -> None:
    req = pd.read_csv(folder / "requirements.csv")
    periods = list(load_scenario(SMALL).reporting.periods)
    assert len(req) == 4 * len(periods)  # every target judged in every period
    for label, rows in req.groupby("target", sort=False):
        _, row = rows_of(page, str(label))
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[1 : 1 + len(periods)]
        for cell, (_, r) in zip(cells, rows.set_index("period").loc[periods].iterrows(),
                                strict=True):  # fmt: skip
            mark = {"likely met": "✓", "at risk": "?", "missed": "✗"}[r["verdict"]]
            assert cell.startswith(f"{percent(r['value'], 0)} {mark}"), (label, cell)
            assert f"<small>{r['verdict']}</small>" in cell


@full_report
def test_findings_come_first_and_say_what_fails(folder: Path, page: str) -> None:
    targets = pd.read_csv(folder / "targets.csv")
    failing = targets[targets["verdict"].isin(["missed", "at risk"])]
    assert len(failing) > 0  # the small center is short of staff somewhere
    body = page.split("<h2>Findings</h2>", 1)[1].split("<h2>", 1)[0]
    items = re.findall(r'<li class="(bad|risk)">(.*?)</li>', body, flags=re.S)
    assert len(items) == len(failing)
    for label in failing["target"]:
        assert f"{html.escape(label)}</b>" in body
    assert all("Likely cause" in text for _, text in items)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert summary.index("## Findings") < summary.index("## Response targets")
    for label in failing["target"]:
        assert f"**{label}**:" in summary


@full_report
def test_summary_matches_targets_csv(folder: Path) -> None:
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    targets = pd.read_csv(folder / "targets.csv")
    assert summary.startswith("# Staffing plan: small\n")
    assert "**Status**: COMPLETE: 3 of 3 replications" in summary
    for _, t in targets.iterrows():
        line, _ = [ln for ln in summary.splitlines() if ln.startswith(f"| {t['target']} |")]
        assert f"{pct(t['service_level'])}% ({pct(t['service_level_low'])}–" in line
        assert f"| {pct(t['p_meet'])}% ({pct(t['p_meet_low'])}–{pct(t['p_meet_high'])}) |" in line
        assert f"| {t['status']} |" in line


@full_report
def test_report_is_self_contained(page: str) -> None:
    assert not re.search(r"https?://", page)
    assert "<script" not in page and "<link" not in page and "url(" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) >= 10  # every chart of the small center
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert page.count("<img ") == len(sources)


@full_report
def test_report_contents(folder: Path, page: str) -> None:
    sc = load_scenario(SMALL)
    for text in ("Plan summary", "COMPLETE", "Response targets", "Channels", "Shifts",
                 "Key assumptions", "Christmas Eve", "Seed", "Chatbot / IVR", "Escalation",
                 "Wait before first response: email", "Occupancy by shift"):  # fmt: skip
        assert text in page, text
    for name in sc.channels:
        assert f"<td>{name}</td>" in page
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["scenario_hash"] in page
    assert "INTERRUPTED" not in page


SECTIONS = [
    "Findings", "Response targets", "Plan summary", "Probability of meeting each target",
    "Arrivals and agents on duty", "Service level over the horizon",
    "When are targets missed? Day × hour", "Waits before first response",
    "Backlog of deferrable work", "Occupancy by shift", "Channels", "Shifts",
    "Spreadsheet check: stationary Erlang per hour vs simulation", "Key assumptions",
]  # fmt: skip


@full_report
def test_report_sections_in_reading_order(page: str) -> None:
    assert re.findall(r"<h2>([^<]*)</h2>", page) == [html.escape(s) for s in SECTIONS]
    assumptions = page.split("<h2>Key assumptions</h2>", 1)[1]
    assert re.findall(r"<h3>([^<]*)</h3>", assumptions) == [
        "Volumes and handling per channel", "Dated events", "Agents: pools, shifts and rotation",
        "Chatbot / IVR", "Escalation",
    ]  # fmt: skip


def test_report_template_has_one_block_per_section() -> None:
    # Sections are added or overridden by block (a template extending report.html.j2).
    blocks = set(environment().get_template("report.html.j2").blocks)
    assert {"heading", "plan_summary", "findings", "targets", "charts", "channels", "shifts",
            "check", "assumptions", "footer"} <= blocks  # fmt: skip


def test_templates_refuse_a_missing_value() -> None:
    # StrictUndefined: a misspelt name fails here, not as a blank in a planner's report.
    with pytest.raises(jinja2.UndefinedError, match="'name' is undefined"):
        render("report.html.j2", {})
    with pytest.raises(jinja2.UndefinedError):
        render("summary.md.j2", {"name": "x"})


def test_table_cells_are_escaped_and_classed() -> None:
    t = table(
        ["what", "share"],
        [["<b>Q&A</b>", Cell("12.5%", status="bad", note="likely missed", strong=True)]],
        [False, True],
    )
    macro = environment().from_string('{% import "macros.html.j2" as m %}{{ m.table(t) }}')
    markup = macro.render(t=t)
    assert '<th>what</th><th class="num">share</th>' in markup
    assert "<td>&lt;b&gt;Q&amp;A&lt;/b&gt;</td>" in markup
    assert '<td class="num bad"><b>12.5%</b><br><small>likely missed</small></td>' in markup


@full_report
def test_one_percent_rule_in_every_table(folder: Path, page: str) -> None:
    """The report, the summary and the CSVs agree through the one formatter."""
    targets = pd.read_csv(folder / "targets.csv")
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    for _, t in targets.iterrows():
        sl = percent_ci(t["service_level"], t["service_level_low"], t["service_level_high"])
        assert sl in row_of(page, t["target"]) and sl in summary
        assert f"| {percent(t['goal'])} |" in summary
    assert percent(math.nan) == "–" and percent(None, missing="n/a") == "n/a"


@pytest.mark.slow  # a second full report; test_report_without_targets runs --report quickly
def test_run_report_flag_writes_the_report(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", tiny, "--out", out, "--no-contacts", "--workers", "1", "-q", "--report")
    assert result.exit_code == 0, result.output
    assert f"Report: {out / 'report.html'}" in result.output
    assert (out / "report.html").is_file() and (out / "summary.md").is_file()
    assert "phone answered &lt;= 1min" in (out / "report.html").read_text(encoding="utf-8")


def test_names_are_escaped_in_html_and_kept_in_markdown(tmp_path: Path) -> None:
    odd = TINY.replace("name: tiny", "name: Q&A <desk>\ndescription: <script>alert(1)</script>")
    odd = odd.replace("goal: 0.8}", "goal: 0.8, name: 'fast | <1min> & kind'}")
    odd += "events:\n  - {date: 2026-03-02, factor: 2, label: '<Launch> & co'}\n"
    (tmp_path / "odd.yaml").write_text(odd)
    sc = load_scenario(tmp_path / "odd.yaml")
    # Before any replication the page has no charts: quick to render.
    empty = ResultsFolder(tmp_path / "empty", sc, "odd.yaml", contacts=False)
    empty.finish(wall_time=0.0)
    page = render_html(*load_results(tmp_path / "empty"))
    assert "<script" not in page and "<desk>" not in page
    assert "<title>Q&amp;A &lt;desk&gt;: staffing plan report</title>" in page
    assert "<h1>Staffing plan: Q&amp;A &lt;desk&gt;</h1>" in page
    assert '<p class="lead">&lt;script&gt;alert(1)&lt;/script&gt;</p>' in page
    assert "<td>&lt;Launch&gt; &amp; co</td>" in page

    one = ResultsFolder(tmp_path / "one", sc, "odd.yaml", contacts=False)
    one.add(replicate(sc, 0)[0], None)
    one.finish(wall_time=0.0)
    summary = render_markdown(*load_results(tmp_path / "one"))
    assert summary.startswith("# Staffing plan: Q&A <desk>\n")
    assert "\n| fast \\| <1min> & kind | 80.0% |" in summary


def test_report_without_targets(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("--days", "1", "-r", "1", "--set", "targets=[]", "--no-contacts", "-w", "1", "-q")
    result = invoke("run", tiny, "--out", out, *args, "--report")
    assert result.exit_code == 0, result.output
    assert f"Report: {out / 'report.html'}" in result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "No response targets are defined in this scenario." in page
    assert "Arrivals vs agents on duty" in page and "Occupancy by shift" in page
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "**No response targets are defined in this scenario.**" in summary


def test_report_command_rejects_what_is_not_a_results_folder(tmp_path: Path) -> None:
    (tmp_path / "stray.txt").write_text("not results")
    for bad in (tmp_path, tmp_path / "missing"):
        result = invoke("report", bad)
        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        assert result.output == f"{bad} is not a shiftsim results folder (no metadata.json)\n"


@full_report
def test_unreadable_folder_is_an_output_error(folder: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(folder / "metadata.json", broken / "metadata.json")  # no scenario.yaml
    with pytest.raises(OutputError, match="broken: cannot read the results"):
        write_report(broken)


@pytest.mark.slow  # a few seconds: in the full suite
def test_interrupted_run_is_flagged(tiny: Path, tmp_path: Path) -> None:
    sc = load_scenario(tiny)
    results = ResultsFolder(tmp_path / "cut", sc, str(tiny), contacts=False)
    metrics, _ = replicate(sc, 0)
    results.add(metrics, None)
    results.finish(wall_time=1.0)
    # The page and summary without the chart files (write_report is tested above).
    loaded = load_results(tmp_path / "cut")
    page = render_html(*loaded)
    assert re.search(r'<div class="banner warn" id="status">INTERRUPTED: only 1 of 2 ', page)
    assert "One replication: no confidence interval can be given." in page
    summary = render_markdown(*loaded)
    assert "> **INTERRUPTED**: only 1 of 2 replications finished" in summary
    assert "**Status**: INTERRUPTED: 1 of 2 replications" in summary


# -- in a real browser --------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not on PATH (scripts/test.sh installs Debian's chromium)"
)

# Reports, in the rendered DOM, how many images the browser decoded. Test-only:
# the report itself has no script.
PROBE = """<script>window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-decoded',
    imgs.filter(i => i.complete && i.naturalWidth > 0).length);
});</script>"""


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr",
        "--v=0", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@browser
@pytest.mark.browser
@pytest.mark.slow  # starts Chromium; test_report_is_self_contained checks the page without it
def test_browser_screenshot_is_not_blank(folder: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    url = (folder / "report.html").resolve().as_uri()
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,3000", url)
    assert shot.is_file(), proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1400)
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert not_white > 0.05, f"only {not_white:.1%} of the screenshot is not white"
    assert pixels.std() > 0.05
    # The red, amber and green of the targets table are on the first screen.
    for rgb in ((0xFF, 0xEB, 0xEE), (0xFF, 0xF4, 0xE0), (0xE8, 0xF5, 0xE9)):
        match = np.all(np.abs(pixels - np.array(rgb) / 255) < 0.01, axis=2)
        assert match.sum() > 1000, rgb


@browser
@pytest.mark.browser
@pytest.mark.slow  # starts Chromium; test_report_is_self_contained checks the page without it
def test_browser_renders_every_image_without_console_errors(
    folder: Path, page: str, tmp_path: Path
) -> None:
    n_images = page.count("<img ")
    dom = chromium(tmp_path, "--dump-dom", (folder / "report.html").resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<img ") == n_images
    assert dom.stdout.count('src="data:image/png;base64,') == n_images
    assert console_messages(dom.stderr) == []

    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    body = re.search(r"<body[^>]*>", run.stdout)
    assert body is not None, run.stderr[-2000:]
    assert f'data-images="{n_images}"' in body.group(0)
    assert f'data-decoded="{n_images}"' in body.group(0), body.group(0)
    assert console_messages(run.stderr) == []
