from slugs import slugify, unique_slug


def test_punctuation_becomes_dashes():
    assert slugify("Hello, World!") == "hello-world"


def test_accents_are_dropped():
    assert slugify("Crème brûlée recipes") == "creme-brulee-recipes"


def test_truncation_drops_a_trailing_dash():
    assert slugify("A very long title", max_length=7) == "a-very"


def test_unique_slug():
    assert unique_slug("Hello World", {"hello-world", "hello-world-2"}) == "hello-world-3"


def test_slug_of_exactly_the_maximum_length():
    assert slugify("Weekly report", max_length=13) == "weekly-report"
