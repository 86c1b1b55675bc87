from network.components import count_components


def test_separate_pairs():
    assert count_components(4, [(0, 1), (2, 3)]) == 2


def test_no_links():
    assert count_components(5, []) == 5


def test_chain_and_repeated_link():
    assert count_components(3, [(0, 1), (1, 2)]) == 1
    assert count_components(2, [(0, 1), (1, 0)]) == 1


def test_triangle_is_one_group():
    assert count_components(3, [(0, 1), (0, 2), (1, 2)]) == 1
