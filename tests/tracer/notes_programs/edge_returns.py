import asyncio
import contextlib
import functools
import re


def camelize(string, uppercase_first_letter=True):
    if uppercase_first_letter:
        return re.sub(r"(?:^|_)(.)", lambda m: m.group(1).upper(), string)
    else:
        return string[0].lower() + camelize(string)[1:]


def one_line(x):
    if x: return x * 10


def guarded(x):
    with contextlib.suppress(KeyError):
        if x > 1:
            return "big"
        return "small"


def in_finally(x):
    try:
        if x:
            return [x]
        return []
    finally:
        x = None


def one_line_in_with(x):
    with contextlib.suppress(KeyError):
        if x: return x


def countdown(n):
    while n > 0:
        n -= 1
    return n


def until_break(items):
    while True:
        item = items.pop()
        if item == 0:
            break
    return len(items)


def grade(score):
    if score >= 90:
        return "A"
    elif score >= 80:
        return "B"
    elif score >= 70:
        return "C"
    return "F"


def loop_body(items):
    total = 0
    if items:
        for item in items:
            total += item
    return total


def test_raises(d):
    try:
        if d["k"] > 0:
            return 1
        return 2
    except KeyError:
        return -1


def long_test(a, b):
    if (a > 0 and
            b > 0):
        return a + b
    return 0


def shouted(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args).upper()

    return wrapper


@shouted
def greet(name):
    return "hi " + name


class Box:
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v

    @property
    def double(self):
        return self.v * 2


def make_adder(k):
    def add(x):
        return x + k

    return add


def gen(n):
    yield n
    return n + 1


def drain(g):
    out = yield from g
    return out


async def twice(x):
    await asyncio.sleep(0)
    return x * 2


def squares(n):
    return n * n


def main():
    results = [camelize("a_b", False)]
    results += [one_line(0), one_line(2)]
    results += [guarded(1), guarded(5)]
    results += [in_finally(0), in_finally(3)]
    results += [one_line_in_with(0), one_line_in_with(4)]
    results += [countdown(3), countdown(0)]
    results.append(until_break([5, 0, 1, 2]))
    results += [grade(s) for s in (95, 85, 75, 10)]
    results += [loop_body([1, 2]), loop_body([])]
    results += [test_raises({}), test_raises({"k": 1}), test_raises({"k": 0})]
    results += [long_test(1, 2), long_test(1, 0), long_test(0, 1)]
    results.append(greet("bo"))
    box = Box(3)
    results += [box.get(), box.double]
    results.append(make_adder(2)(5))
    results.append(list(drain(gen(7))))
    results.append(asyncio.run(twice(4)))
    results.append(sum(squares(i) for i in range(7)))
    return results
