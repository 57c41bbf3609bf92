"""``make report``: the daily KPIs as one HTML page that opens offline.

It reads only what analysts read (the published copy, read-only), so it never waits for a load
and never makes one wait. plotly draws the charts; its JavaScript is inlined once in the page,
so the file needs no network (see the decision log for why plotly).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.io as pio

from pipelines.report.charts import (
    HEADLINES,
    Chart,
    Table,
    charts,
    questions,
    service_level_seconds,
)
from pipelines.transform.project import project_var, reporting_timezone

__all__ = ["Chart", "Table", "build_report", "charts", "questions"]


def table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="numbers", escape=True)


def build_report(con, target: Path, timezone: str | None = None) -> Path:
    """Write the report of what analysts read (``con``, a DuckDB connection on the analysts'
    copy or on a lake: ``Engine.reader``) to ``target``."""
    timezone = timezone or reporting_timezone()
    sections = []
    first_day, last_day = con.sql(
        "SELECT min(activity_date), max(activity_date) FROM analytics.agg_queue_daily"
    ).fetchall()[0]
    figures = []
    for headline in HEADLINES:
        value = con.sql(headline.sql).fetchall()[0][0]
        shown = "n/a" if value is None else headline.shown(value)
        figures.append(
            f"<div class='figure'><b>{html.escape(shown)}</b>"
            f"<span>{html.escape(headline.label)}</span></div>"
        )
    shown = charts(timezone, service_level_seconds()) + questions(
        timezone, int(project_var("interval_minutes", 15))
    )
    plotly_inlined = False
    for chart in shown:
        frame = con.sql(chart.sql).df()
        if frame.empty:
            body = "<p class='empty'>No data yet.</p>"
        elif isinstance(chart, Table):
            body = table_html(frame)
        else:
            fig = chart.draw(frame)
            fig.update_layout(margin={"l": 40, "r": 20, "t": 20, "b": 40}, height=360)
            body = pio.to_html(
                fig,
                full_html=False,
                # once, inline, with the first chart drawn: the page works offline
                include_plotlyjs=not plotly_inlined,
                config={"displaylogo": False, "responsive": True},
            )
            plotly_inlined = True
        sections.append(
            f"<section class='chart'><h2>{html.escape(chart.title)}</h2>"
            f"<p>{html.escape(chart.explanation)}</p>{body}</section>"
        )
    loaded = con.sql(
        "SELECT max(finished_at) FROM ops.load_runs WHERE status = 'succeeded'"
    ).fetchall()[0][0]
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    freshness = f"last successful load {loaded:%Y-%m-%d %H:%M} UTC" if loaded else "no load yet"
    period = f"{first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}" if first_day else "no data yet"
    page = PAGE.format(
        period=period,
        timezone=html.escape(timezone),
        made=made,
        freshness=freshness,
        headlines="\n".join(figures),
        sections="\n".join(sections),
    )
    # Without a <script src>: plotly's bundle is inlined above.
    target.write_text(page, encoding="utf-8")
    return target


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Contact center KPIs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
section.chart {{ margin-bottom: 2.5rem; }}
h2 {{ margin-bottom: 0.2rem; }}
p {{ margin-top: 0.2rem; color: #555; }}
.headlines {{ display: flex; flex-wrap: wrap; gap: 1rem; margin: 1.5rem 0 2.5rem; }}
.figure {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem 1.2rem; min-width: 9rem; }}
.figure b {{ display: block; font-size: 1.6rem; }}
.figure span {{ color: #555; }}
table.numbers {{ border-collapse: collapse; }}
table.numbers th, table.numbers td {{ padding: 0.25rem 0.8rem; text-align: right; }}
table.numbers tr:nth-child(even) {{ background: #f5f5f5; }}
</style></head>
<body>
<h1>Contact center KPIs, {period}</h1>
<p>Days in {timezone}. Made {made}; {freshness}.</p>
<div class="headlines">
{headlines}
</div>
{sections}
</body></html>
"""
