from settings import get_bool, parse_settings


def test_get_bool_with_spaces():
    assert get_bool(parse_settings("debug = yes"), "debug") is True
    assert get_bool(parse_settings("debug = off"), "debug") is False


def test_keys_are_case_insensitive_and_values_trimmed():
    assert parse_settings("  Path =   /tmp  \n; note") == {"path": "/tmp"}


def test_values_may_contain_equals_signs():
    assert parse_settings("url = a=b") == {"url": "a=b"}
    assert parse_settings("empty =") == {"empty": ""}
