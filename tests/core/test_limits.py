"""Payment limits hold per payment, per tag per day, globally, and under concurrent payments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from paycrypt.core.errors import ConfigError, ValidationError
from paycrypt.core.limits import (
    LimitExceeded,
    PaymentLimits,
    headroom,
    release_daily_usage,
    reserve_daily_usage,
)

XLM = 10_000_000
TODAY = date(2026, 11, 27)
LIMITS = PaymentLimits(
    min_stroops=1 * XLM,
    max_stroops=50 * XLM,
    tag_daily_stroops=100 * XLM,
    tag_daily_count=5,
    global_daily_stroops=150 * XLM,
)


def reserve(uow_factory, tag: str, stroops: int, day: date = TODAY) -> None:
    with uow_factory() as uow:
        reserve_daily_usage(uow, LIMITS, tag, stroops, day)
        uow.commit()


def test_a_payment_outside_the_per_payment_range_is_refused():
    with pytest.raises(ValidationError) as low:
        LIMITS.check_amount(XLM - 1)
    with pytest.raises(ValidationError) as high:
        LIMITS.check_amount(50 * XLM + 1)
    assert (low.value.code, high.value.code) == ("amount_below_minimum", "amount_above_maximum")
    LIMITS.check_amount(50 * XLM)


def test_it_refuses_a_payment_over_the_daily_limit_and_counts_nothing(uow_factory):
    reserve(uow_factory, "alice", 60 * XLM)
    with pytest.raises(LimitExceeded) as caught:
        reserve(uow_factory, "alice", 41 * XLM)
    assert caught.value.code == "daily_limit_exceeded"
    assert "40.0000000 more today" in caught.value.message
    with uow_factory() as uow:
        left = headroom(uow, LIMITS, "alice", TODAY)
    assert (left.tag_stroops, left.tag_count, left.global_stroops) == (40 * XLM, 4, 90 * XLM)


def test_it_refuses_a_payment_over_the_daily_count(uow_factory):
    for _ in range(5):
        reserve(uow_factory, "bob", XLM)
    with pytest.raises(LimitExceeded) as caught:
        reserve(uow_factory, "bob", XLM)
    assert caught.value.code == "daily_count_exceeded"


def test_the_global_cap_spans_all_tags_and_a_refusal_leaves_the_tag_untouched(uow_factory):
    reserve(uow_factory, "alice", 100 * XLM)
    with pytest.raises(LimitExceeded) as caught:
        reserve(uow_factory, "carol", 51 * XLM)
    assert caught.value.code == "global_daily_cap_exceeded"
    with uow_factory() as uow:
        assert headroom(uow, LIMITS, "carol", TODAY).tag_stroops == 100 * XLM


def test_a_new_day_starts_from_zero(uow_factory):
    reserve(uow_factory, "alice", 100 * XLM)
    reserve(uow_factory, "alice", 100 * XLM, day=date(2026, 11, 28))  # the full daily limit again
    with uow_factory() as uow:
        assert headroom(uow, LIMITS, "alice", date(2026, 11, 28)).tag_stroops == 0
        assert headroom(uow, LIMITS, "alice", TODAY).tag_stroops == 0


def test_released_usage_can_be_spent_again(uow_factory):
    reserve(uow_factory, "alice", 100 * XLM)
    with uow_factory() as uow:
        release_daily_usage(uow, "alice", 30 * XLM, TODAY)
        uow.commit()
    with uow_factory() as uow:
        assert headroom(uow, LIMITS, "alice", TODAY).tag_stroops == 30 * XLM
    reserve(uow_factory, "alice", 30 * XLM)
    with uow_factory() as uow:
        assert headroom(uow, LIMITS, "alice", TODAY).tag_stroops == 0


def test_limits_hold_under_parallel_payments(uow_factory):
    def attempt(_: int) -> bool:
        try:
            reserve(uow_factory, "dave", 30 * XLM)
            return True
        except LimitExceeded:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count(True) == 3  # 3 x 30 fits under 100; a fourth would not
    with uow_factory() as uow:
        assert headroom(uow, LIMITS, "dave", TODAY).tag_stroops == 10 * XLM


def test_limits_come_from_settings_as_decimal_strings(settings_factory):
    settings = settings_factory(PAYCRYPT_LIMIT_MAX_AMOUNT="250.5", PAYCRYPT_LIMIT_TAG_DAILY_COUNT="7")
    assert settings.limits.max_stroops == 2_505_000_000
    assert settings.limits.tag_daily_count == 7
    assert settings.limits.as_dict()["max_amount"] == "250.5000000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PAYCRYPT_LIMIT_MAX_AMOUNT", "12.123456789", "PAYCRYPT_LIMIT_MAX_AMOUNT: has more than 7 decimals"),
        ("PAYCRYPT_LIMIT_MIN_AMOUNT", "0", "PAYCRYPT_LIMIT_MIN_AMOUNT: must be more than 0"),
        ("PAYCRYPT_LIMIT_MIN_AMOUNT", "20000", "PAYCRYPT_LIMIT_MIN_AMOUNT: larger than"),
        ("PAYCRYPT_LIMIT_TAG_DAILY_AMOUNT", "lots", "PAYCRYPT_LIMIT_TAG_DAILY_AMOUNT: must be a decimal"),
    ],
)
def test_bad_limit_settings_name_the_variable(settings_factory, variable, value, message):
    with pytest.raises(ConfigError) as caught:
        settings_factory(**{variable: value})
    assert str(caught.value).startswith(message)
