from pagination import page_count, paginate


def test_no_items_no_pages():
    assert page_count(0, 20) == 0


def test_one_item_per_page():
    assert page_count(1, 1) == 1
    assert page_count(7, 1) == 7


def test_full_last_page_has_no_next():
    page = paginate(list(range(40)), 2, 20)
    assert page.items == list(range(20, 40))
    assert page.has_next is False
    assert page.total_pages == 2


def test_many_page_sizes():
    for total in range(0, 60):
        for per_page in (1, 3, 10, 20):
            assert page_count(total, per_page) == -(-total // per_page)
