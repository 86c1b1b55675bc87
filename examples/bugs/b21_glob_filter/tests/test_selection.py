from backup.selection import select


def test_exact_names():
    assert select(["a.txt", "b.txt"], ["a.txt"]) == ["a.txt"]


def test_exclude_exact_name():
    assert select(["notes.md", "todo.md"], ["notes.md", "todo.md"], ["todo.md"]) == ["notes.md"]


def test_nothing_to_select():
    assert select([], ["*.py"]) == []


def test_wildcard_include():
    assert select(["main.py", "README.md", "util.py"], ["*.py"]) == ["main.py", "util.py"]
