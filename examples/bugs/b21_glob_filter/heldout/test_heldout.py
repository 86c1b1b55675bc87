from backup.selection import matches_any, select


def test_include_and_exclude_patterns():
    assert select(["a.py", "test_a.py", "b.py"], ["*.py"], ["test_*"]) == ["a.py", "b.py"]


def test_directory_pattern():
    assert matches_any("data/x.csv", ["data/*"]) is True
    assert matches_any("logs/x.csv", ["data/*"]) is False


def test_character_classes():
    assert select(["img1.png", "img2.png", "imgA.png"], ["img[0-9].png"]) == ["img1.png", "img2.png"]
