"""The corpus of one-line bugs of benchmarks/realworld/bugs.py: its form and the issue's mix of shapes, and each bug's
``before`` line where the corpus says it is in the pinned sdist (read from the tarball; no venv, no test run). Whether
each bug fails exactly its ``failing`` tests is ``bugs.py --verify`` (minutes, a venv per library)."""

from __future__ import annotations

import json
import sys
import tarfile
from collections import Counter
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parents[2] / "benchmarks" / "realworld"
sys.path.insert(0, str(REALWORLD))

import bugs as corpus  # noqa: E402
import run as realworld  # noqa: E402

MANIFEST = realworld.load_manifest()
LIBRARIES = {lib["name"]: lib for lib in MANIFEST["libraries"]}
BUGS = corpus.load_corpus()


def test_the_corpus_is_well_formed_and_has_the_issues_mix():
    assert corpus.corpus_problems(BUGS, set(LIBRARIES)) == []
    assert corpus.shape_problems(BUGS) == []
    assert len(BUGS) >= 32
    assert len({b["id"] for b in BUGS}) == len(BUGS)
    assert len({b["library"] for b in BUGS}) >= 6
    # several tests failing for some bugs, and varied kinds of slips
    assert sum(len(b["failing"]) >= 3 for b in BUGS) >= 5
    assert len({b["kind"] for b in BUGS}) >= 8
    # no bug repeats another's line, and a failing id is listed once
    assert len({(b["library"], b["file"], b["line"]) for b in BUGS}) == len(BUGS)
    assert all(len(set(b["failing"])) == len(b["failing"]) for b in BUGS)


def test_the_shape_check_counts_what_is_missing():
    one = [{**BUGS[0], "shape": ["recursion"]}]
    problems = corpus.shape_problems(one)
    assert "only 1 bugs with shape 'recursion', the corpus needs 2" in problems
    assert "only 0 bugs with shape 'hangs', the corpus needs 3" in problems
    assert corpus.corpus_problems([{**BUGS[0], "failing": ["tests/test_x.py"]}], set(LIBRARIES)) == [
        f"{BUGS[0]['id']}: failing must list test node ids"
    ]


def test_a_bug_whose_line_is_not_there_stops_the_run(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("def f(x):\n    return x + 1\n")
    bug = {"id": "x-01", "file": "pkg/m.py", "line": 2, "before": "    return x + 1", "after": "    return x - 1"}
    corpus.apply_bug(tmp_path, bug)
    assert (tmp_path / "pkg" / "m.py").read_text() == "def f(x):\n    return x - 1\n"
    with pytest.raises(corpus.CorpusError, match=r"pkg/m.py:2 reads '    return x - 1', the corpus says"):
        corpus.apply_bug(tmp_path, bug)  # applied twice: the line no longer reads `before`


@pytest.mark.parametrize("library", sorted({b["library"] for b in BUGS}))
def test_each_bugs_line_reads_before_in_the_pinned_sdist(library):
    # the sdist from the cache that run.py fills (downloaded and sha256-checked when it is not there yet)
    sdist = realworld.fetch_sdist(LIBRARIES[library], realworld.DEFAULT_CACHE)
    with tarfile.open(sdist) as tar:
        top = tar.getmembers()[0].name.split("/")[0]
        for bug in (b for b in BUGS if b["library"] == library):
            member = tar.extractfile(f"{top}/{bug['file']}")
            assert member is not None, bug["id"]
            lines = member.read().decode("utf-8").splitlines()
            assert lines[bug["line"] - 1] == bug["before"], bug["id"]
            # the bug is a one-line slip: the same line, changed, still one line
            assert bug["after"] != bug["before"] and "\n" not in bug["after"], bug["id"]


def test_failing_ids_are_in_the_librarys_target():
    for bug in BUGS:
        target = LIBRARIES[bug["library"]]["target"].strip("./")
        for node in bug["failing"]:
            assert node.startswith(target), (bug["id"], node)
    kinds = Counter(b["kind"] for b in BUGS)
    assert max(kinds.values()) <= len(BUGS) // 3, kinds  # no one kind makes up the corpus
    assert json.loads((REALWORLD / "bugs.json").read_text())["bugs"] == BUGS
