"""Small library-style code: data structures, algorithms and the stdlib helpers real projects lean on."""
import bisect
import enum
import functools
import heapq
import itertools
import operator
from collections import Counter, OrderedDict, defaultdict, deque, namedtuple


class LRU:
    def __init__(self, capacity):
        self.capacity = capacity
        self.data = OrderedDict()

    def get(self, key):
        if key not in self.data:
            return None
        self.data.move_to_end(key)
        return self.data[key]

    def put(self, key, value):
        self.data[key] = value
        self.data.move_to_end(key)
        if len(self.data) > self.capacity:
            self.data.popitem(last=False)


def case_lru_cache_class():
    c = LRU(2)
    c.put("a", 1)
    c.put("b", 2)
    c.get("a")
    c.put("c", 3)
    return list(c.data.items()), c.get("b")


class Emitter:
    def __init__(self):
        self.handlers = defaultdict(list)

    def on(self, event, fn):
        self.handlers[event].append(fn)
        return self

    def emit(self, event, *args):
        results = []
        for fn in self.handlers.get(event, []):
            results.append(fn(*args))
        return results


def case_event_emitter():
    seen = []
    e = Emitter().on("x", lambda v: v * 2).on("x", seen.append).on("y", str)
    return e.emit("x", 5), e.emit("y", 1), e.emit("z"), seen


def bfs(graph, start):
    seen = {start}
    order = []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


GRAPH = {"a": ["b", "c"], "b": ["d"], "c": ["d", "e"], "d": ["f"], "e": ["f"], "f": []}


def case_bfs():
    return bfs(GRAPH, "a")


def dfs(graph, node, seen=None):
    if seen is None:
        seen = []
    seen.append(node)
    for nxt in graph.get(node, []):
        if nxt not in seen:
            dfs(graph, nxt, seen)
    return seen


def case_dfs_recursive():
    return dfs(GRAPH, "a")


