def evens(limit):
    n = 0
    while n < limit:
        yield n
        n += 2


def chained():
    yield from evens(5)
    yield 100


def main():
    collected = []
    for value in chained():
        collected.append(value)
    squares = [x * x for x in collected]
    lookup = {x: str(x) for x in collected if x}
    unique = {x % 3 for x in collected}
    total = sum(x for x in collected)
    pairs = list(zip(collected, squares))
    return collected, squares, lookup, sorted(unique), total, pairs[:2]
