from datetime import date

from checkout.coupons import Coupon, discount, to_pay

TODAY = date(2024, 6, 1)
NEXT_YEAR = date(2025, 1, 1)


def test_fixed_amount_off():
    assert discount(80.0, Coupon("FIVE", 5, False, NEXT_YEAR), TODAY) == 5.0


def test_fixed_amount_never_exceeds_price():
    assert discount(30.0, Coupon("FIFTY", 50, False, NEXT_YEAR), TODAY) == 30.0


def test_percent_rounds_to_cents():
    assert discount(19.99, Coupon("P15", 15, True, NEXT_YEAR), TODAY) == 3.0
    assert to_pay(80.0, Coupon("QUARTER", 25, True, NEXT_YEAR), TODAY) == 60.0


def test_coupon_valid_on_its_last_day():
    assert discount(50.0, Coupon("LAST", 20, True, TODAY), TODAY) == 10.0
