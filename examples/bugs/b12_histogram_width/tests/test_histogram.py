from histogram import bin_edges, histogram


def test_bin_edges():
    assert bin_edges(0, 10, 4) == [0.0, 2.5, 5.0, 7.5, 10.0]


def test_histogram_upper_edge_goes_in_last_bin():
    assert histogram([1, 3, 5, 7, 9, 10], 5, 0, 10) == [1, 1, 1, 1, 2]


def test_histogram_ignores_values_outside():
    assert histogram([-1, 11, 4, 6], 2, 0, 10) == [1, 1]


def test_histogram_bins_of_fractional_width():
    assert histogram([1, 3, 6, 9], 4, 0, 10) == [1, 1, 1, 1]
