"""Write a deterministic Segment S3 archive and a manifest of what is in it: Regal Voice's
source and the sample brand's three (web, iOS, backend)."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.sample.lifecycle import CallbackTruth, ConsentRecord, Simulator
from pipelines.segment_archive.naming import event_table_name
from pipelines.segment_archive.settings import TABLE_OF_TYPE
from pipelines.settings import SAMPLE_SOURCE_IDS

DAY_MS = 86_400_000
FIRST_DAY = datetime(2026, 10, 5, tzinfo=UTC)

# One of each kind of line the loader must quarantine, with the reason it must give.
BAD_LINES = [
    ("this is not json", "invalid_json"),
    ('{"messageId": "trunc-1", "type": "track", "event": "call.comp', "invalid_json"),
    ("[1, 2, 3]", "not_an_object"),
    ('{"type": "track", "event": "call.completed", "properties": {}}', "missing_message_id"),
    ('{"messageId": "no-type-1", "event": "call.completed"}', "missing_type"),
    (
        '{"messageId": "bad-ts-1", "type": "track", "event": "sms.sent", '
        '"timestamp": "yesterday at noon", "receivedAt": "2026-10-05T10:00:00Z"}',
        "invalid_timestamp",
    ),
]


@dataclass
class SourceManifest:
    """Expected warehouse contents for one Segment source."""

    source_id: str
    files: int = 0
    lines: int = 0
    duplicate_lines: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    unique_messages: int = 0
    rows_per_table: dict[str, int] = field(default_factory=dict)
    users: int = 0


def expected_tables(message: dict) -> list[str]:
    """The Segment warehouse tables a message lands in."""
    if message["type"] == "track":
        return ["tracks", event_table_name(message["event"])]
    return [TABLE_OF_TYPE[message["type"]]]


def _received(message: dict) -> datetime:
    return datetime.fromisoformat(message["receivedAt"].replace("Z", "+00:00"))


def _day_folder(moment: datetime) -> str:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return str(int(midnight.timestamp() * 1000))


def by_received_day(messages: list[dict]) -> list[tuple[str, list[dict]]]:
    """(day folder, messages received that day in order), as Segment's archive groups them."""
    by_day: dict[str, list[dict]] = defaultdict(list)
    for message in sorted(messages, key=_received):
        by_day[_day_folder(_received(message))].append(message)
    return sorted(by_day.items())


