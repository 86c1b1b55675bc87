"""Classes as libraries write them: __init__, dataclasses, properties, same-named methods, decorators, closures."""
import functools
from dataclasses import dataclass, field


class Shape:
    def area(self):
        return 0

    def describe(self):
        return f"{type(self).__name__} with area {self.area()}"


class Square(Shape):
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side


class Circle(Shape):
    def __init__(self, r):
        self.r = r

    def area(self):
        return round(3.14159 * self.r * self.r, 2)


def case_same_method_name_in_classes():
    shapes = [Square(2), Circle(1), Square(3), Shape()]
    return [s.describe() for s in shapes]


@dataclass
class Item:
    name: str
    price: float
    tags: list = field(default_factory=list)

    def total(self, qty):
        if qty <= 0:
            return 0.0
        return self.price * qty


def case_dataclass():
    item = Item("pen", 1.5)
    item.tags.append("office")
    other = Item("pen", 1.5, ["office"])
    return item == other, item.total(4), item.total(0), repr(item)


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int = 0

    def bump(self):
        return Version(self.major, self.minor + 1)


def case_frozen_ordered_dataclass():
    v = Version(1)
    vs = [v.bump().bump(), Version(0, 9), v]
    return sorted(vs), max(vs)


class Temperature:
    def __init__(self, celsius):
        self._c = celsius

    @property
    def fahrenheit(self):
        return self._c * 9 / 5 + 32

    @fahrenheit.setter
    def fahrenheit(self, value):
        self._c = (value - 32) * 5 / 9

    @property
    def celsius(self):
        return self._c


def case_property_getter_setter():
    t = Temperature(100)
    before = t.fahrenheit
    t.fahrenheit = 32
    return before, t.celsius, t.fahrenheit


class Account:
    count = 0

    def __init__(self, owner, balance=0):
        Account.count += 1
        self.owner = owner
        self.balance = balance
        self.history = []

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        self.history.append(("deposit", amount))
        return self.balance

    def withdraw(self, amount):
        if amount > self.balance:
            return False
        self.balance -= amount
        self.history.append(("withdraw", amount))
        return True

    @classmethod
    def opened(cls, owner, *amounts):
        acct = cls(owner)
        for a in amounts:
            acct.deposit(a)
        return acct

    @staticmethod
    def fee(amount):
        return max(1, amount // 100)


def case_methods_classmethod_staticmethod():
    a = Account.opened("ada", 10, 20)
    ok = a.withdraw(5)
    refused = a.withdraw(500)
    try:
        a.deposit(-1)
    except ValueError as exc:
        err = str(exc)
    return a.balance, ok, refused, err, a.history, Account.fee(250), Account.count


def logged(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        calls.append(func.__name__)
        result = func(*args, **kwargs)
        return result

    return wrapper


calls = []


@logged
def add(a, b):
    return a + b


@logged
def scale(x, by=2):
    if by == 0:
        return 0
    return x * by


def case_decorator_wraps():
    calls.clear()
    return add(2, 3), scale(4), scale(4, by=0), list(calls), add.__name__


def retry(times):
    def decorate(func):
        @functools.wraps(func)
        def inner(*args):
            last = None
            for attempt in range(times):
                try:
                    return func(*args, attempt)
                except RuntimeError as exc:
                    last = exc
            raise last

        return inner

    return decorate


@retry(3)
def flaky(x, attempt):
    if attempt < 2:
        raise RuntimeError(f"attempt {attempt}")
    return x * 10


def case_decorator_with_arguments_retry():
    return flaky(7)


def memoize(func):
    cache = {}

    @functools.wraps(func)
    def inner(n):
        if n not in cache:
            cache[n] = func(n)
        return cache[n]

    return inner


@memoize
def slow_fib(n):
    return n if n < 2 else slow_fib(n - 1) + slow_fib(n - 2)


def case_memoize_decorator_recursion():
    return slow_fib(20)


def case_closure_counter_nonlocal():
    def make():
        count = 0

        def inc(step=1):
            nonlocal count
            count += step
            return count

        def get():
            return count

        return inc, get

    inc, get = make()
    inc()
    inc(5)
    return get(), inc()


def case_closures_in_loop():
    funcs = []
    for i in range(4):
        funcs.append(lambda x, i=i: x + i)
    late = [lambda x: x * k for k in range(3)]
    return [f(10) for f in funcs], [g(2) for g in late]


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)
        return self

    def pop(self):
        if not self.items:
            return None
        return self.items.pop()

    def __len__(self):
        return len(self.items)

    def __repr__(self):
        return f"Stack({self.items})"


def case_custom_repr_and_len():
    s = Stack().push(1).push(2).push(3)
    top = s.pop()
    return s, top, len(s), Stack().pop()


class Vector:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vector(self.x + other.x, self.y + other.y)

    def __mul__(self, k):
        return Vector(self.x * k, self.y * k)

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return f"Vector({self.x}, {self.y})"


def case_operator_overloading_slots():
    v = Vector(1, 2) + Vector(3, 4) * 2
    return v, v == Vector(7, 10)


class Base:
    def __init__(self, name):
        self.name = name
        self.log = ["Base"]

    def hello(self):
        return "base " + self.name


class Child(Base):
    def __init__(self, name, extra):
        super().__init__(name)
        self.extra = extra
        self.log.append("Child")

    def hello(self):
        greeting = super().hello()
        return greeting + " and child " + self.extra


def case_inheritance_super():
    c = Child("a", "b")
    return c.hello(), c.log


class Registry:
    handlers = {}

    @classmethod
    def register(cls, kind):
        def deco(func):
            cls.handlers[kind] = func
            return func

        return deco


@Registry.register("double")
def double(x):
    return 2 * x


@Registry.register("square")
def square(x):
    return x * x


def case_registry_decorator():
    return {k: f(5) for k, f in sorted(Registry.handlers.items())}


class Node:
    def __init__(self, value, children=()):
        self.value = value
        self.children = list(children)

    def total(self):
        return self.value + sum(c.total() for c in self.children)

    def depth(self):
        if not self.children:
            return 1
        return 1 + max(c.depth() for c in self.children)


def case_recursive_methods():
    tree = Node(1, [Node(2, [Node(4)]), Node(3, [Node(5, [Node(6)])])])
    return tree.total(), tree.depth()


class LazyProperty:
    def __init__(self, func):
        self.func = func

    def __get__(self, obj, owner):
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.func.__name__] = value
        return value


class Report:
    def __init__(self, rows):
        self.rows = rows

    @LazyProperty
    def total(self):
        acc = 0
        for r in self.rows:
            acc += r
        return acc


def case_descriptor_cached_property():
    r = Report([1, 2, 3])
    return r.total, r.total, r.__dict__.get("total")


def case_class_attribute_mutation_via_method():
    class Bag:
        def __init__(self):
            self.items = {}

        def add(self, k, n=1):
            self.items[k] = self.items.get(k, 0) + n

    b = Bag()
    for k in "abcab":
        b.add(k)
    b.add("z", 5)
    return b.items


def case_getattr_dunder_dispatch():
    class Config:
        def __init__(self, data):
            self._data = data

        def __getattr__(self, name):
            if name in self._data:
                return self._data[name]
            raise AttributeError(name)

    c = Config({"host": "x", "port": 80})
    missing = getattr(c, "user", "anon")
    return c.host, c.port, missing
