"""Code that runs when the module is imported: tables built in loops, class bodies, module-level branches."""
import string

SQUARES = {}
for _n in range(12):
    SQUARES[_n] = _n * _n

TABLE = [[r * c for c in range(1, 4)] for r in range(1, 4)]
LETTERS = {ch: i for i, ch in enumerate(string.ascii_lowercase[:6])}
if len(LETTERS) > 5:
    MODE = "wide"
else:
    MODE = "narrow"

total = 0
k = 0
while k < 5:
    total += k
    k += 1


class Config:
    defaults = {"debug": False, "level": 1}
    keys = sorted(defaults)
    for key in keys:
        defaults[key + "_set"] = True
    level_name = "high" if defaults["level"] > 0 else "low"

    def get(self, key):
        return self.defaults.get(key)


def lookup(n):
    if n in SQUARES:
        return SQUARES[n]
    return None


def case_module_tables():
    return lookup(5), lookup(50), TABLE[2], MODE, total


def case_class_body_code():
    c = Config()
    return c.get("debug_set"), Config.level_name, Config.keys


def case_import_time_only():
    return len(SQUARES)


def case_letters_cipher():
    inverse = {v: k for k, v in LETTERS.items()}
    word = "bead"
    coded = [LETTERS[ch] for ch in word]
    return coded, "".join(inverse[c] for c in coded)
