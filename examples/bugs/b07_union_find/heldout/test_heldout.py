from network.components import count_components, group_members


def test_hub_links_everything():
    assert group_members(4, [(0, 1), (0, 2), (0, 3)]) == [[0, 1, 2, 3]]


def test_joining_two_pairs():
    assert group_members(4, [(0, 1), (2, 3), (2, 1)]) == [[0, 1, 2, 3]]
    assert group_members(5, [(0, 1), (2, 3)]) == [[0, 1], [2, 3], [4]]


def test_ring():
    assert count_components(6, [(i, (i + 1) % 6) for i in range(6)]) == 1


def test_two_triangles():
    links = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]
    assert count_components(7, links) == 3
    assert group_members(7, links) == [[0, 1, 2], [3, 4, 5], [6]]
