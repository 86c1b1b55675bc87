from logtools.squash import squash


def test_repeat_at_the_end():
    assert squash(["x", "x"]) == ["x (x2)"]


def test_several_runs():
    assert squash(["a", "a", "b", "b", "b", "a"]) == ["a (x2)", "b (x3)", "a"]


def test_long_run():
    assert squash(["tick"] * 100) == ["tick (x100)"]
