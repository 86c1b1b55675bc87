import pytest
from shipping.postage import parcel_grams, postage
from shipping.units import to_grams


def test_kilograms_to_grams():
    assert to_grams(2, "kg") == 2000.0
    assert to_grams(2, "KG") == 2000.0


def test_heavy_parcel_in_kilograms():
    assert postage([(9, "kg")]) == 12.50
    with pytest.raises(ValueError):
        postage([(12, "kg")])


def test_mixed_units():
    assert parcel_grams([(0.25, "kg"), (250, "g")]) == 500.0
