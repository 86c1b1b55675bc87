import functools


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


def make_counter(start):
    count = start

    def bump(by=1):
        nonlocal count
        count += by
        return count

    return bump


class Account:
    rate = 0.5

    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount
        return self.balance

    @classmethod
    def empty(cls, owner):
        return cls(owner)

    @staticmethod
    def fee(amount):
        return round(amount * 0.01, 2)


def apply_all(func, *values, **options):
    scale = options.get("scale", 1)
    return [func(v) * scale for v in values]


@functools.cache
def cached_square(x):
    return x * x


def main():
    bump = make_counter(10)
    a = bump()
    b = bump(5)
    acct = Account.empty("ada")
    acct.deposit(30)
    fee = Account.fee(250)
    doubled = apply_all(lambda x: x + x, 1, 2, 3, scale=2)
    squares = cached_square(4) + cached_square(4)
    return fact(5), a, b, acct.balance, fee, doubled, squares
