"""Where each realworld bug's line ranks, by each source of evidence semcoder has: read the misses.

    python benchmarks/realworld/localize.py --workdir /tmp/rwbugs            # every bug of bugs.json
    python benchmarks/realworld/localize.py --workdir /tmp/rwbugs --only tabulate-01,boltons-02

For each bug (the trees and venvs of ``bugs.py``; a workdir that ``bugs.py --keep`` left is reused, else
they are set up), it traces the first failing test with its neighbours and the bug's other failing tests
(``testruns.neighbourhood``, as the fix search does), and prints the rank of the bug's line:

- ``ochiai 1``: Ochiai over the one failing test and the passing neighbours (the search's spectrum);
- ``ochiai all``: Ochiai over every failing test of the bug (what a fix must fix);
- ``chain``: its position among the explanation's steps (the data flow back from the failure);
- ``blamed``: whether the explanation blames it (the ``line`` of ``semcoder explain --json``);
- ``ran``: whether the failing test ran the line at all (a line run only at import is not in its trace).

No fix search runs; one traced pytest run per bug, a few seconds each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

import bugs as corpus  # noqa: E402
import run as realworld  # noqa: E402

from semcoder_core.cli.output import read_text  # noqa: E402
from semcoder_core.config import Settings  # noqa: E402
from semcoder_core.explain import explain_failure  # noqa: E402
from semcoder_core.spectrum import localize  # noqa: E402
from semcoder_core.testruns import neighbourhood  # noqa: E402


def rank(suspects: list, where: tuple[str, int]) -> int | None:
    return next((i for i, s in enumerate(suspects, 1) if (s.file, s.line) == where), None)


def measure(library: corpus.Library, bug: dict[str, Any]) -> dict[str, Any]:
    project = corpus.buggy_tree(library, bug).resolve()
    settings = Settings.load(None, {"python": str(library.python)})
    node, others = bug["failing"][0], bug["failing"][1:]
    started = time.perf_counter()
    found = neighbourhood(settings.sandbox(project), project, node, failing=others[:40], test_timeouts=None)
    where = (str(project / bug["file"]), bug["line"])
    out: dict[str, Any] = {"id": bug["id"], "seconds": round(time.perf_counter() - started, 1)}
    if found.failing is None:
        return {**out, "error": "the failing test was not collected"}
    failing = [found.failing, *found.others.values()]
    one = localize([found.failing], found.passing)
    every = localize(failing, found.passing)
    explained = explain_failure(found.failing, read_text, project, found.passing)
    chain = [(s.file, s.line) for s in explained.chain]
    score = {(s.file, s.line): s.score for s in one}
    top = max(score.values(), default=0.0)
    tied = [w for w in score if score[w] >= top - 1e-9]
    on_chain = [w for w in chain if w in score]
    # Other ways to pick one line (for comparison with the explanation's): where the failure came
    # from; Ochiai's first where it ties with the chain, else the origin; the chain's best by Ochiai.
    both = [w for w in chain if w in tied]
    variants = {
        "origin": explained.origin == where,
        "tied_chain_or_origin": (both[0] if both else explained.origin) == where,
        "chain_best": bool(on_chain) and max(on_chain, key=lambda w: score[w]) == where,
    }
    hits = (found.failing.get("lines") or {}).get(where[0], {}).get(str(where[1]), {}).get("hits", 0)
    return {
        **out,
        "ran": bool(hits),
        "ochiai_1": rank(one, where),
        "ochiai_all": rank(every, where),
        "suspects": len(one),
        "chain": chain.index(where) + 1 if where in chain else None,
        "steps": len(chain),
        "blamed": explained.line == where,
        **variants,
        "passing": len(found.passing),
        "failing": len(failing),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="bugs.py's workdir (kept with --keep)")
    parser.add_argument("--only", help="comma-separated bug ids")
    parser.add_argument("--cache", type=Path, default=realworld.DEFAULT_CACHE)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--per-test-timeout", type=float, default=20.0)
    args = parser.parse_args()
    bugs = corpus.load_corpus()
    if args.only:
        wanted = set(args.only.split(","))
        bugs = [b for b in bugs if b["id"] in wanted]
    manifest = realworld.load_manifest()
    libraries: dict[str, corpus.Library] = {}
    rows = []
    for bug in bugs:
        name = bug["library"]
        if name not in libraries:
            lib = next(item for item in manifest["libraries"] if item["name"] == name)
            base = args.workdir / name
            if (base / "venv-ready").is_file():  # bugs.py --keep left it: no clean run needed here
                sdist = realworld.fetch_sdist(lib, args.cache)
                python = realworld.venv_python(base / "venv")
                libraries[name] = corpus.Library(lib, sdist, base, python, base, {})
            else:
                libraries[name] = corpus.set_up(lib, manifest, args, args.workdir)
        corpus.log(bug["id"])
        rows.append(measure(libraries[name], bug))
    head = ["bug", "ran", "ochiai 1", "ochiai all", "chain", "blamed", "passing", "failing", "s"]
    print(" ".join(f"{h:>10}" if i else f"{h:<18}" for i, h in enumerate(head)))
    for r in rows:
        if "error" in r:
            print(f"{r['id']:<18} {r['error']}")
            continue
        cells = [
            "yes" if r["ran"] else "no",
            f"{r['ochiai_1']}/{r['suspects']}" if r["ochiai_1"] else "-",
            str(r["ochiai_all"] or "-"),
            f"{r['chain']}/{r['steps']}" if r["chain"] else f"-/{r['steps']}",
            "yes" if r["blamed"] else "no",
            str(r["passing"]),
            str(r["failing"]),
            str(r["seconds"]),
        ]
        print(f"{r['id']:<18} " + " ".join(f"{c:>10}" for c in cells))
    ranked = [r for r in rows if "error" not in r]
    for key in ("ochiai_1", "ochiai_all", "chain"):
        top1 = sum(1 for r in ranked if r[key] == 1)
        top5 = sum(1 for r in ranked if r[key] and r[key] <= 5)
        print(f"{key}: first {top1}/{len(ranked)}, top 5 {top5}/{len(ranked)}")
    print(f"blamed: {sum(r['blamed'] for r in ranked)}/{len(ranked)}; ran: {sum(r['ran'] for r in ranked)}")
    for key in ("origin", "tied_chain_or_origin", "chain_best"):
        print(f"  other pick, {key}: {sum(r[key] for r in ranked)}/{len(ranked)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
