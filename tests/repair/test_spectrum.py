"""Spectrum-based ranking over trace documents: Ochiai, and what breaks its ties."""

from __future__ import annotations

from semcoder_core.spectrum import covered, localize


def doc(lines: dict[str, list[int]], imported: dict[str, list[int]] | None = None) -> dict:
    """A trace document with the given (file -> line numbers) run by the test and at import."""

    def table(spec: dict[str, list[int]]) -> dict:
        return {f: {str(n): {"hits": 1} for n in numbers} for f, numbers in spec.items()}

    lines_run, lines_imported = table(lines), table(imported or {})
    return {"status": "ok", "return_repr": None, "exception": None, "lines": lines_run, "import_lines": lines_imported}


IMPORTS = {"/p/shop/invoices.py": [1, 3, 9, 19], "/p/shop/workdays.py": [1, 8, 11, 15]}
RUN = {"/p/shop/invoices.py": [20], "/p/shop/workdays.py": [12, 17, 19, 21]}


def test_ochiai_ranks_the_lines_only_the_failing_test_ran_first():
    failing = doc({"/p/m.py": [1, 2, 3]})
    passing = [doc({"/p/m.py": [1, 2]}), doc({"/p/m.py": [1]})]
    ranked = [(s.line, s.score, s.failing, s.passing) for s in localize([failing], passing)]
    assert ranked == [(3, 1.0, 1, 0), (2, 0.7071, 1, 1), (1, 0.5774, 1, 2)]


def test_among_equals_what_the_test_ran_comes_before_what_ran_at_import():
    """Every test imports the same `def` lines: when the passing tests ran the same code as the
    failing one, those lines tie with the code and must not push it out of the top lines."""
    failing = doc(RUN, IMPORTS)
    passing = [doc(RUN, IMPORTS) for _ in range(3)]
    ranked = localize([failing], passing, ("/p/shop/invoices.py", 20))
    assert len({s.score for s in ranked}) == 1  # all tied
    run_first = [(s.file.rsplit("/", 1)[1], s.line) for s in ranked[:5]]
    assert run_first == [("invoices.py", 20), ("workdays.py", 12), ("workdays.py", 17), ("workdays.py", 19),
                         ("workdays.py", 21)]  # fmt: skip
    assert all(s.imported for s in ranked[5:]) and not any(s.imported for s in ranked[:5])
    assert covered(failing, imports=False) == {(f, n) for f, numbers in RUN.items() for n in numbers}
