import pytest
from pagination import page_count, paginate


def test_page_count_with_a_partial_last_page():
    assert page_count(41, 20) == 3
    assert page_count(5) == 1


def test_page_count_rejects_zero_per_page():
    with pytest.raises(ValueError):
        page_count(10, 0)


def test_last_page_holds_the_rest():
    page = paginate(list(range(45)), 3, 20)
    assert page.items == [40, 41, 42, 43, 44]
    assert page.has_next is False


def test_page_count_when_pages_are_full():
    assert page_count(40, 20) == 2
