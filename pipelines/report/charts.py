"""What the report shows: its headline figures, charts and tables, each as the SQL that reads
it from the analysts' copy (DuckDB) and how its rows are drawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.express as px

from pipelines.transform.project import project_var


def service_level_seconds() -> int:
    """The ``service_level_seconds`` var: an answer within it counts toward service level."""
    return int(project_var("service_level_seconds", 60))


def daily_rate(frame: pd.DataFrame):
    fig = px.line(frame, x="day", y="value", color="queue", markers=True)
    fig.update_yaxes(tickformat=".0%", title=None, rangemode="tozero")
    return fig


def talk_and_wrap(frame: pd.DataFrame):
    return px.bar(frame, x="queue", y="seconds", color="part")


def occupancy_per_agent(frame: pd.DataFrame):
    fig = px.bar(frame, x="agent", y="value")
    fig.update_yaxes(tickformat=".0%", title="occupancy")
    return fig


def changes_per_day(frame: pd.DataFrame):
    """Opt-ins dark and opt-outs light in one hue per channel (ColorBrewer's Dark2 and
    Pastel2 share their hues), so a channel's two bars read as a pair."""
    channels = sorted({change.rsplit(" ", 1)[0] for change in frame["change"]})
    dark, light = px.colors.qualitative.Dark2, px.colors.qualitative.Pastel2
    colours = {}
    for number, channel in enumerate(channels):
        colours[f"{channel} opt-in"] = dark[number % len(dark)]
        colours[f"{channel} opt-out"] = light[number % len(light)]
    order = [f"{channel} {kind}" for channel in channels for kind in ("opt-in", "opt-out")]
    return px.bar(
        frame,
        x="day",
        y="changes",
        color="change",
        color_discrete_map=colours,
        category_orders={"change": order},
    )


def tasks_per_interval(frame: pd.DataFrame):
    fig = px.bar(frame, x="interval", y="tasks", color="queue")
    fig.update_yaxes(title="tasks created")
    return fig


def speed_to_lead_buckets(frame: pd.DataFrame):
    fig = px.bar(frame, x="bucket", y="leads")
    fig.update_xaxes(title=None)
    return fig


@dataclass(frozen=True)
class Headline:
    label: str
    sql: str  # one value
    shown: Callable[[Any], str]


def seconds(value: Any) -> str:
    return f"{value:.0f} s"


def percent(value: Any) -> str:
    return f"{value:.0%}"


def whole(value: Any) -> str:
    return f"{value:,.0f}"


HEADLINES = [
    Headline("tasks created", "SELECT sum(tasks_created) FROM analytics.agg_queue_daily", whole),
    Headline("calls handled", "SELECT sum(calls_handled) FROM analytics.agg_queue_daily", whole),
    Headline(
        "service level, median day",
        "SELECT median(service_level) FROM analytics.agg_queue_daily",
        percent,
    ),
    Headline(
        "abandonment, median day",
        "SELECT median(abandonment_rate) FROM analytics.agg_queue_daily",
        percent,
    ),
    Headline(
        "average handle time",
        "SELECT sum(avg_handle_time_s * calls_handled) / nullif(sum(calls_handled), 0) "
        "FROM analytics.agg_queue_daily WHERE calls_handled > 0",
        seconds,
    ),
    Headline(
        "occupancy",
        "SELECT sum(busy_s) / nullif(sum(busy_s + idle_s), 0) FROM analytics.agg_agent_daily",
        percent,
    ),
]


@dataclass(frozen=True)
class Chart:
    title: str
    explanation: str
    sql: str
    draw: Callable[[pd.DataFrame], Any]  # the query's rows → a plotly figure


