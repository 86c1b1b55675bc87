from wrapping import fill, wrap


def test_wrap_breaks_between_words():
    assert wrap("a long sentence to wrap nicely", 12) == ["a long", "sentence to", "wrap nicely"]


def test_wrap_keeps_long_words_whole():
    assert wrap("supercalifragilistic is long", 5) == ["supercalifragilistic", "is", "long"]


def test_wrap_empty_text():
    assert wrap("", 10) == []


def test_fill_indents_every_line():
    assert fill("reply to all of them", 12, "> ") == "> reply to\n> all of\n> them"


def test_wrap_line_of_exactly_the_width():
    assert wrap("the quick brown fox", 9) == ["the quick", "brown fox"]
