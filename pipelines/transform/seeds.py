"""The dbt seeds made from maintained libraries, never by hand.

``phone_prefix_timezones``: phonenumbers' time-zone data (``phonenumbers.tzdata``), one row per
E.164 prefix it knows (country code and leading digits, without ``+``), with its IANA zone, or
no zone when the prefix spans several. The models find a phone's zone as phonenumbers'
``time_zones_for_geographical_number`` does: the longest known prefix of the number.

``python -m pipelines.transform.seeds`` writes it again after phonenumbers is upgraded (a test
fails until it is); the models rebuild in full on the next run, as after any change to the
project.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipelines.settings import DBT_PROJECT

PHONE_TIMEZONES_SEED = DBT_PROJECT / "seeds" / "phone_prefix_timezones.csv"
COLUMNS = ("prefix", "timezone")


def phone_prefix_timezones() -> list[tuple[str, str | None]]:
    """(prefix, zone or None when the prefix spans several zones), sorted by prefix."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    return sorted(
        (prefix, zones[0] if len(zones) == 1 else None) for prefix, zones in TIMEZONE_DATA.items()
    )


def phone_timezones_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows((prefix, zone or "") for prefix, zone in phone_prefix_timezones())
    return out.getvalue()


def write_seeds(path: Path = PHONE_TIMEZONES_SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(phone_timezones_csv())
    return path


if __name__ == "__main__":
    import phonenumbers

    written = write_seeds()
    print(f"{written}: phonenumbers {phonenumbers.__version__}")
