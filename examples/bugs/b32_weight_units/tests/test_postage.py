import pytest
from shipping.postage import postage


def test_small_parcel_in_grams_and_ounces():
    assert postage([(200, "g"), (8, "oz")]) == 3.20


def test_parcel_in_pounds():
    assert postage([(3, "lb")]) == 5.90


def test_too_heavy():
    with pytest.raises(ValueError):
        postage([(30, "lb")])


def test_parcel_in_kilograms():
    assert postage([(1.5, "kg")]) == 5.90
