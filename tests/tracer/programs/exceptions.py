def parse(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    return value


def risky(items, index):
    return items[index]


def guarded(items):
    results = []
    for index in (0, 5):
        try:
            results.append(risky(items, index))
        except IndexError as exc:
            results.append(str(exc))
        finally:
            results.append("checked")
    return results


def fails(x):
    ratio = 10 / x
    return ratio


def main():
    out = [parse("12"), parse("x"), guarded(["a"])]
    try:
        fails(0)
    except ZeroDivisionError as exc:
        out.append(type(exc).__name__)
    return out
