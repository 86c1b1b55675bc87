from memo.keys import cache_key
from memo.store import Memo


def test_cache_key_format():
    assert cache_key("price", 3, region="eu") == "price:3:region='eu'"
    assert cache_key("now") == "now"


def test_forget_one_namespace():
    memo = Memo()
    memo.call("square", lambda x: x * x, 3)
    memo.call("cube", lambda x: x**3, 3)
    memo.call("cube", lambda x: x**3, 4)
    assert memo.forget("cube") == 2
    assert memo.forget("square") == 1


def test_same_arguments_in_two_namespaces_are_computed_twice():
    memo = Memo()
    memo.call("a", str, 1)
    memo.call("b", repr, 1)
    assert memo.computed == 2