def dijkstra(edges, source):
    dist = {source: 0}
    heap = [(0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, float("inf")):
            continue
        for v, w in edges.get(u, []):
            nd = d + w
            if nd < dist.get(v, float("inf")):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dict(sorted(dist.items()))


def case_dijkstra_heapq():
    edges = {"s": [("a", 4), ("b", 1)], "b": [("a", 2), ("c", 5)], "a": [("c", 1)]}
    return dijkstra(edges, "s")


def topo_sort(deps):
    indeg = {k: 0 for k in deps}
    for k, vs in deps.items():
        for v in vs:
            indeg[v] = indeg.get(v, 0) + 1
    ready = sorted(k for k, n in indeg.items() if n == 0)
    order = []
    while ready:
        k = ready.pop(0)
        order.append(k)
        for v in deps.get(k, []):
            indeg[v] -= 1
            if indeg[v] == 0:
                bisect.insort(ready, v)
    return order


def case_topological_sort():
    return topo_sort({"app": ["lib", "util"], "lib": ["util", "core"], "util": ["core"], "core": []})


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[rb] = ra
        return True


def case_union_find():
    uf = UnionFind(6)
    merged = [uf.union(a, b) for a, b in [(0, 1), (2, 3), (1, 3), (0, 2), (4, 5)]]
    return merged, len({uf.find(i) for i in range(6)})


class Trie:
    def __init__(self):
        self.root = {}

    def insert(self, word):
        node = self.root
        for ch in word:
            node = node.setdefault(ch, {})
        node["$"] = True

    def starts(self, prefix):
        node = self.root
        for ch in prefix:
            if ch not in node:
                return []
            node = node[ch]
        out = []
        stack = [(node, prefix)]
        while stack:
            cur, acc = stack.pop()
            for k, child in sorted(cur.items(), reverse=True):
                if k == "$":
                    out.append(acc)
                else:
                    stack.append((child, acc + k))
        return sorted(out)


def case_trie():
    t = Trie()
    for w in ("car", "cart", "cat", "dog"):
        t.insert(w)
    return t.starts("ca"), t.starts("x")


class Color(enum.Enum):
    RED = 1
    GREEN = 2


def case_enum_and_namedtuple():
    Point = namedtuple("Point", "x y")
    p = Point(1, 2)
    q = p._replace(y=5)
    return Color(2).name, [c.value for c in Color], p, q, q.x + q.y


def case_counter_groupby_reduce():
    words = "the cat and the hat and the bat".split()
    counts = Counter(words)
    groups = {k: len(list(g)) for k, g in itertools.groupby(sorted(words, key=len), key=len)}
    total = functools.reduce(operator.add, (len(w) for w in words))
    return counts.most_common(2), groups, total


def case_partial_and_itemgetter():
    rows = [{"n": "b", "v": 2}, {"n": "a", "v": 3}, {"n": "c", "v": 1}]
    by_v = sorted(rows, key=operator.itemgetter("v"))
    scale = functools.partial(operator.mul, 10)
    return [r["n"] for r in by_v], list(map(scale, [1, 2, 3]))


def case_matrix_ops():
    def matmul(a, b):
        rows, cols, inner = len(a), len(b[0]), len(b)
        out = [[0] * cols for _ in range(rows)]
        for i in range(rows):
            for j in range(cols):
                s = 0
                for k in range(inner):
                    s += a[i][k] * b[k][j]
                out[i][j] = s
        return out

    def transpose(m):
        return [list(r) for r in zip(*m)]

    a = [[1, 2], [3, 4]]
    return matmul(a, a), transpose([[1, 2, 3], [4, 5, 6]])


def parse_csv(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split(",")]
    rows = []
    for ln in lines[1:]:
        values = [v.strip() for v in ln.split(",")]
        row = dict(zip(header, values))
        for key, value in row.items():
            if value.isdigit():
                row[key] = int(value)
        rows.append(row)
    return rows


def case_csv_parse():
    return parse_csv("name, age\nann, 31\n\nbob, x\n")


def serialize(value, indent=0):
    pad = "  " * indent
    if isinstance(value, dict):
        parts = [f"{pad}{k}:\n{serialize(v, indent + 1)}" for k, v in sorted(value.items())]
        return "\n".join(parts)
    if isinstance(value, list):
        return "\n".join(f"{pad}- {serialize(v, 0)}" for v in value)
    return f"{pad}{value!r}"


def case_recursive_serializer():
    return serialize({"b": [1, 2], "a": {"x": "y"}})


def case_argparse_like():
    def parse(argv):
        opts = {"verbose": False, "files": []}
        it = iter(argv)
        for arg in it:
            if arg in ("-v", "--verbose"):
                opts["verbose"] = True
            elif arg == "-o":
                opts["out"] = next(it, None)
            elif arg.startswith("-"):
                raise ValueError(f"unknown option {arg}")
            else:
                opts["files"].append(arg)
        return opts

    ok = parse(["-v", "a.txt", "-o", "out", "b.txt"])
    try:
        parse(["--bad"])
    except ValueError as exc:
        err = str(exc)
    return ok, err


def case_state_machine():
    transitions = {("idle", "start"): "running", ("running", "pause"): "paused", ("paused", "start"): "running", ("running", "stop"): "idle"}
    state = "idle"
    history = [state]
    for event in ["start", "pause", "bogus", "start", "stop"]:
        state = transitions.get((state, event), state)
        history.append(state)
    return history


def case_bisect_and_insort():
    scores = []
    for s in [50, 20, 80, 20, 65]:
        bisect.insort(scores, s)
    grades = [("F", "D", "C", "B", "A")[bisect.bisect([30, 50, 70, 85], s)] for s in scores]
    return scores, grades


def case_inventory_with_dataclass_like_dicts():
    stock = {}

    def add(name, qty):
        item = stock.setdefault(name, {"qty": 0, "log": []})
        item["qty"] += qty
        item["log"].append(qty)
        return item["qty"]

    def remove(name, qty):
        item = stock.get(name)
        if item is None or item["qty"] < qty:
            raise KeyError(name)
        item["qty"] -= qty
        return item["qty"]

    add("pen", 5)
    add("pen", 3)
    remove("pen", 2)
    try:
        remove("ink", 1)
    except KeyError as exc:
        missing = exc.args[0]
    return stock, missing


def case_priority_queue_tasks():
    tasks = []
    for prio, name in [(3, "write"), (1, "plan"), (2, "code"), (1, "coffee")]:
        heapq.heappush(tasks, (prio, name))
    done = []
    while tasks:
        prio, name = heapq.heappop(tasks)
        done.append(name)
    return done


def case_sliding_window_deque():
    def window_max(xs, k):
        dq, out = deque(), []
        for i, x in enumerate(xs):
            while dq and xs[dq[-1]] <= x:
                dq.pop()
            dq.append(i)
            if dq[0] <= i - k:
                dq.popleft()
            if i >= k - 1:
                out.append(xs[dq[0]])
        return out

    return window_max([1, 3, -1, -3, 5, 3, 6, 7], 3)


def case_date_arithmetic_without_time():
    def is_leap(y):
        return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)

    def day_of_year(y, m, d):
        days = [31, 29 if is_leap(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return sum(days[: m - 1]) + d

    return day_of_year(2024, 3, 1), day_of_year(2023, 3, 1), [is_leap(y) for y in (1900, 2000, 2024)]


def case_itertools_chains():
    pairs = list(itertools.combinations("abcd", 2))
    acc = list(itertools.accumulate([1, 2, 3, 4]))
    chained = list(itertools.chain.from_iterable([[1], [2, 3], []]))
    zipped = list(itertools.zip_longest("ab", "xyz", fillvalue="-"))
    return len(pairs), acc, chained, zipped
