from histogram import histogram


def test_unit_range():
    assert histogram([0.1, 0.5, 0.9], 3, 0, 1) == [1, 1, 1]


def test_values_on_fractional_edges():
    assert histogram([2.5, 5, 7.5], 4, 0, 10) == [0, 1, 1, 1]


def test_offset_range():
    assert histogram(range(100, 200), 3, 100, 199) == [33, 33, 34]


def test_counts_add_up():
    counts = histogram(range(60), 4, 0, 50)
    assert sum(counts) == 51
    assert counts == [13, 12, 13, 13]
