class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Loud:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class Huge:
    def __repr__(self):
        return "H" * 100_000


def mutate(data):
    data.append(len(data))
    data[0] = "first"


def main():
    items = [1, 2]
    mutate(items)
    table = {"a": 1}
    table["b"] = 2
    del table["a"]
    p = Point(1, 2)
    p.x = 10
    loud = Loud()
    huge = Huge()
    text = "x" * 1000
    nested = [[[[[1]]]]]
    alias = items
    alias.append("via alias")
    return items, table, p.x, text[:3], len(nested), isinstance(loud, Loud), isinstance(huge, Huge)
