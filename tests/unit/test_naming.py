"""Segment's naming rules: the examples documented in FACTS.md, and properties of any name."""

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pipelines.segment_archive.naming import (
    event_table_name,
    snake_case_like_segment,
    warehouse_identifier,
)

DOCUMENTED = [
    ("call.completed", "call_completed"),
    ("Loan Application Approved", "loan_application_approved"),
    ("accountType", "account_type"),
    ("optIn", "opt_in"),
    ("task.reservation.accepted", "task_reservation_accepted"),
    ("agent_email", "agent_email"),
    # go-snakecase's own test table
    ("sample text", "sample_text"),
    ("sample___text", "sample_text"),
    ("inviteYourCustomersAddInvites", "invite_your_customers_add_invites"),
    ("   $#$sample   2    Text   ", "sample_2_text"),
    ("SAMPLE 2 TEXT", "sample_2_text"),
    ("___$$Base64Encode", "base64_encode"),
    ("FOO:BAR$BAZ", "foo_bar_baz"),
    ("something.com", "something_com"),
    ("$something%", "something"),
    ("•¶§ƒ˚foo˙∆˚¬", "foo"),
    # go-snakecase steps back over the last digit of a lower-case start, even after an
    # underscore: its output then doubles it (and snake-casing it again changes it).
    ("_0:", "__0"),
    ("a_1.b", "a__1_b"),
]

# The longest start of a name go-snakecase keeps as it is.
KEPT = re.compile(r"(?:[a-z0-9]|_(?=[a-z0-9]))*")


def segment_doubles_an_underscore(name: str) -> bool:
    """Whether go-snakecase's step back over a digit lands after an underscore (above)."""
    kept = KEPT.match(name).group()
    return kept != name and re.search(r"_[0-9]$", kept) is not None


@pytest.mark.parametrize(("name", "expected"), DOCUMENTED)
def test_documented_examples(name, expected):
    assert snake_case_like_segment(name) == expected


def test_property_colliding_with_builtin_keeps_its_underscore():
    assert snake_case_like_segment("_timestamp") == "_timestamp"


def test_leading_digit_gets_underscore_prefix():
    assert warehouse_identifier("2FA enabled") == "_2fa_enabled"
    assert event_table_name("1st call") == "_1st_call"


def test_name_without_letters_still_gets_a_column():
    assert warehouse_identifier("$$$") == "_empty"


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(names)
def test_output_is_lower_snake_case(name):
    assume(not segment_doubles_an_underscore(name))
    result = snake_case_like_segment(name)
    assert re.fullmatch(r"[a-z0-9_]*", result) or result == name
    if result != name:
        assert "__" not in result
        assert not result.endswith("_")


@given(names)
def test_snake_case_is_idempotent(name):
    assume(not segment_doubles_an_underscore(name))
    once = snake_case_like_segment(name)
    assert snake_case_like_segment(once) == once


@given(names)
def test_identifier_is_a_safe_sql_name(name):
    result = warehouse_identifier(name)
    if snake_case_like_segment(name) != name:  # names already in snake case pass unchanged
        assert re.fullmatch(r"_?[a-z0-9_]+", result)
        assert not result[0].isdigit()


def test_digit_before_a_delimiter_splits_like_go_snakecase():
    # go-snakecase steps back over a digit where its fast path stops: "a0.a" → "a_0_a".
    assert snake_case_like_segment("a0.a") == "a_0_a"


@given(st.lists(st.from_regex(r"[a-z]{2,8}", fullmatch=True), min_size=1, max_size=4))
def test_camel_case_and_dotted_forms_agree(words):
    camel = words[0] + "".join(word.capitalize() for word in words[1:])
    dotted = ".".join(words)
    assert snake_case_like_segment(dotted) == "_".join(words)
    assert snake_case_like_segment(camel) == "_".join(words)
