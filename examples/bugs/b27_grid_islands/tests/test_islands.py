from maps.islands import count_islands, parse_map


def test_square_map():
    assert count_islands(parse_map("#.#\n.#.\n#.#")) == 5


def test_one_big_island():
    assert count_islands(["##", "##"]) == 1


def test_empty_map():
    assert count_islands([]) == 0


def test_wide_map():
    assert count_islands(["##..", "..##"]) == 2
