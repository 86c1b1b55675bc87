def accumulate(n):
    total = 0
    for i in range(n):
        total += i
    return total


def countdown(n):
    steps = []
    while n > 0:
        steps.append(n)
        n -= 1
    return steps


def find_pairs(values, target):
    pairs = []
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            if a + b == target:
                pairs.append((a, b))
                break
        else:
            continue
    return pairs


def skip_odd(n):
    kept = 0
    for i in range(n):
        if i % 2:
            continue
        kept += 1
    return kept


def main():
    return accumulate(5000), countdown(3), find_pairs([1, 2, 3, 4, 5], 6), skip_odd(7)
