"""String building and text utilities, inflection-style (regular expressions with lambdas included)."""
import re


def camelize(string, uppercase_first_letter=True):
    if uppercase_first_letter:
        return re.sub(r"(?:^|_)(.)", lambda m: m.group(1).upper(), string)
    else:
        return string[0].lower() + camelize(string, uppercase_first_letter=True)[1:]


def case_camelize():
    return camelize("device_type"), camelize("device_type", False), camelize("a_b_c", False)


def underscore(word):
    word = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", word)
    word = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", word)
    word = word.replace("-", "_")
    return word.lower()


def case_underscore():
    return [underscore(w) for w in ("DeviceType", "HTTPServerError", "already_snake", "kebab-case")]


def humanize(word):
    result = word
    result = re.sub(r"_id$", "", result)
    result = result.replace("_", " ")
    result = re.sub(r"(?i)([a-z\d]*)", lambda m: m.group(1).lower(), result)
    result = re.sub(r"^\w", lambda m: m.group(0).upper(), result)
    return result


def case_humanize():
    return humanize("employee_salary"), humanize("author_id"), humanize("_x")


PLURALS = [("(quiz)$", r"\1zes"), ("(matr|vert|ind)(?:ix|ex)$", r"\1ices"), ("(x|ch|ss|sh)$", r"\1es"), ("s$", "s"), ("$", "s")]
UNCOUNTABLE = {"equipment", "information", "rice", "money"}


def pluralize(word):
    if not word or word.lower() in UNCOUNTABLE:
        return word
    for rule, replacement in PLURALS:
        if re.search(rule, word, re.IGNORECASE):
            return re.sub(rule, replacement, word, flags=re.IGNORECASE)
    return word


def case_pluralize():
    return [pluralize(w) for w in ("quiz", "matrix", "box", "rice", "post", "bus", "")]


def slugify(text):
    text = text.lower().strip()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_-]+", "-", text)
    return text.strip("-")


def case_slugify():
    return slugify("  Hello, World! It's -- me "), slugify("___")


def titleize(word):
    return re.sub(r"\b('?\w)", lambda match: match.group(1).capitalize(), humanize(underscore(word)).title())


def case_titleize():
    return titleize("man_from_the_boondocks"), titleize("x-men: the last stand")


def case_string_building_loop():
    parts = []
    line = ""
    for word in "the quick brown fox jumps over the lazy dog".split():
        if len(line) + len(word) + 1 > 10:
            parts.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    parts.append(line)
    return parts


def case_string_concat_plus_equals():
    s = ""
    for i in range(12):
        s += str(i % 10)
        if i % 4 == 3:
            s += "|"
    return s


def roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, letters in table:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def case_roman_numerals():
    return [roman(k) for k in (1, 4, 9, 14, 40, 90, 400, 1994, 2024)]


def run_length(text):
    if not text:
        return []
    runs = [[text[0], 1]]
    for ch in text[1:]:
        if ch == runs[-1][0]:
            runs[-1][1] += 1
        else:
            runs.append([ch, 1])
    return runs


def case_run_length():
    return run_length("aaabccddddde"), run_length("")


def case_caesar():
    def shift(text, k):
        out = []
        for ch in text:
            if ch.isalpha():
                base = ord("a") if ch.islower() else ord("A")
                out.append(chr((ord(ch) - base + k) % 26 + base))
            else:
                out.append(ch)
        return "".join(out)

    secret = shift("Hello, World!", 3)
    return secret, shift(secret, -3)


def case_word_count_dict():
    counts = {}
    for word in "a rose is a rose is a rose".split():
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def tokenize(src):
    tokens = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch.isspace():
            i += 1
            continue
        if ch.isdigit():
            j = i
            while j < len(src) and src[j].isdigit():
                j += 1
            tokens.append(("NUM", int(src[i:j])))
            i = j
        elif ch.isalpha():
            j = i
            while j < len(src) and src[j].isalnum():
                j += 1
            tokens.append(("NAME", src[i:j]))
            i = j
        else:
            tokens.append(("OP", ch))
            i += 1
    return tokens


def case_tokenizer():
    return tokenize("x1 = 42 + y*(7 - z)")


def case_format_table():
    rows = [("apple", 3, 0.5), ("kiwi", 12, 0.25), ("fig", 7, 1.0)]
    width = max(len(name) for name, _, _ in rows)
    lines = []
    for name, qty, price in rows:
        lines.append(f"{name:<{width}} {qty:>3} {qty * price:6.2f}")
    return "\n".join(lines)


def case_re_sub_with_function_and_state():
    seen = []

    def repl(match):
        word = match.group(0)
        seen.append(word)
        return word[::-1] if len(seen) % 2 else word.upper()

    return re.sub(r"[a-z]+", repl, "one two three four"), seen


def case_split_join_strip():
    raw = " a , b,,c ,  d "
    cleaned = [p.strip() for p in raw.split(",")]
    kept = [p for p in cleaned if p]
    return "-".join(kept), cleaned


def case_palindromes():
    def is_pal(s):
        s = "".join(ch.lower() for ch in s if ch.isalnum())
        return s == s[::-1]

    return [is_pal(t) for t in ("A man, a plan, a canal: Panama", "hello", "", "No 'x' in Nixon")]
