"""The line map that keeps hints in place while the user types: correct, and linear on large modules."""

from __future__ import annotations

import difflib
import random

import pytest
from semcoder_lsp.lines import LineMap, matching_lines

from tests.support.large_modules import module_of_lines


def check(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    pairs = matching_lines(a, b)
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
    return pairs


def difflib_count(a: list[str], b: list[str]) -> int:
    return sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_keep_what_difflib_keeps(seed: int):
    rng = random.Random(seed)
    words = ["x = 1", "", "return None", "pass", "y = x + 1", "if x:", "    z = 2", "def f():"]
    a = [
        rng.choice(words) + (str(rng.randrange(30)) if rng.random() < 0.5 else "") for _ in range(rng.randrange(1, 400))
    ]
    b = list(a)
    for _ in range(rng.randrange(1, 6)):  # inserts, deletions, edits, moved blocks
        op = rng.randrange(4)
        at = rng.randrange(len(b) + 1)
        if op == 0:
            b[at:at] = [rng.choice(words) for _ in range(rng.randrange(1, 40))]
        elif op == 1 and b:
            del b[at : at + rng.randrange(1, 40)]
        elif op == 2 and at < len(b):
            b[at] += " # edited"
        elif b:
            block = b[at : at + 20]
            del b[at : at + 20]
            to = rng.randrange(len(b) + 1)
            b[to:to] = block
    pairs = check(a, b)
    # a correct common subsequence, at least nearly as long as difflib's (its blocks are not optimal either)
    assert len(pairs) >= 0.9 * difflib_count(a, b) - 5


def test_a_keystroke_in_a_large_module_moves_nothing_else():
    text = module_of_lines(12_000)
    lines = text.splitlines()
    at = len(lines) // 2
    edited = lines[:at] + [lines[at] + "x"] + lines[at + 1 :]
    mapping = LineMap(text, "\n".join(edited) + "\n")
    assert mapping.new(at + 1) is None  # the edited line lost its states
    assert mapping.new(1) == 1 and mapping.new(len(lines)) == len(lines)
    assert sum(mapping.new(n) == n for n in range(1, len(lines) + 1)) == len(lines) - 1


def test_lines_inserted_above_shift_the_states_below():
    text = module_of_lines(12_000)
    lines = text.splitlines()
    edited = lines[:100] + ["import sys", "", "# new"] + lines[100:]
    mapping = LineMap(text, "\n".join(edited))
    assert mapping.new(100) == 100 and mapping.new(101) == 104
    assert mapping.new(len(lines)) == len(lines) + 3
    assert mapping.old(104) == 101 and mapping.old(102) is None


def test_a_rewritten_middle_keeps_the_unique_lines_around_it():
    text = module_of_lines(12_000)
    lines = text.splitlines()
    a_third, two_thirds = len(lines) // 3, 2 * len(lines) // 3
    # the middle third replaced by other text, then the old middle pasted back in reverse halves
    middle = lines[a_third:two_thirds]
    half = len(middle) // 2
    edited = lines[:a_third] + middle[half:] + ["# moved"] + middle[:half] + lines[two_thirds:]
    pairs = check(lines, edited)
    assert len(pairs) >= len(lines) - half - 10  # everything but one of the swapped halves
