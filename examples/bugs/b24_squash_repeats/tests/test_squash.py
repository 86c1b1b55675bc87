from logtools.squash import render, squash


def test_render():
    assert render("disk full", 1) == "disk full"
    assert render("disk full", 4) == "disk full (x4)"


def test_no_repeats():
    assert squash(["boot", "login", "logout"]) == ["boot", "login", "logout"]


def test_repeats_that_are_not_neighbours():
    assert squash(["a", "b", "a"]) == ["a", "b", "a"]
    assert squash([]) == []


def test_repeated_lines_are_counted():
    assert squash(["disk full", "disk full", "disk full", "ok"]) == ["disk full (x3)", "ok"]