def write_source(
    root: Path,
    source_id: str,
    messages: list[dict],
    rng: random.Random,
    messages_per_file: int,
    with_quirks: bool,
) -> SourceManifest:
    """Group messages by received day into gzipped NDJSON files, adding Segment's quirks."""
    manifest = SourceManifest(source_id=source_id)
    manifest.unique_messages = len(messages)
    rows = Counter(table for message in messages for table in expected_tables(message))
    manifest.rows_per_table = dict(sorted(rows.items()))
    manifest.users = len({m["userId"] for m in messages if m["type"] == "identify"})

    files: list[tuple[str, list[str]]] = []
    for day, day_messages in by_received_day(messages):
        for start in range(0, len(day_messages), messages_per_file):
            chunk = [
                json.dumps(m, separators=(",", ":"))
                for m in day_messages[start : start + messages_per_file]
            ]
            files.append((day, chunk))

    if with_quirks and files:
        # At-least-once delivery: a few messages again in the same file, and in a later file.
        for index, (_, lines) in enumerate(files):
            for _ in range(max(1, len(lines) // 200)):
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
                manifest.duplicate_lines += 1
            later = files[min(index + 1, len(files) - 1)][1]
            later.append(rng.choice(lines))
            manifest.duplicate_lines += 1
        # Bad lines spread over the files; each must be quarantined with its reason.
        reasons: Counter[str] = Counter()
        for number, (line, reason) in enumerate(BAD_LINES):
            lines = files[number % len(files)][1]
            lines.insert(rng.randrange(len(lines) + 1), line)
            reasons[reason] += 1
        manifest.rejected = dict(reasons)

    for chunk_number, (day, lines) in enumerate(files):
        folder = root / "segment-logs" / source_id / day
        folder.mkdir(parents=True, exist_ok=True)
        body = ("\n".join(lines) + "\n").encode()
        digest = hashlib.sha1(body).hexdigest()[:8]
        first_ms = int(day) + chunk_number * 60_000
        # mtime=0 keeps the gzip bytes identical between runs of the same seed.
        (folder / f"{first_ms}.{digest}.gz").write_bytes(gzip.compress(body, mtime=0))
        manifest.files += 1
        manifest.lines += len(lines)
    return manifest


def consent_truth(records: list[ConsentRecord]) -> dict:
    """What the consent marts must show, worked out here independently of the dbt models.

    Records are ordered by their effective time; re-sent copies count once; at one instant an
    opt-out beats an opt-in; a record repeating the current state opens no new period.
    """
    unique = set(records)
    by_key: dict[tuple[str, str], dict[datetime, bool]] = defaultdict(dict)
    for record in unique:
        states = by_key[(record.phone, record.channel)]
        previous = states.get(record.effective_at, True)
        states[record.effective_at] = previous and record.is_subscribed
    periods = 0
    current: Counter[str] = Counter()
    for (_, channel), states in by_key.items():
        state = None
        for moment in sorted(states):
            if states[moment] != state:
                periods += 1
                state = states[moment]
        current[channel] += int(bool(state))
    return {
        "events_by_changer": dict(Counter(record.changed_by for record in unique)),
        "phone_channels": len(by_key),
        "periods": periods,
        "currently_subscribed_by_channel": dict(sorted(current.items())),
    }


def callback_truth(truth: CallbackTruth, early_minutes: int = 5, grace_minutes: int = 15) -> dict:
    """How many promised callbacks were kept on time, late, missed or are still pending, worked
    out here independently of the dbt models (with the models' default margins).

    A promise is fulfilled by the first OUTBOUND call to its phone started at or after the
    promised instant less the early margin; on time when that is at most the grace after it;
    missed when no call fulfils it and the grace ended before the newest call of all.
    """
    early, grace = timedelta(minutes=early_minutes), timedelta(minutes=grace_minutes)
    newest_call = max(started for _, started, _ in truth.calls)
    outbound: dict[str, list[datetime]] = defaultdict(list)
    for phone, started, direction in truth.calls:
        if direction == "OUTBOUND":
            outbound[phone].append(started)
    statuses: Counter[str] = Counter()
    for phone, promised in truth.promises:
        fulfilling = [started for started in outbound[phone] if started >= promised - early]
        if fulfilling:
            statuses["on_time" if min(fulfilling) - promised <= grace else "late"] += 1
        else:
            statuses["missed" if promised + grace < newest_call else "pending"] += 1
    return dict(sorted(statuses.items()))


def simulate_day(
    regal: Simulator, brand: Simulator, day_number: int, tasks_per_day: int
) -> tuple[list[dict], list[dict]]:
    """One day of the contact center: Regal Voice's messages and the brand's own."""
    day = FIRST_DAY + timedelta(days=day_number)
    regal_messages: list[dict] = []
    brand_messages: list[dict] = []
    for agent in regal.agents:
        regal_messages.extend(regal.agent_shift(day, agent))
    for _ in range(tasks_per_day):
        at = day + timedelta(hours=13, seconds=regal.rng.randint(0, 8 * 3600))
        regal_messages.extend(regal.task(at))
    for _ in range(max(1, tasks_per_day // 5)):
        at = day + timedelta(hours=12, seconds=regal.rng.randint(0, 10 * 3600))
        regal_messages.extend(regal.contact_events(at))
    for _ in range(max(1, tasks_per_day // 3)):
        # Leads sign up at every hour of the day; the contact centre works 13:00-21:00 UTC.
        at = day + timedelta(seconds=brand.rng.randint(0, 24 * 3600 - 1))
        brand_messages.append(brand.brand_identify(at))
        brand_messages.extend(brand.brand_activity(at))
    return regal_messages, brand_messages


def brand_source_of(message: dict, rng: random.Random) -> str:
    """Which of the sample brand's sources sends a message, as a real brand's are split: the
    website (pages, groups, aliases, half the identifies), the iOS app (screens, the other
    identifies) and the backend (the loan events; it never identifies anyone)."""
    kind = message["type"]
    if kind == "identify":
        return rng.choice(["web", "ios"])
    if kind == "screen":
        return "ios"
    if kind == "track":
        return "server"
    return "web"


def split_brand_sources(messages: list[dict], seed: int) -> dict[str, list[dict]]:
    # A generator of its own: the split leaves every other random draw as it was.
    rng = random.Random(seed * 31 + 1)
    by_source: dict[str, list[dict]] = {"web": [], "ios": [], "server": []}
    for message in messages:
        by_source[brand_source_of(message, rng)].append(message)
    return by_source


def generate_archive(
    root: Path,
    days: int = 3,
    tasks_per_day: int = 150,
    agents: int = 8,
    contacts: int = 120,
    messages_per_file: int = 2_000,
    seed: int = 7,
    with_quirks: bool = True,
) -> dict:
    """Write every source's archive under ``root/segment-logs`` and return (and save) the
    manifest.

    The same arguments always produce byte-identical files, so tests and benchmarks can
    compare runs.
    """
    rng = random.Random(seed)
    regal = Simulator(random.Random(rng.getrandbits(64)), agents, contacts)
    brand = Simulator(random.Random(rng.getrandbits(64)), agents, contacts)
    regal.until = FIRST_DAY + timedelta(days=days)
    regal_messages: list[dict] = []
    brand_messages: list[dict] = []
    for day_number in range(days):
        regal_day, brand_day = simulate_day(regal, brand, day_number, tasks_per_day)
        regal_messages.extend(regal_day)
        brand_messages.extend(brand_day)

    root.mkdir(parents=True, exist_ok=True)
    logs = root / "segment-logs"
    logs.mkdir(exist_ok=True)
    (logs / "dummy-object.txt").write_text("Segment set-up check\n")
    by_source = {"regal_voice": regal_messages, **split_brand_sources(brand_messages, seed)}
    sources = {
        name: write_source(
            root, SAMPLE_SOURCE_IDS[name], messages, rng, messages_per_file, with_quirks
        )
        for name, messages in by_source.items()
    }
    manifest = {
        "seed": seed,
        "days": days,
        "sources": {name: asdict(source) for name, source in sources.items()},
        "regal_voice_truth": asdict(regal.truth),
        "brand_truth": asdict(brand.truth),
        "consent_truth": consent_truth(regal.consent_records + brand.consent_records),
        "callback_truth": callback_truth(regal.callback_truth),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest
