"""Recursion the way real code recurses: deep, mutual, through lambdas, generators and nested helpers."""
import functools


def depth(n):
    if n == 0:
        return 0
    return 1 + depth(n - 1)


def case_deep_recursion():
    return depth(150)


def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


def case_mutual_recursion():
    return [is_even(k) for k in range(7)], is_odd(9)


def case_recursion_through_lambda():
    fact = lambda n: 1 if n <= 1 else n * fact(n - 1)
    return fact(8)


def tree_sum(node):
    if isinstance(node, int):
        return node
    return sum(tree_sum(child) for child in node)


def case_genexpr_inside_recursion():
    return tree_sum([1, [2, 3, [4, [5]]], [], 6])


def flatten(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def case_flatten():
    return flatten([1, [2, [3, [4, 5]], 6], [[7]], 8])


def case_memo_dict():
    memo = {}

    def fib(n):
        if n in memo:
            return memo[n]
        if n < 2:
            result = n
        else:
            result = fib(n - 1) + fib(n - 2)
        memo[n] = result
        return result

    return fib(25), len(memo)


def case_memo_default_arg():
    def ways(n, cache={}):
        if n < 0:
            return 0
        if n == 0:
            return 1
        if n not in cache:
            cache[n] = ways(n - 1) + ways(n - 2) + ways(n - 3)
        return cache[n]

    return [ways(k) for k in range(10)]


@functools.lru_cache(maxsize=None)
def partitions(n, k):
    if n == 0:
        return 1
    if n < 0 or k == 0:
        return 0
    return partitions(n - k, k) + partitions(n, k - 1)


def case_lru_cache_recursion():
    return partitions(12, 12)


def hanoi(n, src, dst, via, moves):
    if n == 0:
        return moves
    hanoi(n - 1, src, via, dst, moves)
    moves.append((src, dst))
    hanoi(n - 1, via, dst, src, moves)
    return moves


def case_hanoi():
    return len(hanoi(5, "A", "C", "B", [])), hanoi(2, "A", "C", "B", [])


def permutations(items):
    if len(items) <= 1:
        return [items]
    result = []
    for i, head in enumerate(items):
        for rest in permutations(items[:i] + items[i + 1 :]):
            result.append([head] + rest)
    return result


def case_permutations():
    return permutations([1, 2, 3, 4])[:5], len(permutations([1, 2, 3, 4]))


def quicksort(xs):
    if len(xs) < 2:
        return xs
    pivot, *rest = xs
    smaller = [x for x in rest if x < pivot]
    larger = [x for x in rest if x >= pivot]
    return quicksort(smaller) + [pivot] + quicksort(larger)


def case_quicksort():
    return quicksort([5, 3, 8, 1, 9, 2, 7, 3, 0, 6])


def merge_sort(xs):
    if len(xs) <= 1:
        return xs
    mid = len(xs) // 2
    left, right = merge_sort(xs[:mid]), merge_sort(xs[mid:])
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    merged += left[i:]
    merged += right[j:]
    return merged


def case_merge_sort():
    return merge_sort([9, 4, 7, 1, 8, 2, 2, 6, 5, 3, 0])


def bsearch(xs, target, lo, hi):
    if lo > hi:
        return -1
    mid = (lo + hi) // 2
    if xs[mid] == target:
        return mid
    elif xs[mid] < target:
        return bsearch(xs, target, mid + 1, hi)
    else:
        return bsearch(xs, target, lo, mid - 1)


def case_binary_search_many_returns():
    xs = list(range(0, 40, 3))
    return [bsearch(xs, t, 0, len(xs) - 1) for t in (0, 9, 10, 39, 27)]


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def case_ackermann():
    return ackermann(2, 3)


def case_nested_recursive_helper():
    def walk(node, path):
        name, children = node
        here = path + [name]
        if not children:
            return ["/".join(here)]
        found = []
        for child in children:
            found += walk(child, here)
        return found

    tree = ("root", [("a", [("x", []), ("y", [])]), ("b", []), ("c", [("z", [])])])
    return walk(tree, [])


def power_set(items):
    if not items:
        return [[]]
    rest = power_set(items[1:])
    return rest + [[items[0]] + r for r in rest]


def case_power_set():
    return power_set(["a", "b", "c"])


def gcd(a, b):
    return a if b == 0 else gcd(b, a % b)


def case_gcd_one_line_return():
    return [gcd(a, b) for a, b in [(48, 18), (17, 5), (100, 75)]]


def count_down_gen(n):
    if n < 0:
        return
    yield n
    yield from count_down_gen(n - 1)


def case_recursive_generator():
    return list(count_down_gen(6))


def evaluate(tokens):
    def expr(pos):
        value, pos = term(pos)
        while pos < len(tokens) and tokens[pos] in "+-":
            op = tokens[pos]
            rhs, pos = term(pos + 1)
            value = value + rhs if op == "+" else value - rhs
        return value, pos

    def term(pos):
        value, pos = factor(pos)
        while pos < len(tokens) and tokens[pos] in "*/":
            op = tokens[pos]
            rhs, pos = factor(pos + 1)
            value = value * rhs if op == "*" else value // rhs
        return value, pos

    def factor(pos):
        tok = tokens[pos]
        if tok == "(":
            value, pos = expr(pos + 1)
            return value, pos + 1
        return int(tok), pos + 1

    return expr(0)[0]


def case_recursive_descent_parser():
    return evaluate(list("2*(3+4)-5*(1+1)")), evaluate(list("((7))"))


def case_recursion_with_sorted_lambda_key():
    def rank(words, depth=0):
        if depth == 2 or len(words) < 2:
            return words
        ordered = sorted(words, key=lambda w: (len(w), w))
        half = len(ordered) // 2
        return rank(ordered[:half], depth + 1) + rank(ordered[half:], depth + 1)

    return rank(["pear", "fig", "apple", "kiwi", "banana", "date"])


def case_recursion_building_dict():
    def count(node, acc):
        acc[node["kind"]] = acc.get(node["kind"], 0) + 1
        for child in node.get("children", []):
            count(child, acc)
        return acc

    doc = {"kind": "doc", "children": [{"kind": "p"}, {"kind": "p", "children": [{"kind": "em"}]}, {"kind": "ul"}]}
    return count(doc, {})


def case_recursion_map_lambda_nested():
    def depth_of(x):
        if not isinstance(x, list):
            return 0
        return 1 + max(map(lambda y: depth_of(y), x), default=0)

    return depth_of([1, [2, [3, [4]]], [5]])


def case_recursion_while_branch():
    def collatz(n, steps=0):
        while n % 2 == 0:
            n //= 2
            steps += 1
        if n == 1:
            return steps
        return collatz(3 * n + 1, steps + 1)

    return [collatz(k) for k in (6, 7, 16, 27)]
