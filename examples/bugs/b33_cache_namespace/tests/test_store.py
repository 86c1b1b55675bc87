from memo.store import Memo


def square(x):
    return x * x


def cube(x):
    return x * x * x


def test_result_is_computed_once():
    memo = Memo()
    assert memo.call("square", square, 4) == 16
    assert memo.call("square", square, 4) == 16
    assert memo.computed == 1


def test_different_arguments():
    memo = Memo()
    assert [memo.call("square", square, x) for x in (1, 2, 3)] == [1, 4, 9]


def test_keyword_order_does_not_matter():
    memo = Memo()
    memo.call("pow", pow, base=2, exp=5)
    assert memo.call("pow", pow, exp=5, base=2) == 32
    assert memo.computed == 1


def test_functions_do_not_share_results():
    memo = Memo()
    assert memo.call("square", square, 3) == 9
    assert memo.call("cube", cube, 3) == 27
