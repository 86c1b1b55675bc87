def chain(n):
    total = 0
    for i in range(n):
        a = i * 2
        b = a + 1
        total += b
    return total


def chain_with_raises(n):
    caught = 0
    for i in range(n):
        try:
            x = 10 // (i % 7)
            y = x + 1
            z = y * 2
        except ZeroDivisionError:
            caught += 1
    return caught, z


def rec(n):
    a = n
    b = a - 1 if n else 0
    c = rec(b) if n else 0
    d = c + 1
    return d


def gen(n):
    for i in range(n):
        v = i + 1
        w = v * 3
        yield w


def branches(n):
    odd = 0
    for i in range(n):
        p = i % 2
        if p:
            odd += 1
            q = odd * 2
        r = p + 1
    return odd, q, r


def first_loop(xs):
    for x in xs:
        y = 100 // x
        z = y + 1
    return z


def escapes(n):
    done = 0
    for i in range(n):
        k = 10 // (n - i - 1)
        done += 1
    return done


def nested(rows):
    total = 0
    for row in rows:
        width = len(row)
        for cell in row:
            if cell < 0:
                continue
            total += cell
    return total, width


def main():
    escaped = 0
    for n in range(2, 60):
        try:
            escapes(n)
        except ZeroDivisionError:
            escaped += 1
    calls = [first_loop(range(1, k)) for k in range(2, 40)]
    grid = nested([[i, -i, i * 2] for i in range(50)])
    return chain(500), chain_with_raises(300), rec(30), sum(gen(400)), branches(101), escaped, calls[-1], grid
