"""Generators, comprehensions, with blocks, exceptions crossing frames, async functions and threads."""
import asyncio
import contextlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor


def numbers(n):
    for i in range(n):
        yield i


def evens(xs):
    for x in xs:
        if x % 2 == 0:
            yield x


def case_generator_pipeline():
    return list(evens(numbers(10))), sum(x * x for x in evens(numbers(7)))


def inner_gen():
    yield 1
    yield 2
    return "inner done"


def outer_gen():
    result = yield from inner_gen()
    yield result
    yield from [10, 20]


def case_yield_from_with_return_value():
    return list(outer_gen())


def accumulator():
    total = 0
    while True:
        value = yield total
        if value is None:
            break
        total += value
    return total


def case_generator_send():
    gen = accumulator()
    next(gen)
    got = [gen.send(v) for v in (5, 10, 20)]
    try:
        gen.send(None)
    except StopIteration as stop:
        final = stop.value
    return got, final


def case_generator_close_early():
    def ticker():
        n = 0
        try:
            while True:
                yield n
                n += 1
        finally:
            cleanup.append(n)

    cleanup = []
    t = ticker()
    first = [next(t) for _ in range(3)]
    t.close()
    return first, cleanup


def case_generator_partially_consumed():
    def squares():
        for i in range(100):
            yield i * i

    g = squares()
    return next(g), next(g), next(g)


def case_nested_comprehensions():
    matrix = [[i * j for j in range(4)] for i in range(3)]
    flat = [v for row in matrix for v in row if v % 2 == 0]
    index = {(i, j): matrix[i][j] for i in range(3) for j in range(4) if matrix[i][j] > 2}
    uniq = {v % 5 for v in flat}
    return matrix, flat, sorted(index.items())[:3], sorted(uniq)


def case_multi_line_comprehension():
    words = ["alpha", "beta", "gamma", "delta"]
    lengths = {
        w: len(w)
        for w in words
        if "a" in w
    }
    return lengths


def case_comprehension_calling_functions():
    def weight(x):
        if x > 2:
            return x * 10
        return x

    return [weight(x) for x in range(5)], max(weight(x) for x in range(3))


def case_generator_expression_any_all():
    data = [2, 4, 6, 7, 8]
    return any(x % 2 for x in data), all(x > 0 for x in data), next((x for x in data if x > 5), None)


