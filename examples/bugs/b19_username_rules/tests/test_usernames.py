from accounts.usernames import is_valid_username, suggest


def test_valid_names():
    assert is_valid_username("alice_42") is True
    assert is_valid_username("Bob") is True


def test_reserved_names():
    assert is_valid_username("Admin") is False


def test_empty_name():
    assert is_valid_username("") is False


def test_suggest():
    assert suggest("carol", {"carol", "carol1"}) == "carol2"


def test_spaces_are_not_allowed():
    assert is_valid_username("john doe") is False
