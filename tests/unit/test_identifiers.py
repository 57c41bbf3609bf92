"""A person's identifiers normalised and hashed outside dbt exactly as inside it."""

from __future__ import annotations

import duckdb
import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.privacy.identifiers import (
    Identifier,
    hashed,
    normal_email,
    phone_e164,
    sql_hashed,
    sql_normal_email,
    sql_phone_e164,
)
from tests.conftest import PROJECT

PHONE_LIKE = st.one_of(
    st.text(alphabet="0123456789 +-().\t", max_size=20),
    st.from_regex(r"\s?\+?1?[ -]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}", fullmatch=True),
    st.text(max_size=20),
)


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


def dbt_macro_sql(expression: str) -> str:
    """The dbt project's own ``phone_e164`` macro, rendered with its default var, and DuckDB's
    implementation of the dispatched macro it calls."""
    folder = PROJECT / "dbt_project" / "macros"
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    cross_db = environment.from_string((folder / "cross_db.sql").read_text()).make_module({})
    macros = environment.from_string((folder / "conversions.sql").read_text()).make_module(
        {"var": lambda name: "1", "replace_all": cross_db.default__replace_all}
    )
    return str(macros.phone_e164(expression))


@given(text=PHONE_LIKE)
def test_phone_normalisation_equals_the_dbt_macro(con, text):
    macro = con.execute(f"SELECT {dbt_macro_sql('$1')}", [text]).fetchall()[0][0]
    twin = con.execute(f"SELECT {sql_phone_e164('$1')}", [text]).fetchall()[0][0]
    assert phone_e164(text) == macro == twin


@given(text=st.one_of(st.emails(), st.text(max_size=30)))
def test_email_normalisation_equals_its_sql(con, text):
    assert (
        normal_email(text)
        == con.execute(f"SELECT {sql_normal_email('$1')}", [text]).fetchall()[0][0]
    )


@given(kind=st.sampled_from(["phone", "email", "user_id"]), value=st.text(max_size=40))
def test_hashes_equal_in_python_and_duckdb(con, kind, value):
    salt = "a1b2c3"
    assert (
        hashed(kind, value, salt)
        == con.execute(f"SELECT {sql_hashed(kind, '$1', salt)}", [value]).fetchall()[0][0]
    )


def test_a_hash_depends_on_the_salt_and_the_kind():
    phone = Identifier("phone", "+19175554444")
    assert phone.hashed("s1") != phone.hashed("s2")
    assert hashed("phone", "x", "s") != hashed("email", "x", "s")
    assert "+19175554444" not in phone.hashed("s1")


def test_phones_in_any_format():
    for text in ["+1 (917) 555-4444", "917-555-4444", "(917) 555 4444", "19175554444"]:
        assert phone_e164(text) == "+19175554444"
    assert phone_e164("+44 20 7946 0958") == "+442079460958"
    assert phone_e164("555-4444") is None
