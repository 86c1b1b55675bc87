from money import format_cents, total


def test_zero():
    assert format_cents(0) == "$0.00"


def test_one_cent_negative():
    assert format_cents(-1) == "-$0.01"


def test_total_in_euros():
    assert total(["0.99", "0.10"], "€") == "€1.09"
    assert total(["100"], "€") == "€100.00"


def test_every_cent_value_has_two_digits():
    for cents in range(0, 1000, 7):
        text = format_cents(cents)
        assert len(text.split(".")[1]) == 2
        assert int(text[1:].replace(".", "").replace(",", "")) == cents
