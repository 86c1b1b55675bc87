from maps.islands import count_islands, parse_map


def test_tall_map():
    assert count_islands(["#.", "#.", ".#", ".#"]) == 2


def test_single_row():
    assert count_islands(["#.#.##"]) == 3


def test_ring_around_a_lake():
    assert count_islands(parse_map("#####\n#...#\n#####\n.....\n#..##")) == 3
