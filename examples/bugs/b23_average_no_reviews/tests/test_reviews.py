from reviews import Review, average_stars, star_bar

THREE = [Review("ann", 5), Review("bo", 4), Review("cy", 4)]


def test_average():
    assert average_stars(THREE) == 4.3


def test_single_review():
    assert average_stars([Review("dee", 2)]) == 2.0


def test_star_bar():
    assert star_bar(THREE) == "****- 4.3 (3)"


def test_average_without_reviews():
    assert average_stars([]) == 0.0
