"""Branch shapes whose outcomes are easy to get wrong: one-line returns, tests on several lines, returns
through with/finally, implicit returns on an if line, elif chains, while True, nested conditions."""
import contextlib


def last_stmt_if_return(c):
    if c: return "yes"


def case_one_line_if_return_as_last_statement():
    return [last_stmt_if_return(c) for c in (True, False, 0, "x")]


def guard_chain(x):
    if x is None: return "none"
    if isinstance(x, str): return "str"
    if x < 0: return "neg"
    return "num"


def case_one_line_guard_chain():
    return [guard_chain(v) for v in (None, "a", -3, 4, 0)]


def case_multi_line_test():
    out = []
    for a, b in [(1, 2), (0, 5), (3, 0), (4, 4)]:
        if (a > 0 and
                b > 0):
            out.append("both")
        elif (a == 0
              or b == 0):
            out.append("zero")
    return out


def case_multi_line_while_test():
    i, j = 0, 10
    while (i < 5 and
           j > 6):
        i += 1
        j -= 1
    return i, j


def case_return_through_finally():
    log = []

    def work(n):
        try:
            if n > 2:
                return "big"
            return "small"
        finally:
            log.append(n)

    return [work(n) for n in (1, 5)], log


def case_return_inside_with():
    @contextlib.contextmanager
    def ctx(log):
        log.append("in")
        yield
        log.append("out")

    def pick(n, log):
        with ctx(log):
            if n % 2: return "odd"
            return "even"

    log = []
    return pick(3, log), pick(4, log), log


def case_while_true_break():
    n, steps = 37, 0
    while True:
        if n == 1:
            break
        n = n // 2 if n % 2 == 0 else n - 1
        steps += 1
    return steps


def case_elif_else_chain_with_returns():
    def grade(score):
        if score >= 90:
            return "A"
        elif score >= 80:
            return "B"
        elif score >= 70:
            return "C"
        else:
            return "F"

    return [grade(s) for s in (95, 85, 75, 10, 90, 80)]


def case_nested_ifs():
    def kind(x, y):
        if x > 0:
            if y > 0:
                return "q1"
            else:
                return "q4"
        else:
            if y > 0:
                return "q2"
        return "q3"

    return [kind(1, 1), kind(1, -1), kind(-1, 1), kind(-1, -1)]


def case_if_test_raises():
    def risky(d, k):
        try:
            if d[k] > 0:
                return "pos"
            return "nonpos"
        except KeyError:
            return "missing"

    return [risky({"a": 1}, "a"), risky({"a": -1}, "a"), risky({}, "a")]


def case_if_with_call_in_test_recursing():
    def count(n):
        if n > 0 and count(n - 1) >= 0:
            return n
        return 0

    return count(4)


def case_while_with_else_and_recursion_in_test():
    def positive(n):
        return n > 0

    def drain(n):
        steps = 0
        while positive(n):
            n -= 2
            steps += 1
        else:
            steps *= 10
        return steps

    return drain(5), drain(0)


def case_if_body_is_nested_def():
    def build(flag):
        if flag:
            def inner():
                return "inner"
        else:
            def inner():
                return "other"
        return inner()

    return build(True), build(False)


def case_if_with_lambda_in_test_recursion():
    def walk(xs, depth=0):
        if any(map(lambda x: isinstance(x, list), xs)):
            return max(walk(x, depth + 1) for x in xs if isinstance(x, list))
        return depth

    return walk([1, [2, [3]], [4]])


def case_ternary_and_if_same_line():
    out = []
    for v in range(5):
        if v % 2 == 0: out.append("even" if v else "zero")
        else: out.append("odd")
    return out


def case_if_pass_and_continue_bodies():
    kept = []
    for v in range(8):
        if v % 3 == 0:
            continue
        if v == 5:
            pass
        kept.append(v)
    return kept


def case_match_like_dispatch_dict():
    handlers = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}

    def run(op, a, b):
        fn = handlers.get(op)
        if fn is None:
            return "unknown"
        return fn(a, b)

    return run("add", 2, 3), run("mul", 2, 3), run("pow", 2, 3)


def case_short_circuit_with_side_effects():
    calls = []

    def check(v):
        calls.append(v)
        return v > 1

    results = []
    for a, b in [(0, 5), (2, 0), (3, 4)]:
        if check(a) and check(b):
            results.append("both")
        else:
            results.append("not")
    return results, calls


def case_early_return_in_nested_loops_with_else():
    def find(grid, target):
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if v == target:
                    return r, c
            else:
                continue
        return None

    grid = [[1, 2], [3, 4], [5, 6]]
    return find(grid, 4), find(grid, 9)


def case_generator_with_branches():
    def split(xs):
        for x in xs:
            if x < 0:
                yield "neg", x
            elif x == 0:
                yield "zero", x
            else:
                yield "pos", x

    return list(split([3, -1, 0, 2]))


def case_recursive_if_with_genexpr():
    def has_deep(node, depth):
        if depth == 0:
            return True
        if not isinstance(node, list):
            return False
        return any(has_deep(child, depth - 1) for child in node)

    return has_deep([1, [2, [3, [4]]]], 3), has_deep([1, 2], 2)
