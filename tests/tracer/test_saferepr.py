import time

from semcoder_core.tracer.saferepr import SafeRepr


class Slow:
    def __repr__(self):
        time.sleep(5)
        return "slow"


class Boom:
    def __repr__(self):
        raise ValueError("nope")


class NotAString:
    def __repr__(self):
        return 42


def test_builtin_values_match_repr():
    rep = SafeRepr()
    for value in [1, -2.5, None, True, "it's", b"\x00a", (1,), (), [1, (2, 3)], {"a": [1]}, {1, 2}, frozenset()]:
        assert rep(value) == repr(value)


def test_caps_on_length_items_and_depth():
    rep = SafeRepr(max_string=10, max_items=3, max_depth=2, max_length=60)
    assert rep("a" * 50) == "'aaaaaaaaaa...'"
    assert rep(list(range(100))) == "[0, 1, 2, ...]"
    assert rep({i: i for i in range(10)}) == "{0: 0, 1: 1, 2: 2, ...}"
    assert rep([[[1]]]) == "[[[...]]]"
    assert len(rep([["x" * 10] * 3] * 3)) <= 60


def test_a_million_elements_cost_what_twenty_cost():
    rep = SafeRepr()
    big = list(range(1_000_000))
    started = time.perf_counter()
    text = rep(big)
    assert time.perf_counter() - started < 0.05
    assert text.endswith(", ...]") and text.startswith("[0, 1, 2")


def test_hostile_reprs_become_placeholders():
    rep = SafeRepr(time_limit=0.1)
    assert rep(Boom()) == "<Boom object (repr failed: ValueError)>"
    assert rep(NotAString()) == "<NotAString object (repr failed: TypeError)>"
    started = time.perf_counter()
    assert rep(Slow()) == "<Slow object (repr took over 0.1 s)>"
    assert time.perf_counter() - started < 1
    # The slow type is not asked again.
    started = time.perf_counter()
    assert "took over" in rep(Slow())
    assert time.perf_counter() - started < 0.01


def test_objects_with_the_default_repr_show_their_attributes():
    class Point:
        def __init__(self):
            self.x, self.y = 1, [2]

    class Empty:
        pass

    assert SafeRepr()(Point()) == "<test_objects_with_the_default_repr_show_their_attributes.<locals>.Point x=1, y=[2]>"
    assert SafeRepr()(Empty()).endswith("Empty>")


def test_addresses_are_removed_from_builtin_reprs():
    text = SafeRepr()(iter([1]))
    assert text == "<list_iterator object>"
    assert SafeRepr()(len) == "<built-in function len>"


def test_without_own_reprs_no_user_repr_runs():
    calls = []

    class Cache:
        def __init__(self):
            self.data = {1: "a"}

        def __repr__(self):
            calls.append(1)
            self.data.clear()  # a repr that changes what it shows
            return "Cache()"

    class Slots:
        __slots__ = ("x",)

        def __repr__(self):
            calls.append(1)
            return "Slots()"

    quiet = SafeRepr(own_reprs=False)
    assert quiet(Cache()).endswith("Cache data={1: 'a'}>")
    assert quiet(Slots()).endswith("Slots object>")
    assert quiet([Cache()]).endswith("Cache data={1: 'a'}>]") and calls == []
    assert SafeRepr()(Cache()) == "Cache()" and calls == [1]
