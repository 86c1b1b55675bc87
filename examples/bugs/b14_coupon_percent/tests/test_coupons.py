from datetime import date

from checkout.coupons import Coupon, discount

TODAY = date(2024, 6, 1)
NEXT_YEAR = date(2025, 1, 1)


def test_no_coupon():
    assert discount(80.0, None, TODAY) == 0.0


def test_expired_coupon():
    assert discount(80.0, Coupon("SPRING", 25, True, date(2024, 5, 31)), TODAY) == 0.0


def test_ten_percent_off_a_hundred():
    assert discount(100.0, Coupon("TEN", 10, True, NEXT_YEAR), TODAY) == 10.0


def test_quarter_off():
    assert discount(80.0, Coupon("QUARTER", 25, True, NEXT_YEAR), TODAY) == 20.0
