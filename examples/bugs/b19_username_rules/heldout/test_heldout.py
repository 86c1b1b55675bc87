from accounts.usernames import is_valid_username


def test_too_short():
    assert is_valid_username("ab") is False


def test_too_long():
    assert is_valid_username("x" * 21) is False
    assert is_valid_username("x" * 20) is True


def test_punctuation():
    assert is_valid_username("a-b-c") is False
    assert is_valid_username("dot.name") is False
    assert is_valid_username("under_score") is True
