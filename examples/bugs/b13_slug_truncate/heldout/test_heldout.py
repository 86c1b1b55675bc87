from slugs import slugify


def test_long_title_is_cut_at_the_default_maximum():
    assert slugify("x" * 40) == "x" * 30


def test_cut_inside_a_word():
    assert slugify("abc def", max_length=5) == "abc-d"


def test_short_titles_are_untouched():
    for title in ("Exactly ten", "Release 2.0", "Q&A"):
        assert slugify(title, max_length=len(title)) == slugify(title, max_length=100)
