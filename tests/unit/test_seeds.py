"""The committed seeds are what the maintained libraries say, and the models' rule for a
phone's zone (the longest known prefix) is phonenumbers' own."""

from __future__ import annotations

import csv

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone

from pipelines.transform.seeds import PHONE_TIMEZONES_SEED, phone_timezones_csv


def seed_rows() -> dict[str, str | None]:
    with PHONE_TIMEZONES_SEED.open(newline="") as handle:
        return {row["prefix"]: row["timezone"] or None for row in csv.DictReader(handle)}


def test_the_committed_seed_is_what_the_installed_phonenumbers_says():
    assert PHONE_TIMEZONES_SEED.read_text() == phone_timezones_csv(), (
        "phone_prefix_timezones.csv differs from phonenumbers "
        f"{phonenumbers.__version__}: run python -m pipelines.transform.seeds"
    )


def test_prefixes_are_one_to_nine_digits_as_the_models_try_them():
    rows = seed_rows()
    assert len(rows) > 3000
    assert all(prefix.isdigit() and 1 <= len(prefix) <= 9 for prefix in rows)
    assert rows["1"] is None  # the North American plan spans many zones
    assert rows["1212"] == "America/New_York"


def zone_by_longest_prefix(e164: str, rows: dict[str, str | None]) -> str | None:
    """What fct_contact_attempts computes: the zone of the longest known prefix."""
    digits = e164[1:]
    for length in range(min(9, len(digits) - 1), 0, -1):
        if digits[:length] in rows:
            return rows[digits[:length]]
    return None


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(REGIONS), tail=st.integers(min_value=0, max_value=10**12))
def test_the_longest_prefix_rule_gives_the_zone_phonenumbers_gives(region, tail):
    example = phonenumbers.example_number(region)
    if example is None:
        return
    national = str(example.national_number)
    # Another number of the same shape: the example's leading digits, random trailing ones.
    keep = max(1, len(national) // 2)
    candidate = national[:keep] + str(tail).zfill(len(national))[: len(national) - keep]
    number = phonenumbers.parse(f"+{example.country_code}{candidate}")
    if not phonenumbers.is_valid_number(number):
        return
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = phone_timezone.time_zones_for_geographical_number(number)
    expected = zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
    assert zone_by_longest_prefix(e164, seed_rows()) == expected, e164