def charts(timezone: str, threshold_seconds: int = 60) -> list[Chart]:
    zone = timezone.replace("'", "''")
    return [
        Chart(
            "Service level by queue and day",
            f"Tasks accepted within {threshold_seconds} seconds of entering the queue "
            "(the service_level_seconds var) ÷ tasks accepted or canceled.",
            "SELECT activity_date AS day, queue, service_level AS value "
            "FROM analytics.agg_queue_daily WHERE service_level IS NOT NULL ORDER BY 1, 2",
            daily_rate,
        ),
        Chart(
            "Abandonment rate by queue and day",
            "Tasks canceled before an agent accepted them ÷ tasks accepted or canceled.",
            "SELECT activity_date AS day, queue, abandonment_rate AS value "
            "FROM analytics.agg_queue_daily WHERE abandonment_rate IS NOT NULL ORDER BY 1, 2",
            daily_rate,
        ),
        Chart(
            "Average handle time by queue: talk and wrap (seconds)",
            "Handle time = talk time (the conversation) + wrap time (after-call work), calls "
            "handled over the whole period.",
            "SELECT queue, 'talk' AS part, "
            "sum(avg_talk_time_s * calls_handled) / sum(calls_handled) AS seconds "
            "FROM analytics.agg_queue_daily WHERE calls_handled > 0 GROUP BY queue "
            "UNION ALL SELECT queue, 'wrap', "
            "sum(avg_wrap_time_s * calls_handled) / sum(calls_handled) "
            "FROM analytics.agg_queue_daily WHERE calls_handled > 0 GROUP BY queue ORDER BY 1, 2",
            talk_and_wrap,
        ),
        Chart(
            "Occupancy per agent",
            "Busy time ÷ (busy + available idle time) over the whole period.",
            "SELECT agent_email AS agent, sum(busy_s) / nullif(sum(busy_s + idle_s), 0) AS value "
            "FROM analytics.agg_agent_daily GROUP BY 1 HAVING value IS NOT NULL ORDER BY 2 DESC",
            occupancy_per_agent,
        ),
        Chart(
            "Consent changes per channel and day",
            f"Opt-ins and opt-outs recorded, by the day they took effect ({timezone}).",
            f"SELECT (effective_at AT TIME ZONE '{zone}')::DATE AS day, "
            "channel || CASE WHEN is_subscribed THEN ' opt-in' ELSE ' opt-out' END AS change, "
            "count(*) AS changes FROM analytics.fct_consent_events GROUP BY ALL ORDER BY 1, 2",
            changes_per_day,
        ),
    ]


@dataclass(frozen=True)
class Table:
    title: str
    explanation: str
    sql: str  # its rows, shown as they come, with the query's column names as headings


# Speed-to-lead buckets in their order (fct_speed_to_lead.speed_to_lead_bucket).
BUCKETS = ["under_5_min", "under_1_hour", "under_1_day", "over_1_day", "not_attempted"]


def questions(timezone: str, interval_minutes: int) -> list[Chart | Table]:
    """What a manager and a compliance officer ask next: the newest day by interval, speed
    to lead, calling windows and STOP replies."""
    zone = timezone.replace("'", "''")
    bucket_order = " ".join(
        f"WHEN '{bucket}' THEN {number}" for number, bucket in enumerate(BUCKETS)
    )
    return [
        Chart(
            f"Tasks per {interval_minutes}-minute interval, newest day",
            "Tasks that entered each queue in the interval (agg_queue_interval), on the newest "
            f"day with tasks, times in {timezone}.",
            "SELECT strftime(interval_start, '%H:%M') AS interval, queue, "
            "tasks_created AS tasks FROM analytics.agg_queue_interval "
            "WHERE CAST(interval_start AS DATE) = "
            "(SELECT max(CAST(interval_start AS DATE)) FROM analytics.agg_queue_interval) "
            "ORDER BY interval_start, queue",
            tasks_per_interval,
        ),
        Chart(
            "Speed to lead",
            "Leads (phones any source named for the first time) by how soon they were first "
            "called or texted after that (fct_speed_to_lead).",
            "SELECT speed_to_lead_bucket AS bucket, count(*) AS leads "
            "FROM analytics.fct_speed_to_lead GROUP BY 1 "
            f"ORDER BY CASE speed_to_lead_bucket {bucket_order} END",
            speed_to_lead_buckets,
        ),
        Table(
            "Calling windows and STOP replies by day",
            "Outbound attempts made outside the contact's calling window (its local time, from "
            "the phone number) or to a phone of unknown zone (agg_compliance_daily), and SMS "
            "opt-out replies (fct_sms_opt_out_requests): violated when a text went out after "
            "the STOP, unrecorded when no unsubscribe was recorded.",
            "WITH attempts AS (SELECT activity_date, CAST(sum(attempts) AS BIGINT) AS attempts, "
            "CAST(sum(attempts_outside_window) AS BIGINT) AS outside_window, "
            "CAST(sum(attempts_unknown_timezone) AS BIGINT) AS unknown_zone "
            "FROM analytics.agg_compliance_daily GROUP BY 1), "
            f"stops AS (SELECT CAST(timezone('{zone}', received_at) AS DATE) AS activity_date, "
            "count(*) AS stop_replies, "
            "count(*) FILTER (WHERE status = 'violated') AS stops_violated, "
            "count(*) FILTER (WHERE status = 'unrecorded') AS stops_unrecorded "
            "FROM analytics.fct_sms_opt_out_requests GROUP BY 1) "
            "SELECT strftime(coalesce(attempts.activity_date, stops.activity_date), '%Y-%m-%d') "
            "AS day, coalesce(attempts, 0) AS attempts, "
            'coalesce(outside_window, 0) AS "outside window", '
            'coalesce(unknown_zone, 0) AS "unknown zone", '
            'coalesce(stop_replies, 0) AS "STOP replies", '
            "coalesce(stops_violated, 0) AS violated, "
            "coalesce(stops_unrecorded, 0) AS unrecorded "
            "FROM attempts FULL JOIN stops USING (activity_date) ORDER BY 1",
        ),
    ]
