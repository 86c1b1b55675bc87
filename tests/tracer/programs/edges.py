class CountTo:
    def __init__(self, n):
        self.i = 0
        self.n = n

    def __iter__(self):
        return self

    def __next__(self):
        if self.i >= self.n:
            raise StopIteration
        self.i += 1
        return self.i


def upto_then_fail(n):
    for i in range(n):
        yield i
    raise ValueError("boom")


def iterator_fails(n):
    for x in upto_then_fail(n):
        y = x
    return 0


def class_iterator(n):
    for x in CountTo(n):
        y = x
    return y


def else_raises(xs):
    for x in xs:
        y = x
    else:
        raise ValueError("after the loop")


def entry_raises(xs, d):
    n = d["k"]
    for x in xs:
        y = x + n
    return y


def one_line(ts):
    s = 0
    for t in ts: s += t
    return s


def main():
    out = []
    for k in range(8):
        try:
            iterator_fails(5)
        except ValueError:
            out.append(k)
        class_iterator(5)
        try:
            else_raises([1, 2, 3, 4, 5])
        except ValueError:
            pass
    for k in range(10):
        try:
            entry_raises([1, 2, 3, 4, 5], {"k": 1} if k < 6 else {})
        except KeyError:
            pass
    totals = [one_line(range(k)) for k in range(8)]
    return out, totals
