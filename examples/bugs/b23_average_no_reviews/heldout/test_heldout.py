from reviews import Review, average_stars, star_bar


def test_star_bar_without_reviews():
    assert star_bar([]) == "----- 0.0 (0)"


def test_rounding():
    assert average_stars([Review("a", 5), Review("b", 4)]) == 4.5
    assert average_stars([Review("a", 1), Review("b", 1), Review("c", 2)]) == 1.3


def test_star_bar_full_marks():
    assert star_bar([Review("a", 5)]) == "***** 5.0 (1)"


def test_average_without_reviews_reads_as_a_rating():
    assert f"{average_stars([])} stars" == "0.0 stars"