class Resource:
    def __init__(self, name, log):
        self.name = name
        self.log = log

    def __enter__(self):
        self.log.append("open " + self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        self.log.append("close " + self.name)
        if exc_type is KeyError:
            self.log.append("suppressed")
            return True
        return False


def case_with_blocks():
    log = []
    with Resource("a", log) as a, Resource("b", log) as b:
        log.append(a.name + b.name)
    with Resource("c", log):
        {}["missing"]
    try:
        with Resource("d", log):
            raise ValueError("boom")
    except ValueError:
        log.append("caught")
    return log


@contextlib.contextmanager
def tag(name, out):
    out.append(f"<{name}>")
    try:
        yield len(out)
    finally:
        out.append(f"</{name}>")


def case_contextmanager_decorator():
    out = []
    with tag("html", out):
        with tag("body", out) as depth:
            out.append(f"text at {depth}")
    return "".join(out)


def parse_config(text):
    data = json.loads(text)
    return data["name"]


def load(texts):
    names = []
    for t in texts:
        try:
            names.append(parse_config(t))
        except (ValueError, KeyError) as exc:
            names.append(type(exc).__name__)
    return names


def case_exceptions_crossing_frames_and_library():
    return load(['{"name": "a"}', "not json", "{}"])


class AppError(Exception):
    pass


def low(x):
    if x == 0:
        raise ZeroDivisionError("zero")
    return 10 / x


def mid(x):
    try:
        return low(x)
    except ZeroDivisionError as exc:
        raise AppError("mid failed") from exc


def top(x):
    try:
        return mid(x)
    except AppError as exc:
        return f"{exc} <- {exc.__cause__}"


def case_raise_from_chain():
    return top(5), top(0)


def case_reraise():
    def check(v):
        try:
            return int(v)
        except ValueError:
            seen.append(v)
            raise

    seen = []
    results = []
    for v in ("1", "x"):
        try:
            results.append(check(v))
        except ValueError:
            results.append(None)
    return results, seen


def case_exception_in_comprehension():
    def safe(xs):
        try:
            return [10 // x for x in xs]
        except ZeroDivisionError:
            return "div by zero"

    return safe([1, 2]), safe([1, 0])


def case_exception_in_generator():
    def gen():
        yield 1
        raise KeyError("gone")

    out = []
    try:
        for v in gen():
            out.append(v)
    except KeyError as exc:
        out.append(str(exc))
    return out


def case_assert_caught():
    def check(x):
        assert x > 0, f"bad {x}"
        return x

    results = []
    for v in (1, -1):
        try:
            results.append(check(v))
        except AssertionError as exc:
            results.append(str(exc))
    return results


def case_uncaught_exception_ends_program():
    def explode(depth):
        if depth == 0:
            raise RuntimeError("deep")
        return explode(depth - 1)

    return explode(3)


async def fetch(name, delay_steps):
    for _ in range(delay_steps):
        await asyncio.sleep(0)
    return name.upper()


async def gather_all():
    results = await asyncio.gather(fetch("a", 2), fetch("b", 1), fetch("c", 0))
    return list(results)


def case_asyncio_run_gather():
    return asyncio.run(gather_all())


async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i * 3


async def consume():
    out = []
    async for v in agen(4):
        out.append(v)
    return out


def case_async_generator():
    return asyncio.run(consume())


async def failing():
    await asyncio.sleep(0)
    raise ValueError("async boom")


async def guarded():
    try:
        return await failing()
    except ValueError as exc:
        return str(exc)


def case_async_exception():
    return asyncio.run(guarded())


class Worker(threading.Thread):
    """A thread whose repr does not change from run to run (no counter in its name, no ident)."""

    def __repr__(self):
        return f"<Worker {self.label}>"

    def __init__(self, label, target, args):
        super().__init__(target=target, args=args)
        self.label = label


def worker(k, out):
    total = 0
    for i in range(k):
        total += i
    out[k] = total


def case_threads_joined():
    out = {}
    for k in (3, 5, 7):
        t = Worker(k, worker, (k, out))
        t.start(); t.join()
    return sorted(out.items())


def square_plus(x):
    y = x * x
    return y + 1


class Pool(ThreadPoolExecutor):
    def __repr__(self):
        return "<Pool>"


def case_thread_pool_map():
    with Pool(max_workers=1) as pool:
        return list(pool.map(square_plus, range(5)))


def case_lock_protected_counter():
    lock = threading.Lock()
    state = {"n": 0}

    def bump(times):
        for _ in range(times):
            with lock:
                state["n"] += 1

    threads = [Worker(i, bump, (10,)) for i in range(2)]
    for t in threads:
        t.start(); t.join()
    return state["n"]


def case_thread_raises_and_main_goes_on():
    errors = []

    def risky(x):
        try:
            return 10 // x
        except ZeroDivisionError as exc:
            errors.append(str(exc))
            return None

    for x in (2, 0):
        t = Worker(x, risky, (x,))
        t.start(); t.join()
    return errors


def case_iterator_class_protocol():
    class Countdown:
        def __init__(self, start):
            self.current = start

        def __iter__(self):
            return self

        def __next__(self):
            if self.current <= 0:
                raise StopIteration
            self.current -= 1
            return self.current + 1

    return list(Countdown(4)), sum(Countdown(3))


def case_sorted_with_key_functions():
    people = [("ann", 31), ("bob", 25), ("cat", 31), ("dan", 19)]
    by_age = sorted(people, key=lambda p: (-p[1], p[0]))
    names = sorted((p[0] for p in people), reverse=True)
    return by_age, names


def case_map_filter_lambdas():
    xs = list(range(10))
    odd_sq = list(map(lambda x: x * x, filter(lambda x: x % 2, xs)))
    return odd_sq, list(zip(xs[:3], map(str, xs[:3])))


def case_generator_with_state_across_yields():
    def running_max(xs):
        best = None
        for x in xs:
            if best is None or x > best:
                best = x
            yield best

    return list(running_max([3, 1, 4, 1, 5, 9, 2, 6]))


def case_generator_throw():
    def worker():
        handled = []
        while True:
            try:
                item = yield len(handled)
                handled.append(item)
            except ValueError as exc:
                handled.append(f"bad {exc}")
            if len(handled) > 3:
                return handled

    g = worker()
    next(g)
    g.send("a")
    g.throw(ValueError("x"))
    g.send("b")
    try:
        g.send("c")
    except StopIteration as stop:
        return stop.value


def case_exception_in_init_and_property_fallback():
    class Strict:
        def __init__(self, value):
            if value < 0:
                raise ValueError("negative")
            self.value = value

        @property
        def double(self):
            return self.missing * 2

        def __getattr__(self, name):
            if name == "missing":
                return self.value + 1
            raise AttributeError(name)

    made = []
    for v in (2, -1):
        try:
            made.append(Strict(v).double)
        except ValueError as exc:
            made.append(str(exc))
    return made


def case_exception_in_exit_replaces_body_exception():
    class Noisy:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            raise RuntimeError("from exit")

    try:
        with Noisy():
            raise KeyError("body")
    except RuntimeError as exc:
        return str(exc), type(exc.__context__).__name__


def case_import_time_call_and_module_state():
    import importlib

    mod = importlib.import_module("json")
    return mod.dumps({"b": 1, "a": [1, 2]}, sort_keys=True)
