def down(n):
    a = n
    if n:
        down(n - 1)


def acc():
    total = 0
    while True:
        value = yield total
        total += value


def ticks():
    n = 0
    while True:
        yield n
        n += 1


class Count:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return self

    def __next__(self):
        if self.n == 0:
            raise StopIteration
        self.n -= 1
        return self.n


def retry(times):
    def decorate(func):
        def inner():
            return func() * times

        return inner

    return decorate


def main():
    for k in range(3):
        down(5)
    a = acc()
    next(a)
    a.send(5)
    a.send(7)
    t = ticks()
    next(t)
    t.close()
    seen = [x for x in Count(2)]
    for x in Count(2):
        seen.append(x)
    n = 0
    while n < 3: n += 1
    one = retry(2)(lambda: 21)()
    dropped()
    return seen, n, one, loop_var(), comp_error()


def dropped():
    g = ticks()
    next(g)
    next(g)


def loop_var():
    out = []
    for item in ["a", "b", "c", "d", "e"]:
        item += "!"
        out.append(item)
    return out


def comp_error():
    try:
        return [10 // x for x in [1, 0]]
    except ZeroDivisionError:
        return None
