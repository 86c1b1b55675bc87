from wrapping import fill, wrap


def test_wrap_single_characters():
    assert wrap("a b c d e", 3) == ["a b", "c d", "e"]


def test_fill_line_of_exactly_the_width():
    assert fill("one two three", 9, "> ") == "> one two\n> three"


def test_wrapped_lines_never_exceed_the_width_and_are_greedy():
    text = "it was the best of times it was the worst of times it was the age of wisdom"
    for width in range(6, 30):
        lines = wrap(text, width)
        assert " ".join(lines) == text
        assert all(len(line) <= width for line in lines)
        for line, following in zip(lines, lines[1:]):
            assert len(line) + 1 + len(following.split()[0]) > width
