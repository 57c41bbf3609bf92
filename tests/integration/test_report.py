"""``make report``: one self-contained HTML page of the daily KPIs, read from what analysts
read, rendered by a real browser (headless Chromium) with every chart and no console errors."""

from __future__ import annotations

import re
import subprocess

import pytest

from pipelines.report import Table, charts, questions
from tests.conftest import PROJECT, render, run_pipelines


@pytest.fixture(scope="module")
def report(built_warehouse):
    done = run_pipelines("report", "--warehouse", str(built_warehouse), timeout=300)
    page = built_warehouse.with_name("warehouse.report.html")
    assert f"report: {page}" in done.stdout
    return page


@pytest.mark.slow
def test_the_report_opens_offline_with_every_chart(report, chromium, tmp_path):
    text = report.read_text()
    # Offline: no script, style or font is fetched from anywhere.
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=\"?https?:", text)
    assert "Days in UTC" in text
    # The period the data covers (not when it was loaded), the service-level threshold, and
    # the headline figures above the charts.
    assert re.search(r"Contact center KPIs, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}", text)
    assert "within 60 seconds of entering the queue" in text
    for label in ("tasks created", "service level, median day", "occupancy"):
        assert re.search(rf"<b>[0-9.,%s ]+</b><span>{label}</span>", text), label
    dom, console = render(chromium, report.as_uri())
    assert console == []
    shown = charts("UTC") + questions("UTC", 15)
    for chart in shown:
        assert chart.title in dom, chart.title
    # Each chart drawn: plotly renders one SVG surface per chart once its script ran.
    drawn = [chart for chart in shown if not isinstance(chart, Table)]
    assert dom.count('class="main-svg"') >= len(drawn)
    assert "No data yet" not in dom
    # The newest day's intervals, every speed-to-lead bucket the sample has, and the
    # compliance table with a row per day.
    assert "Tasks per 15-minute interval, newest day" in dom
    for bucket in ("under_5_min", "not_attempted"):
        assert bucket in dom, bucket
    table = text[text.index("Calling windows and STOP replies") :]
    assert "<th>outside window</th>" in table and "<th>STOP replies</th>" in table
    assert re.search(r"<td>2026-10-05</td>\s*<td>[1-9]\d*</td>", table)
    screenshot = tmp_path / "report.png"
    _, console = render(chromium, report.as_uri(), screenshot)
    assert console == []
    assert screenshot.stat().st_size > 20_000


def test_the_report_cuts_days_in_the_reporting_time_zone():
    # Consent changes are the one chart not read from a daily mart: the SQL converts each
    # change to the reporting time zone before taking its day.
    sql = next(c.sql for c in charts("America/New_York") if c.title.startswith("Consent"))
    assert "(effective_at AT TIME ZONE 'America/New_York')::DATE" in sql


def test_the_report_is_never_committed_and_make_clean_removes_it():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "data/warehouse.report.html"], cwd=PROJECT, check=False
    )
    assert ignored.returncode == 0
    assert "data/warehouse.report.html" in (PROJECT / "Makefile").read_text()
