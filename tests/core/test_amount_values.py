from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paycrypt.core.errors import ValidationError
from paycrypt.core.values import MAX_STROOPS, Amount, format_stroops


@pytest.mark.parametrize(
    ("text", "stroops"),
    [
        ("12.5", 125_000_000),
        ("1", 10_000_000),
        ("0.0000001", 1),
        ("  7.25 ", 72_500_000),
        ("1.50000000", 15_000_000),
        ("922337203685.4775807", MAX_STROOPS),
    ],
)
def test_it_reads_decimal_strings_as_stroops(text, stroops):
    assert Amount.parse(text).stroops == stroops


def test_it_formats_amounts_as_horizon_does():
    assert str(Amount.parse("12.5")) == "12.5000000"
    assert str(Amount(1)) == "0.0000001"
    assert Amount.parse("12.5").as_decimal() == Decimal("12.5")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_invalid"),
        ("abc", "amount_invalid"),
        ("1e5", "amount_invalid"),
        ("1,5", "amount_invalid"),
        ("1.", "amount_invalid"),
        ("+1", "amount_invalid"),
        ("1_000", "amount_invalid"),
        ("١٢", "amount_invalid"),  # Arabic-Indic digits are digits to Python, not to us
        ("NaN", "amount_invalid"),
        ("0", "amount_not_positive"),
        ("0.0000000", "amount_not_positive"),
        ("-5", "amount_not_positive"),
        ("0.00000001", "amount_too_precise"),
        ("1.12345678", "amount_too_precise"),
        ("922337203685.4775808", "amount_too_large"),
        ("99999999999999999999", "amount_too_large"),
    ],
)
def test_it_refuses_bad_amounts_with_a_stable_code(text, code):
    with pytest.raises(ValidationError) as caught:
        Amount.parse(text)
    assert caught.value.code == code
    assert caught.value.field == "amount"


def test_it_refuses_a_float_even_an_exact_one():
    with pytest.raises(ValidationError) as caught:
        Amount.parse(12.5)  # type: ignore[arg-type]
    assert caught.value.code == "amount_invalid"
    assert "string" in caught.value.message


def test_it_names_the_field_it_was_given():
    with pytest.raises(ValidationError) as caught:
        Amount.parse("x", field="starting_balance")
    assert caught.value.field == "starting_balance"


def test_it_refuses_an_amount_built_from_non_positive_stroops():
    with pytest.raises(ValidationError) as caught:
        Amount(0)
    assert caught.value.code == "amount_not_positive"


@given(st.integers(min_value=1, max_value=MAX_STROOPS))
def test_formatting_then_parsing_gives_back_the_same_stroops(stroops):
    assert Amount.parse(format_stroops(stroops)).stroops == stroops


@given(st.decimals(min_value=Decimal("0.0000001"), max_value=Decimal("922337203685.4775807"), places=7))
def test_parsing_agrees_with_exact_decimal_arithmetic(value):
    assert Amount.parse(format(value, "f")).stroops == int(value * 10_000_000)
    assert Amount.parse(value).stroops == int(value * 10_000_000)


def test_it_refuses_a_decimal_that_is_not_a_number():
    with pytest.raises(ValidationError) as caught:
        Amount.parse(Decimal("NaN"))
    assert caught.value.code == "amount_invalid"
