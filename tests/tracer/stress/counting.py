"""Loops that run well past the caps, with the control flow that makes counting hard: exceptions that skip
lines now and then, two live frames of the same code, generators interleaved, break/continue in try/finally."""


def case_intermittent_exception_in_loop():
    ok = bad = 0
    for i in range(60):
        try:
            x = 12 // (i % 5)
            y = x + 1
            ok += 1
        except ZeroDivisionError:
            bad += 1
    return ok, bad


def case_continue_and_break_in_try_finally():
    seen, cleanups = [], 0
    for i in range(40):
        try:
            if i % 3 == 0:
                continue
            if i > 30:
                break
            seen.append(i)
        finally:
            cleanups += 1
    return len(seen), cleanups


def case_two_frames_of_the_same_code_interleaved():
    def walker(xs):
        total = 0
        for x in xs:
            total += x
            yield total

    a, b = walker(range(20)), walker(range(100, 120))
    out = []
    for _ in range(20):
        out.append(next(a) + next(b))
    return out[:3], out[-1]


def case_recursion_with_loop_past_cap():
    def tree(n):
        total = 0
        for i in range(n):
            total += i
            if i == 2 and n > 3:
                total += tree(n - 2)
        return total

    return tree(12)


def case_loop_exits_by_exception_many_times():
    def first_negative(xs):
        for i, x in enumerate(xs):
            if x < 0:
                raise ValueError(i)
            xs[i] = x * 2
        return -1

    hits = []
    for n in range(15):
        data = list(range(n, -3, -1))
        try:
            first_negative(data)
        except ValueError as exc:
            hits.append(exc.args[0])
    return hits


def case_nested_loops_with_inner_break():
    pairs = 0
    for i in range(25):
        for j in range(25):
            if j > i:
                break
            pairs += 1
    return pairs


def case_while_loop_with_exception_exit():
    def countdown(n):
        steps = 0
        while True:
            steps += 1
            n -= 1
            if n < 0:
                raise StopIteration(steps)
        return steps

    results = []
    for n in range(12):
        try:
            countdown(n)
        except StopIteration as stop:
            results.append(stop.value)
    return results


def case_straight_lines_after_call_that_sometimes_raises():
    def maybe(i):
        if i % 7 == 3:
            raise KeyError(i)
        return i

    done = errors = 0
    for i in range(50):
        try:
            a = maybe(i)
            b = a * 2
            c = b + 1
            done += c
        except KeyError:
            errors += 1
    return done, errors


def case_generator_closed_midway_many_times():
    def numbers():
        i = 0
        while True:
            yield i
            i += 1

    total = 0
    for k in range(1, 15):
        g = numbers()
        for v in g:
            if v >= k:
                break
            total += v
        g.close()
    return total


def case_loop_over_generator_that_raises_after_some():
    def risky(n):
        for i in range(n):
            if i == n - 1:
                raise RuntimeError("late")
            yield i

    got = 0
    for n in range(2, 14):
        try:
            for v in risky(n):
                got += v
        except RuntimeError:
            got -= 1
    return got


def case_many_calls_with_default_args_and_kwargs():
    def fmt(value, width=6, fill=" ", *, align="right"):
        text = str(value)
        pad = fill * max(0, width - len(text))
        return pad + text if align == "right" else text + pad

    out = [fmt(i) for i in range(20)]
    out += [fmt(i, 3, "0", align="left") for i in range(5)]
    return out[:2], out[-2:]


def case_list_mutation_in_loop_past_cap():
    stack = []
    popped = []
    for i in range(30):
        stack.append(i)
        if len(stack) > 3:
            popped.append(stack.pop(0))
    return stack, popped[-3:]


def case_dict_counter_past_cap():
    counts = {}
    for ch in "the quick brown fox jumps over the lazy dog" * 2:
        if ch == " ":
            continue
        counts[ch] = counts.get(ch, 0) + 1
    return sorted(counts.items())[:5], len(counts)


def case_loop_variable_reused_by_two_loops():
    total = 0
    for i in range(9):
        total += i
    for i in range(3, 0, -1):
        total -= i
    return total, i


def case_accumulate_in_nested_function_calls():
    def add(acc, x):
        acc.append(x)
        return len(acc)

    acc = []
    sizes = [add(acc, i * i) for i in range(12)]
    return sizes[-1], acc[-2:]
