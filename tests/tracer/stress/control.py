"""Control flow: loops with else, break/continue, one-line statements, try/finally, global/nonlocal, mutation."""

COUNTER = 0
LOG = []


def case_while_else():
    n, seen = 10, []
    while n > 0:
        n -= 3
        seen.append(n)
    else:
        seen.append("done")
    return seen


def case_while_else_break():
    i = 0
    while i < 10:
        if i * i > 20:
            break
        i += 1
    else:
        i = -1
    return i


def case_for_else_search():
    def find(xs, target):
        for pos, x in enumerate(xs):
            if x == target:
                break
        else:
            return None
        return pos

    return find([4, 5, 6], 5), find([4, 5, 6], 9)


def case_break_continue():
    out = []
    for i in range(20):
        if i % 3 == 0:
            continue
        if i > 13:
            break
        out.append(i)
    return out


def case_one_line_if_and_loops():
    total = 0
    for i in range(6): total += i
    if total > 10: total -= 10
    while total < 20: total += 7
    flag = "big" if total > 20 else "small"
    return total, flag


def case_one_line_if_false_branch():
    hits = []
    for x in [3, -1, 0, 8]:
        if x > 0: hits.append(x)
        elif x < 0: hits.append(-x)
        else: hits.append(None)
    return hits


def case_nested_loops_early_return():
    def first_pair(xs, target):
        for i in range(len(xs)):
            for j in range(i + 1, len(xs)):
                if xs[i] + xs[j] == target:
                    return i, j
        return None

    return first_pair([1, 4, 6, 9, 2], 8), first_pair([1, 2], 9)


def case_multiple_return_lines():
    def classify(n):
        if n < 0:
            return "negative"
        if n == 0:
            return "zero"
        if n % 2:
            return "odd"
        return "even"

    return [classify(n) for n in (-3, 0, 7, 8, 2, -1)]


def case_try_finally_return():
    log = []

    def guarded(x):
        try:
            if x < 0:
                raise ValueError("neg")
            return x * 2
        except ValueError:
            return 0
        finally:
            log.append(x)

    return guarded(3), guarded(-2), log


def case_finally_overrides_return():
    def weird():
        try:
            return "try"
        finally:
            return "finally"  # noqa: B012

    return weird()


def case_try_except_else_finally():
    steps = []
    for value in ["1", "x", "3"]:
        try:
            n = int(value)
        except ValueError as exc:
            steps.append(("error", str(exc)[:20]))
        else:
            steps.append(("ok", n))
        finally:
            steps.append("always")
    return steps


def bump_global(by):
    global COUNTER
    COUNTER += by
    LOG.append(COUNTER)
    return COUNTER


def case_global_statement():
    global COUNTER
    COUNTER = 0
    LOG.clear()
    for k in (1, 2, 3):
        bump_global(k)
    return COUNTER, list(LOG)


def case_augmented_assignment_on_containers():
    d = {"a": [1]}
    d["a"] += [2, 3]
    d["b"] = d.get("b", 0)
    d["b"] += 5
    s = {1, 2}
    s |= {3}
    s -= {1}
    t = (1,)
    t += (2,)
    grid = [[0] * 3 for _ in range(2)]
    grid[1][2] += 9
    return d, sorted(s), t, grid


def fill(target, n):
    for i in range(n):
        target.append(i * i)
    target.sort(reverse=True)


def case_in_place_mutation_via_calls():
    data = []
    fill(data, 4)
    snapshot = list(data)
    fill(data, 2)
    table = {}
    table.update(a=1)
    table.setdefault("b", []).append(2)
    return snapshot, data, table


def case_aliasing_mutation():
    a = [1, 2]
    b = a
    b.append(3)
    c = {"k": a}
    c["k"].append(4)
    return a, b, c


def case_walrus_and_ternary():
    values = [3, 8, 1, 9, 4]
    big = [y for x in values if (y := x * 2) > 6]
    n = len(big)
    label = "many" if n > 2 else "few"
    while (n := n - 1) > 0:
        label += "!"
    return big, label


def case_swap_and_unpack():
    a, b = 1, 2
    a, b = b, a
    first, *middle, last = range(6)
    (x, y), z = (10, 20), 30
    return a, b, first, middle, last, x, y, z


def case_del_and_rebind():
    x = [1, 2, 3]
    del x[0]
    y = x
    del x
    x = "new"
    return x, y


def case_early_return_inside_while():
    def find_power(limit):
        p = 1
        while True:
            if p * 2 > limit:
                return p
            p *= 2

    return [find_power(k) for k in (1, 10, 100, 1000)]


def case_loop_over_dict_items_and_modify_copy():
    prices = {"a": 3, "b": 10, "c": 7}
    for key, value in list(prices.items()):
        if value > 5:
            prices[key] = value - 1
        else:
            del prices[key]
    return prices


def case_chained_comparisons_and_bool_ops():
    out = []
    for x in range(-2, 6):
        if 0 <= x < 3 or x == 5:
            out.append(x)
        elif not x and x is not None:
            out.append("zero?")
    return out


def case_nested_functions_nonlocal_accumulator():
    def outer():
        total = 0
        items = []

        def add(x):
            nonlocal total
            total += x
            items.append(x)

        for v in (5, 6, 7):
            add(v)
        return total, items

    return outer()


def case_long_loop_capped_states():
    acc = 0
    squares = []
    for i in range(300):
        acc += i
        if i % 50 == 0:
            squares.append(i * i)
    return acc, squares


def case_while_with_multiple_exits():
    def scan(xs):
        i = 0
        while i < len(xs):
            if xs[i] is None:
                return "none at %d" % i
            if xs[i] < 0:
                break
            i += 1
        else:
            return "all good"
        return "negative at %d" % i

    return scan([1, 2, 3]), scan([1, None]), scan([1, -1, 2])


def case_enumerate_zip_loop():
    names = ["a", "b", "c"]
    scores = [3, 1, 2]
    best, best_name = None, None
    for i, (n, s) in enumerate(zip(names, scores)):
        if best is None or s > best:
            best, best_name = s, n
    return best, best_name, i


def case_if_elif_chain_in_loop():
    buckets = {"low": 0, "mid": 0, "high": 0}
    for v in [1, 5, 9, 12, 3, 7, 15, 0]:
        if v < 4:
            buckets["low"] += 1
        elif v < 10:
            buckets["mid"] += 1
        else:
            buckets["high"] += 1
    return buckets


def case_nested_if_in_while():
    n, path = 27, []
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        path.append(n)
    return len(path), path[:5], max(path)
